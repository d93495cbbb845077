// TcpTransport: the real peer transport. One TCP connection per broker pair carries every
// Raft group's messages; see docs/transport.md for the wire format and the rules.
//
// Connection rule: the node with the lower id dials, the higher one accepts, so there is
// exactly one connection per pair and never a race between two simultaneous dials. An
// acceptor refuses a dial from a higher id. When an authenticated connection from a peer
// arrives while an older one from the same peer is still open (the peer restarted and the
// old socket is half-open), the new one replaces the old one.
//
// Everything here is I/O: the sockets, timers and queues. The codec (codec.ts), the handshake
// messages (handshake.ts) and the backoff (types.ts) are pure and tested on their own; the
// handshake's steps are in tcp-handshake.ts, the peer and connection records in tcp-peers.ts,
// TLS (cluster.tls) in tcp-tls.ts.

import { invariant } from '../base/invariant.ts';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { LogOnce } from '../log/index.ts';
import type { Message } from '../raft/types.ts';
import {
  CodecError,
  GroupDecoder,
  GroupEncoder,
  MESSAGES_FRAME_OVERHEAD_BYTES,
  Reader,
  STRING_BYTES_MAX,
  encodeMessageFrames,
  messageSize,
  readBatchBody,
  type Incoming,
} from './codec.ts';
import { FrameDecoder, FrameError, FrameType, encodeFrame, type Frame } from './frame.ts';
import { admitStorageIdClaim } from './storage-id-claims.ts';
import { HANDSHAKE_FRAME_BYTES_MAX, RefuseReason, checkStorageId, decodeRefuse, encodeRefuse, refuseReasonName, type RefuseReasonCode } from './handshake.ts';
import { handshakeStep, helloFrame, type HandshakeSelf } from './tcp-handshake.ts';
import { PeerRegistry, isClosed, parseAddress, type Conn, type Peer } from './tcp-peers.ts';
import { PeerTls, certificateNameError, isTlsFailure, looksLikeTls, type PeerTlsMaterial } from './tcp-tls.ts';
import {
  backoffDelayMs,
  checkNodeId,
  resolveLimits,
  systemClock,
  type Clock,
  type MessageHandler,
  type PeerIdentityHandler,
  type PeerStatus,
  type PeerTransport,
  type TransportLimits,
} from './types.ts';

export interface TcpTransportConfig {
  nodeId: number;
  listenHost: string;
  /** 0 picks a free port; read it from `port` after start(). */
  listenPort: number;
  /** Node id → "host:port". This node's own id may be present and is ignored. */
  peers: ReadonlyMap<number, string>;
  /** Shared by every node of the cluster; null turns authentication off (logged as a warning). */
  clusterSecret: string | null;
  /**
   * This node's storage id (the node store's storage UUID), announced to every peer in the
   * handshake; at most 64 bytes of UTF-8. Default '' (announce none): only for tools and
   * benchmarks; a broker must give it, because cluster bootstrap needs every founding
   * member's id.
   */
  storageId?: string;
  limits?: Partial<TransportLimits>;
  logger: Logger;
  clock?: Clock;
  /** Randomness for the reconnect jitter, in [0, 1). */
  random?: () => number;
  /** Name each group once per connection, then refer to it by number (default true; see the bench). */
  internGroups?: boolean;
  /** How often a repeated warning (refusal, bad frame) is logged per key. */
  logIntervalMs?: number;
  /**
   * TLS on every peer connection, both ways, with this certificate and CA (cluster.tls); null or
   * absent: plain TCP. Every node of a cluster must agree: a TLS node refuses plain peers.
   */
  tls?: PeerTlsMaterial | null;
}

const EMPTY = Buffer.alloc(0);
const PING_FRAME = encodeFrame(FrameType.ping);
/** Time a refused peer gets to read the REFUSE frame before its socket is destroyed. */
const REFUSE_LINGER_MS = 1000;

export class TcpTransport implements PeerTransport {
  readonly nodeId: number;
  readonly limits: TransportLimits;
  private readonly listenHost: string;
  private readonly listenPort: number;
  private readonly secret: Buffer | null;
  /** This node's storage id, announced in every handshake. */
  readonly storageId: string;
  private readonly logger: Logger;
  private readonly logOnce: LogOnce;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly internGroups: boolean;
  private readonly peers: PeerRegistry;
  private readonly tls: PeerTls | null;
  /** Who this node is in handshakes (tcp-handshake.ts). */
  private readonly self: HandshakeSelf;
  private readonly conns = new Set<Conn>();
  /** With TLS: accepted sockets in their TLS handshake, by remote "host:port" (unique among open connections). */
  private readonly tlsAccepting = new Map<string, Socket>();
  private handler: MessageHandler | null = null;
  private identityHandler: PeerIdentityHandler | null = null;
  private server: Server | null = null;
  private tickTimer: unknown = null;
  private started = false;
  private closing = false;
  private pendingInbound = 0;
  /** Messages for node ids that are not peers, and messages that arrived with no handler. */
  droppedUnknownPeer = 0;
  droppedNoHandler = 0;

  constructor(config: TcpTransportConfig) {
    checkNodeId(config.nodeId, 'nodeId');
    if (config.clusterSecret === '') throw new RangeError('clusterSecret must be a non-empty string, or null for no authentication');
    this.nodeId = config.nodeId;
    this.limits = resolveLimits(config.limits);
    this.listenHost = config.listenHost;
    this.listenPort = config.listenPort;
    this.secret = config.clusterSecret === null ? null : Buffer.from(config.clusterSecret, 'utf8');
    this.storageId = config.storageId ?? '';
    checkStorageId(this.storageId, 'storageId');
    this.logger = config.logger.child({ component: 'transport', node_id: config.nodeId });
    this.logOnce = new LogOnce(this.logger, { intervalMs: config.logIntervalMs ?? 60_000, now: () => (config.clock ?? systemClock).now() });
    this.clock = config.clock ?? systemClock;
    this.random = config.random ?? Math.random;
    this.internGroups = config.internGroups ?? true;
    this.peers = new PeerRegistry(this.nodeId);
    this.tls = config.tls ? new PeerTls(config.tls, this.limits.handshakeTimeoutMs) : null;
    this.tls?.server.on('secureConnection', (socket: TLSSocket) => this.onSecureAccept(socket));
    this.tls?.server.on('tlsClientError', (e: Error, socket: TLSSocket) => {
      this.logTlsFailure(socket.remoteAddress ?? 'unknown', null, 'accept', e.message, (e as NodeJS.ErrnoException).code);
      socket.destroy();
    });
    this.self = {
      nodeId: this.nodeId,
      storageId: this.storageId,
      secret: this.secret,
      peers: this.peers,
      peerNameError: this.tls === null ? null : (conn, host) => certificateNameError(conn.socket, host),
    };
    this.setPeers(config.peers);
  }

  /** The port the listener is bound to (after start()). */
  get port(): number {
    const a = this.server?.address();
    if (a === null || a === undefined || typeof a === 'string') throw new Error('TcpTransport: not listening');
    return a.port;
  }

  /** Whether peer connections use TLS. */
  get usesTls(): boolean {
    return this.tls !== null;
  }

  /** New certificates (a reload) for the connections made from now on; open ones keep theirs. */
  updateTls(material: PeerTlsMaterial): void {
    invariant(this.tls !== null, () => 'updateTls() on a transport without TLS');
    this.tls.update(material);
  }

  /** Binds the listener and starts dialing the peers with higher ids. */
  async start(): Promise<void> {
    if (this.started) throw new Error('TcpTransport: start() called twice');
    this.started = true;
    // Running without a secret is refused or warned about at every start by the config layer
    // (src/config/cluster-auth.ts), which knows whether the operator asked for it.
    const server = createServer((socket) => this.onAccept(socket));
    this.server = server;
    server.on('error', (e) => this.logger.error({ err: e.message }, 'peer listener error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(this.listenPort, this.listenHost, () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.logger.info({ host: this.listenHost, port: this.port, tls: this.tls !== null }, 'peer transport listening');
    this.scheduleTick();
    for (const peer of this.peers.values()) if (this.shouldDial(peer)) this.dial(peer);
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerIdentity(handler: PeerIdentityHandler): void {
    this.identityHandler = handler;
    for (const peer of [...this.peers.values()]) {
      const conn = peer.conn;
      if (conn !== null && conn.state === 'open') handler(peer.id, conn.peerStorageId!);
    }
  }

  /**
   * Dials `addresses` as seeds (a node looking for the cluster, src/discovery/): each is dialed
   * with acceptor id 0, so the node there takes the connection whatever the two ids and whether
   * or not it knows this node yet, and the handshake tells who it is. An address that belongs to
   * a connected peer, or that is being dialed, is skipped; so is this node's own address. The
   * caller repeats the call while it looks (every SEED_POLL_INTERVAL_MS), which is the retry: no
   * backoff is kept per seed. Addresses that are not "host:port" are logged once and skipped.
   */
  dialSeeds(addresses: readonly string[]): void {
    if (!this.started || this.closing) return;
    for (const address of addresses) {
      let where: { host: string; port: number };
      try {
        where = parseAddress(address);
      } catch (e) {
        this.logOnce.warn(`bad-seed:${address}`, { address, err: (e as Error).message }, 'seed address is not host:port: skipped');
        continue;
      }
      const peer = [...this.peers.values()].find((p) => p.address === address);
      if (peer !== undefined) {
        if (peer.conn === null && peer.dialing === null) this.dial(peer, true);
        continue;
      }
      if ([...this.conns].some((c) => c.seed && c.role === 'dial' && c.remote === address && !isClosed(c))) continue;
      const conn = this.newConn(this.openSocket(where.host, where.port), 'dial', address, null, true);
      this.onConnected(conn, () => helloFrame(this.self, conn, null));
    }
  }

  setPeers(peers: ReadonlyMap<number, string>): void {
    const changes = this.peers.update(peers);
    for (const peer of changes.removed) this.removePeer(peer);
    for (const peer of changes.moved) {
      // A new address: forget the old connection; the dialing side redials the new one.
      this.logger.info({ peer: peer.id, address: peer.address }, 'peer address changed');
      if (peer.dialing) this.closeConn(peer.dialing, 'peer address changed');
      if (peer.conn) this.closeConn(peer.conn, 'peer address changed');
    }
    for (const peer of changes.added) {
      this.logger.info({ peer: peer.id, address: peer.address }, 'peer added');
      if (this.started && this.shouldDial(peer)) this.dial(peer);
    }
  }

  send(to: number, group: string, msg: Message): void {
    // These are bugs in the host, not network conditions: fail loudly.
    invariant(msg.from === this.nodeId, () => `send() of a message from ${msg.from} on node ${this.nodeId}`);
    invariant(msg.to === to, () => `send() to ${to} of a message addressed to ${msg.to}`);
    const size = messageSize(msg);
    const peer = this.peers.get(to);
    if (peer === undefined) {
      this.droppedUnknownPeer++;
      return;
    }
    if (peer.conn === null) {
      peer.stats.droppedDisconnected++;
      return;
    }
    if (size + MESSAGES_FRAME_OVERHEAD_BYTES + 2 + STRING_BYTES_MAX > this.limits.maxFrameBytes) {
      peer.stats.droppedTooLarge++;
      this.logOnce.warn(
        `too-large:${to}`,
        { peer: to, group, bytes: size, maxFrameBytes: this.limits.maxFrameBytes },
        'raft message larger than the frame limit dropped',
      );
      return;
    }
    // Drop the newest: what is queued is already in order, and Raft resends what is lost.
    if (peer.stats.queuedBytes + size > this.limits.maxQueuedBytesPerPeer) {
      peer.stats.droppedQueueFull++;
      return;
    }
    peer.queue.push({ group, msg, size });
    peer.stats.queuedBytes += size;
  }

  flush(): void {
    for (const peer of this.peers.values()) {
      if (peer.queue.length === 0) continue;
      const items = peer.queue;
      peer.queue = [];
      peer.stats.queuedBytes = 0;
      const conn = peer.conn;
      if (conn === null || conn.state !== 'open' || conn.socket.destroyed) {
        peer.stats.droppedDisconnected += items.length;
        continue;
      }
      if (conn.socket.writableLength > this.limits.maxBufferedBytesPerPeer) {
        // The peer reads slower than we write. Holding more only delays fresher messages,
        // and Raft's flow control resends from what the follower acknowledges.
        peer.stats.droppedQueueFull += items.length;
        this.logOnce.warn(`slow:${peer.id}`, { peer: peer.id, bufferedBytes: conn.socket.writableLength }, 'peer is slow: dropping raft messages');
        continue;
      }
      const frames = encodeMessageFrames(conn.groupsOut, items, this.limits.maxFrameBytes);
      conn.socket.cork();
      for (const f of frames) {
        conn.socket.write(f);
        peer.stats.bytesOut += f.length;
      }
      conn.socket.uncork();
      peer.stats.framesOut += frames.length;
      peer.stats.messagesOut += items.length;
      conn.lastSentMs = this.clock.now();
    }
  }

  peerStatus(): PeerStatus[] {
    return this.peers.status();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.tickTimer !== null) this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    for (const peer of this.peers.values()) this.removePeer(peer);
    for (const socket of this.tlsAccepting.values()) socket.destroy();
    for (const conn of [...this.conns]) {
      this.closeConn(conn, 'transport closing');
      // Refused connections linger to deliver their REFUSE frame; not past close().
      if (conn.destroyTimer !== null) this.clock.clearTimeout(conn.destroyTimer);
      conn.destroyTimer = null;
      conn.socket.destroy();
    }
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  /** The lower id dials a peer it knows the address of (a seed dial is the only exception). */
  private shouldDial(peer: Peer): boolean {
    return peer.configured && peer.address !== '' && this.nodeId < peer.id;
  }

  /** Whether `conn` was dialed by the lower id of the pair: the one both ends keep of two. */
  private lowerDialed(conn: Conn, peer: Peer): boolean {
    return (conn.role === 'dial') === this.nodeId < peer.id;
  }

  /**
   * Two connections of one pair (a seed dial crossed the lower id's dial): both ends keep the
   * one the lower id dialed, whichever opened first. Otherwise a new one replaces the old (the
   * peer restarted and the old socket is half-open).
   */
  private losesToOpenConn(conn: Conn, peer: Peer): boolean {
    const old = peer.conn;
    return old !== null && old !== conn && old.state === 'open' && this.lowerDialed(old, peer) && !this.lowerDialed(conn, peer);
  }

  private removePeer(peer: Peer): void {
    peer.removed = true;
    if (peer.reconnectTimer !== null) this.clock.clearTimeout(peer.reconnectTimer);
    peer.reconnectTimer = null;
    if (peer.dialing) this.closeConn(peer.dialing, 'peer removed');
    if (peer.conn) this.closeConn(peer.conn, 'peer removed');
    peer.stats.droppedDisconnected += peer.queue.length;
    peer.queue = [];
    peer.stats.queuedBytes = 0;
    this.peers.forget(peer);
    if (!this.closing) this.logger.info({ peer: peer.id }, 'peer removed');
  }

  private newConn(socket: Socket, role: 'dial' | 'accept', remote: string, peer: Peer | null, seed = false): Conn {
    const now = this.clock.now();
    const conn: Conn = {
      socket,
      role,
      seed,
      claimedId: 0,
      state: role === 'dial' ? 'connecting' : 'hello',
      remote,
      peer,
      nonceD: null,
      nonceA: null,
      peerStorageId: null,
      decoder: new FrameDecoder(HANDSHAKE_FRAME_BYTES_MAX),
      groupsOut: new GroupEncoder(this.internGroups),
      groupsIn: new GroupDecoder(),
      handshakeTimer: null,
      destroyTimer: null,
      pendingInbound: false,
      yielding: false,
      lastSentMs: now,
      lastReceivedMs: now,
    };
    this.conns.add(conn);
    conn.handshakeTimer = this.clock.setTimeout(() => {
      conn.handshakeTimer = null;
      if (conn.state === 'open' || conn.state === 'closed') return;
      this.logOnce.warn(
        `handshake-timeout:${conn.peer?.id ?? conn.remote}`,
        { remote: conn.remote, peer: conn.peer?.id, state: conn.state },
        'peer handshake timed out',
      );
      this.closeConn(conn, `handshake timed out in state ${conn.state}`);
    }, this.limits.handshakeTimeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (e: Error) => this.onSocketError(conn, e));
    socket.on('close', () => {
      if (conn.destroyTimer !== null) this.clock.clearTimeout(conn.destroyTimer);
      conn.destroyTimer = null;
      // A TLS acceptor drops a plain dial without a word: say what the likely cause is.
      const hint = this.tls === null && conn.role === 'dial' && conn.state === 'challenge' ? ' during the handshake (does the peer use cluster.tls?)' : '';
      this.closeConn(conn, `connection closed by peer${hint}`);
      this.conns.delete(conn);
    });
    return conn;
  }

  private onAccept(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.pendingInbound >= this.limits.maxPendingHandshakes) {
      this.logOnce.warn('busy', { remote, maxPendingHandshakes: this.limits.maxPendingHandshakes }, 'too many unauthenticated peer connections: refusing');
      socket.destroy();
      return;
    }
    this.pendingInbound++;
    if (this.tls !== null) {
      // Counted from here; the connection record takes the count over once TLS is up.
      this.tlsAccepting.set(remote, socket);
      socket.once('close', () => {
        if (this.tlsAccepting.get(remote) !== socket) return;
        this.tlsAccepting.delete(remote);
        this.pendingInbound--;
      });
      this.tls.server.emit('connection', socket);
      return;
    }
    const conn = this.newConn(socket, 'accept', remote, null);
    conn.pendingInbound = true;
  }

  /** With TLS: an accepted connection finished its TLS handshake; only a dialer with a certificate from the CA goes on. */
  private onSecureAccept(socket: TLSSocket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const raw = this.tlsAccepting.get(remote);
    if (raw === undefined || this.closing) {
      socket.destroy();
      return;
    }
    if (!socket.authorized) {
      this.logTlsFailure(remote, null, 'accept', `peer certificate not trusted: ${String(socket.authorizationError)}`, String(socket.authorizationError));
      socket.destroy();
      return;
    }
    this.tlsAccepting.delete(remote);
    const conn = this.newConn(socket, 'accept', remote, null);
    conn.pendingInbound = true;
  }

  /** A socket error; a failed TLS handshake (untrusted certificate, wrong name, plain peer) is logged once per peer. */
  private onSocketError(conn: Conn, e: Error): void {
    if (conn.state !== 'open' && conn.state !== 'closed' && isTlsFailure(e)) {
      this.logTlsFailure(conn.remote, conn.peer?.id ?? null, conn.role, e.message, (e as NodeJS.ErrnoException).code);
    }
    this.closeConn(conn, e.message);
  }

  private logTlsFailure(remote: string, peer: number | null, role: 'dial' | 'accept', err: string, code: string | undefined): void {
    this.logOnce.warn(
      `tls:${peer ?? remote.replace(/:\d+$/, '')}`,
      { remote, peer: peer ?? undefined, role, err, code },
      'peer TLS handshake failed: connection refused',
    );
  }

  private dial(peer: Peer, seed = false): void {
    peer.reconnectTimer = null;
    if (this.closing || peer.removed || peer.conn !== null || peer.dialing !== null || peer.address === '') return;
    const conn = this.newConn(this.openSocket(peer.host, peer.port), 'dial', peer.address, peer, seed);
    peer.dialing = conn;
    this.onConnected(conn, () => helloFrame(this.self, conn, peer));
  }

  /** A dial, plain or TLS. */
  private openSocket(host: string, port: number): Socket {
    return this.tls === null ? connect({ host, port }) : this.tls.dial(host, port);
  }

  /** Once a dial can carry the handshake (with TLS: once the acceptor's certificate checked out), HELLO. */
  private onConnected(conn: Conn, hello: () => Buffer): void {
    conn.socket.once(this.tls === null ? 'connect' : 'secureConnect', () => {
      if (conn.state !== 'connecting') return;
      this.write(conn, hello());
    });
  }

  private scheduleReconnect(peer: Peer): void {
    if (this.closing || peer.removed || peer.reconnectTimer !== null || peer.dialing !== null || peer.conn !== null) return;
    if (!this.shouldDial(peer)) return;
    const delayMs = backoffDelayMs(peer.attempt, this.limits.reconnectBaseMs, this.limits.reconnectMaxMs, this.random);
    peer.attempt++;
    peer.reconnectTimer = this.clock.setTimeout(() => this.dial(peer), delayMs);
  }

  private write(conn: Conn, bytes: Buffer): void {
    conn.socket.write(bytes);
    conn.lastSentMs = this.clock.now();
  }

  /** Refuses the connection: tells the peer why (so its operator can see it), logs once, closes. */
  private refuse(conn: Conn, reason: RefuseReasonCode, text: string, fields: Record<string, unknown>, logged = false): void {
    if (conn.state === 'closed') return;
    const name = refuseReasonName(reason);
    if (!logged)
      this.logOnce.warn(
        `refuse:${name}:${conn.remote.replace(/:\d+$/, '')}`,
        { remote: conn.remote, reason: name, ...fields },
        `peer connection refused: ${text}`,
      );
    const frame = encodeFrame(FrameType.refuse, encodeRefuse(reason, text));
    this.closeConn(conn, `refused: ${text}`, frame);
  }

  /** Closes a connection once; `last` is written before closing (a REFUSE frame). */
  private closeConn(conn: Conn, why: string, last?: Buffer): void {
    if (conn.state === 'closed') return;
    const wasOpen = conn.state === 'open';
    conn.state = 'closed';
    if (conn.handshakeTimer !== null) this.clock.clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    if (conn.pendingInbound) {
      conn.pendingInbound = false;
      this.pendingInbound--;
    }
    if (last !== undefined && !conn.socket.destroyed) {
      conn.socket.end(last);
      conn.destroyTimer = this.clock.setTimeout(() => {
        conn.destroyTimer = null;
        conn.socket.destroy();
      }, REFUSE_LINGER_MS);
    } else {
      conn.socket.destroy();
    }
    const peer = conn.peer;
    if (peer === null) return;
    const wasPeersConn = peer.conn === conn;
    if (wasPeersConn) {
      peer.conn = null;
      peer.stats.droppedDisconnected += peer.queue.length;
      peer.queue = [];
      peer.stats.queuedBytes = 0;
    }
    if (peer.dialing === conn) peer.dialing = null;
    if (!this.closing && !peer.removed) {
      peer.stats.lastError = why;
      if (wasOpen) this.logger.info({ peer: peer.id, reason: why }, 'peer disconnected');
      else if (conn.role === 'dial')
        this.logOnce.info(`dial-failed:${peer.id}`, { peer: peer.id, address: peer.address, reason: why }, 'could not connect to peer; retrying with backoff');
    }
    // The lower id redials, also a peer whose last connection was the other's seed dial.
    if (conn.role === 'dial' || wasPeersConn) this.scheduleReconnect(peer);
    // A peer known only from its seed connection is forgotten with it (bounded by connections).
    if (!peer.configured && peer.conn === null && peer.dialing === null && !peer.removed) {
      peer.removed = true;
      this.peers.forget(peer);
    }
    // Last, once the state is consistent: the handler may call back into the transport.
    if (wasOpen && wasPeersConn) this.identityHandler?.(peer.id, null);
  }

  private attach(conn: Conn, peer: Peer): void {
    if (conn.handshakeTimer !== null) this.clock.clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    if (conn.pendingInbound) {
      conn.pendingInbound = false;
      this.pendingInbound--;
    }
    const old = peer.conn;
    if (this.losesToOpenConn(conn, peer)) {
      this.closeConn(conn, 'a second connection from the same peer: keeping the one the lower id dialed');
      return;
    }
    if (old !== null && old !== conn) this.closeConn(old, 'replaced by a new connection from the same peer');
    if (peer.dialing === conn) peer.dialing = null;
    conn.peer = peer;
    conn.state = 'open';
    conn.decoder.frameBytesMax = this.limits.maxFrameBytes;
    peer.conn = conn;
    if (peer.everConnected) peer.stats.reconnects++;
    peer.everConnected = true;
    peer.attempt = 0;
    const storageId = conn.peerStorageId;
    invariant(storageId !== null, () => `connection to peer ${peer.id} authenticated without a storage id`);
    this.logger.info({ peer: peer.id, remote: conn.remote, role: conn.role, storage_id: storageId }, 'peer connected');
    this.identityHandler?.(peer.id, storageId);
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private onData(conn: Conn, chunk: Buffer): void {
    if (isClosed(conn)) return;
    if (conn.state === 'hello' && this.tls === null && conn.decoder.bufferedBytes === 0 && looksLikeTls(chunk)) {
      this.refuse(conn, RefuseReason.protocol, 'a TLS dial on a plaintext peer port: cluster.tls must be the same on every broker', {});
      return;
    }
    conn.lastReceivedMs = this.clock.now();
    if (conn.state === 'open') conn.peer!.stats.bytesIn += chunk.length;
    let frames: Frame[];
    try {
      frames = conn.decoder.push(chunk, this.limits.maxFramesPerRead);
    } catch (e) {
      this.badInput(conn, e);
      return;
    }
    this.onFrames(conn, frames);
    if (frames.length === this.limits.maxFramesPerRead && !isClosed(conn) && !conn.yielding) {
      // Yield so one busy peer cannot starve the event loop; the rest stays buffered and the
      // socket stays paused until every buffered frame is handled.
      conn.yielding = true;
      conn.socket.pause();
      const resume = () => {
        if (isClosed(conn)) return;
        let more: Frame[];
        try {
          more = conn.decoder.push(EMPTY, this.limits.maxFramesPerRead);
        } catch (e) {
          this.badInput(conn, e);
          return;
        }
        this.onFrames(conn, more);
        if (isClosed(conn)) return;
        if (more.length === this.limits.maxFramesPerRead) {
          setImmediate(resume);
        } else {
          conn.yielding = false;
          conn.socket.resume();
        }
      };
      setImmediate(resume);
    }
  }

  private onFrames(conn: Conn, frames: Frame[]): void {
    for (const frame of frames) {
      if (isClosed(conn)) return;
      try {
        this.onFrame(conn, frame);
      } catch (e) {
        if (e instanceof CodecError || e instanceof FrameError) {
          this.badInput(conn, e);
          return;
        }
        throw e;
      }
    }
  }

  private badInput(conn: Conn, e: unknown): void {
    const err = e instanceof Error ? e.message : String(e);
    const who = conn.peer?.id ?? conn.remote.replace(/:\d+$/, '');
    this.logOnce.warn(`bad-input:${who}`, { remote: conn.remote, peer: conn.peer?.id, state: conn.state, err }, 'bad bytes from peer: closing the connection');
    if (conn.state === 'open') this.closeConn(conn, `bad input: ${err}`);
    else this.refuse(conn, RefuseReason.protocol, `protocol error: ${err}`, { err }, true);
  }

  private onFrame(conn: Conn, frame: Frame): void {
    if (frame.type === FrameType.refuse && conn.state !== 'open') {
      const { reason, text } = decodeRefuse(frame.body);
      this.logOnce.warn(
        `refused-by:${conn.peer?.id ?? conn.remote}:${reason}`,
        { peer: conn.peer?.id, remote: conn.remote, reason: refuseReasonName(reason), text },
        'peer refused our connection',
      );
      this.closeConn(conn, `refused by peer (${refuseReasonName(reason)}): ${text}`);
      return;
    }
    if (conn.state === 'open') return this.onOpenFrame(conn, frame);
    const step = handshakeStep(this.self, conn, frame);
    switch (step.kind) {
      case 'reply':
        return this.write(conn, step.frame);
      case 'refuse':
        return this.refuse(conn, step.reason, step.text, step.fields);
      case 'close':
        return this.closeConn(conn, step.why);
      case 'open':
        // The acceptor settles a crossed pair before its WELCOME, so the dialer never opens the loser.
        if (step.frame !== null && !this.losesToOpenConn(conn, conn.peer!)) this.write(conn, step.frame);
        return this.attach(conn, conn.peer!);
    }
  }

  private onOpenFrame(conn: Conn, frame: Frame): void {
    const peer = conn.peer!;
    if (frame.type === FrameType.ping) return;
    if (frame.type !== FrameType.messages) throw new CodecError(`unexpected frame type ${frame.type} on an open connection`);
    peer.stats.framesIn++;
    // Decode everything first: a frame with one bad message delivers nothing.
    const batch: Incoming[] = readBatchBody(new Reader(frame.body), conn.groupsIn, peer.id, this.nodeId);
    peer.stats.messagesIn += batch.length;
    const handler = this.handler;
    if (handler === null) {
      this.droppedNoHandler += batch.length;
      return;
    }
    const authenticated = conn.peerStorageId!;
    // Exceptions from the handler are the host's bugs and propagate (they are not bad input).
    for (const item of batch) {
      if (admitStorageIdClaim(peer.id, authenticated, item.group, item.msg, peer.stats, this.logOnce)) handler(peer.id, item.group, item.msg);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Keep-alive: PING idle connections and close the ones that went silent.

  private scheduleTick(): void {
    if (this.closing) return;
    const everyMs = Math.max(1, Math.min(this.limits.pingIntervalMs, this.limits.idleTimeoutMs));
    this.tickTimer = this.clock.setTimeout(() => {
      this.tickTimer = null;
      this.tick();
      this.scheduleTick();
    }, everyMs);
  }

  private tick(): void {
    const now = this.clock.now();
    for (const peer of this.peers.values()) {
      const conn = peer.conn;
      if (conn === null || conn.state !== 'open') continue;
      if (now - conn.lastReceivedMs >= this.limits.idleTimeoutMs) {
        this.logOnce.warn(`idle:${peer.id}`, { peer: peer.id, idleTimeoutMs: this.limits.idleTimeoutMs }, 'peer went silent: closing the connection');
        this.closeConn(conn, `nothing received for ${this.limits.idleTimeoutMs} ms`);
        continue;
      }
      if (now - conn.lastSentMs >= this.limits.pingIntervalMs) {
        // Pings count as bytes but not as frames: framesOut/framesIn count MESSAGES frames.
        this.write(conn, PING_FRAME);
        peer.stats.bytesOut += PING_FRAME.length;
      }
    }
  }
}

// What the TCP transport keeps per configured peer and per connection, and the registry of the
// peers by id. Plain records: the sockets are driven by TcpTransport (tcp.ts), the handshake by
// tcp-handshake.ts.

import type { Socket } from 'node:net';
import type { GroupDecoder, GroupEncoder, Outgoing } from './codec.ts';
import type { FrameDecoder } from './frame.ts';
import { checkNodeId, emptyPeerStatus, type PeerStatus } from './types.ts';

export type ConnState = 'connecting' | 'hello' | 'challenge' | 'proof' | 'welcome' | 'open' | 'closed';

export interface Peer {
  id: number;
  /** '' for a peer known only from its inbound seed connection (nothing to dial). */
  address: string;
  host: string;
  port: number;
  /** The authenticated connection, if any. */
  conn: Conn | null;
  /** Our outgoing connection while it dials and shakes hands (dialing side only). */
  dialing: Conn | null;
  reconnectTimer: unknown;
  attempt: number;
  everConnected: boolean;
  removed: boolean;
  /**
   * Named by setPeers. A peer that is not (transient) is known only from a seed connection, in
   * either direction (a joiner found through discovery, or found by it); it is forgotten when
   * that connection closes, and becomes configured when setPeers names it.
   */
  configured: boolean;
  queue: Outgoing[];
  stats: PeerStatus;
}

export interface Conn {
  socket: Socket;
  role: 'dial' | 'accept';
  /**
   * A seed connection: the dialer sent acceptorId 0 ("whoever listens at this address"), so the
   * acceptor takes it from a node it does not know or that it would dial itself (a joiner looking
   * for the cluster). Ordinary dials name the acceptor and follow the lower-id-dials rule.
   */
  seed: boolean;
  /** The node id the dialer announced in HELLO (acceptor side), or 0. */
  claimedId: number;
  state: ConnState;
  remote: string;
  peer: Peer | null;
  nonceD: Buffer | null;
  nonceA: Buffer | null;
  /** What the other end announced in HELLO or CHALLENGE; trusted only once the proofs check out. */
  peerStorageId: string | null;
  decoder: FrameDecoder;
  groupsOut: GroupEncoder;
  groupsIn: GroupDecoder;
  handshakeTimer: unknown;
  destroyTimer: unknown;
  /** Counts towards maxPendingHandshakes until authenticated or closed. */
  pendingInbound: boolean;
  /** Reading is paused while buffered frames are handled over several event-loop turns. */
  yielding: boolean;
  lastSentMs: number;
  lastReceivedMs: number;
}

/** Reads the state through a call, because handlers change it behind TypeScript's narrowing. */
export function isClosed(conn: Conn): boolean {
  return conn.state === 'closed';
}

export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || !(port >= 1 && port <= 65535)) throw new RangeError(`peer address must be "host:port" (got "${address}")`);
  return { host: m[1]!, port };
}

export interface PeerChanges {
  /** Peers no longer configured; still registered until the transport forgets them. */
  removed: Peer[];
  /** Peers whose address changed; their records already carry the new one. */
  moved: Peer[];
  /** Peers configured for the first time; already registered. */
  added: Peer[];
}

function newPeer(id: number, where: { host: string; port: number; address: string }, configured: boolean): Peer {
  return {
    id,
    address: where.address,
    host: where.host,
    port: where.port,
    conn: null,
    dialing: null,
    reconnectTimer: null,
    attempt: 0,
    everConnected: false,
    removed: false,
    configured,
    queue: [],
    stats: emptyPeerStatus(id, where.address),
  };
}

function setAddress(peer: Peer, where: { host: string; port: number; address: string }): void {
  peer.address = where.address;
  peer.host = where.host;
  peer.port = where.port;
  peer.stats.address = where.address;
}

/** The configured peers of one node, by id (this node's own id is never one of them). */
export class PeerRegistry {
  private readonly nodeId: number;
  private readonly byId = new Map<number, Peer>();

  constructor(nodeId: number) {
    this.nodeId = nodeId;
  }

  get(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Peer> {
    return this.byId.values();
  }

  /** Takes a new configured set (node id → "host:port"); throws before changing anything if an entry is invalid. */
  update(peers: ReadonlyMap<number, string>): PeerChanges {
    const next = new Map<number, { host: string; port: number; address: string }>();
    for (const [id, address] of peers) {
      checkNodeId(id, 'peer id');
      if (id === this.nodeId) continue;
      next.set(id, { ...parseAddress(address), address });
    }
    const changes: PeerChanges = { removed: [], moved: [], added: [] };
    for (const [id, peer] of this.byId) {
      const n = next.get(id);
      if (n === undefined) {
        // A transient peer was never named here; its seed connection decides how long it stays.
        if (peer.configured) changes.removed.push(peer);
      } else if (!peer.configured) {
        // Named now (a joiner's registration applied): keep its seed connection, which is as
        // authenticated as any; the address is where to redial it from now on.
        peer.configured = true;
        setAddress(peer, n);
        changes.added.push(peer);
      } else if (n.address !== peer.address) {
        setAddress(peer, n);
        changes.moved.push(peer);
      }
    }
    for (const [id, n] of next) {
      if (this.byId.has(id)) continue;
      const peer = newPeer(id, n, true);
      this.byId.set(id, peer);
      changes.added.push(peer);
    }
    return changes;
  }

  /**
   * Registers a peer known only from a seed connection (`address`: the seed address it was found
   * at, or '' for one that dialed in). The caller makes sure `id` is not this node nor known.
   */
  addTransient(id: number, address: string): Peer {
    checkNodeId(id, 'peer id');
    const peer = newPeer(id, address === '' ? { address: '', host: '', port: 0 } : { ...parseAddress(address), address }, false);
    this.byId.set(id, peer);
    return peer;
  }

  /** Forgets `peer`, unless a newer record has taken its id. */
  forget(peer: Peer): void {
    if (this.byId.get(peer.id) === peer) this.byId.delete(peer.id);
  }

  /** Every peer's counters, with whether it is connected and the storage id it authenticated with. */
  status(): PeerStatus[] {
    return [...this.byId.values()].map((p) => {
      const open = p.conn !== null && p.conn.state === 'open';
      return { ...p.stats, connected: open, storageId: open ? p.conn!.peerStorageId : null };
    });
  }
}

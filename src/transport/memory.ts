// MemoryTransport: the in-memory side of the transport seam, for tests and an in-process
// cluster. A MemoryHub connects N nodes; each node's transport behaves like TcpTransport
// (send queues, flush makes one frame per peer, messages to an unreachable peer are dropped
// and counted) and the hub can drop frames and partition nodes to mimic faults.
//
// By default messages pass through the binary codec, so a receiver never shares objects with
// the sender (as over a socket) and every in-memory test also exercises the codec.

import { invariant } from '../base/invariant.ts';
import type { Logger } from 'pino';
import { LogOnce } from '../log/index.ts';
import type { Message } from '../raft/types.ts';
import { decodeMessage, encodeMessage, messageSize, MESSAGES_FRAME_OVERHEAD_BYTES, STRING_BYTES_MAX } from './codec.ts';
import { checkStorageId } from './handshake.ts';
import { admitStorageIdClaim } from './storage-id-claims.ts';
import {
  checkNodeId,
  emptyPeerStatus,
  resolveLimits,
  type MessageHandler,
  type PeerIdentityHandler,
  type PeerStatus,
  type PeerTransport,
  type TransportLimits,
} from './types.ts';

export interface MemoryHubOptions {
  /** 'auto' delivers on a later turn of the event loop; 'manual' only when deliver() is called. */
  delivery?: 'auto' | 'manual';
  /** Round-trip every message through the codec (default true). */
  useCodec?: boolean;
  limits?: Partial<TransportLimits>;
  /** Randomness for setDropRate(), in [0, 1); seed it for reproducible faults. */
  random?: () => number;
  /** Where receivers log what they drop as bad input (once per key and minute); default: nowhere. */
  logger?: Logger;
}

interface InFlightItem {
  group: string;
  msg: Message | null;
  bytes: Buffer | null;
}

interface InFlightFrame {
  from: number;
  /** The sender's storage id, as a TCP connection's handshake would have authenticated it. */
  fromStorageId: string;
  to: number;
  items: InFlightItem[];
  bytes: number;
}

export type LinkFilter = (from: number, to: number, group: string, msg: Message) => boolean;

export class MemoryHub {
  readonly limits: TransportLimits;
  private readonly delivery: 'auto' | 'manual';
  readonly useCodec: boolean;
  private readonly random: () => number;
  /** @internal */
  readonly logger: Logger | null;
  private readonly nodes = new Map<number, MemoryTransport>();
  private readonly queue: InFlightFrame[] = [];
  private queueHead = 0;
  private scheduled = false;
  private readonly downLinks = new Set<string>();
  private partitionOf: Map<number, number> | null = null;
  private dropRate = 0;
  private filter: LinkFilter | null = null;
  /** Frames dropped in flight by setDropRate(), partitions or a closed receiver. */
  droppedFrames = 0;
  /** Messages dropped in flight by the filter. */
  droppedByFilter = 0;

  constructor(opts: MemoryHubOptions = {}) {
    this.limits = resolveLimits(opts.limits);
    this.delivery = opts.delivery ?? 'auto';
    this.useCodec = opts.useCodec ?? true;
    this.random = opts.random ?? Math.random;
    this.logger = opts.logger ?? null;
  }

  /**
   * Creates node `nodeId`'s transport; `peers` are the node ids it talks to, `storageId` the
   * identity its peers see (as TcpTransport's handshake announces it; default '').
   */
  connect(nodeId: number, peers: Iterable<number> = [], storageId = ''): MemoryTransport {
    checkNodeId(nodeId, 'nodeId');
    checkStorageId(storageId, 'storageId');
    if (this.nodes.has(nodeId)) throw new Error(`MemoryHub: node ${nodeId} is already connected`);
    const t = new MemoryTransport(this, nodeId, storageId);
    this.nodes.set(nodeId, t);
    t.setPeers(new Map([...peers].map((id) => [id, 'memory'])));
    return t;
  }

  /** Nodes in different lists cannot reach each other; nodes in no list reach no one. */
  partition(...sides: number[][]): void {
    const m = new Map<number, number>();
    sides.forEach((side, i) => side.forEach((id) => m.set(id, i)));
    this.partitionOf = m;
    this.refreshLinks();
  }

  /** Removes the partition and every link set down. */
  heal(): void {
    this.partitionOf = null;
    this.downLinks.clear();
    this.refreshLinks();
  }

  /** Cuts (or restores) the link between a and b in both directions. */
  setLinkDown(a: number, b: number, down: boolean): void {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (down) this.downLinks.add(key);
    else this.downLinks.delete(key);
    this.refreshLinks();
  }

  /** The storage id node `nodeId` was connected with, or null if it is not on the hub. */
  storageIdOf(nodeId: number): string | null {
    return this.nodes.get(nodeId)?.storageId ?? null;
  }

  /**
   * A link is "connected" exactly when `reachable` holds in both directions (it is
   * symmetric). After anything that can change reachability, every node whose view of a
   * link changed hears of it through its identity handler, as a TCP connection opening or
   * closing would report it. All link states are updated before any handler runs, so a
   * handler that changes the hub again (and re-enters here) sees a consistent hub.
   * @internal Also called by MemoryTransport.setPeers() and close().
   */
  refreshLinks(): void {
    const reports: Array<{ t: MemoryTransport; peer: number; storageId: string | null }> = [];
    for (const t of this.nodes.values()) {
      for (const peer of t.peerIds()) {
        const up = this.reachable(t.nodeId, peer);
        if (t.setLinkUp(peer, up)) reports.push({ t, peer, storageId: up ? this.nodes.get(peer)!.storageId : null });
      }
    }
    for (const r of reports) r.t.reportIdentity(r.peer, r.storageId);
  }

  /** Each frame in flight is lost with probability p. */
  setDropRate(p: number): void {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`drop rate must be in [0, 1] (got ${p})`);
    this.dropRate = p;
  }

  /** A message for which the filter returns false is lost in flight. */
  setFilter(filter: LinkFilter | null): void {
    this.filter = filter;
  }

  /** Frames flushed and not yet delivered. */
  get inFlight(): number {
    return this.queue.length - this.queueHead;
  }

  /** Whether a frame from `from` can reach `to` right now. */
  reachable(from: number, to: number): boolean {
    const a = this.nodes.get(from);
    const b = this.nodes.get(to);
    if (a === undefined || b === undefined || !a.hasPeer(to) || !b.hasPeer(from)) return false;
    if (this.downLinks.has(from < to ? `${from}-${to}` : `${to}-${from}`)) return false;
    if (this.partitionOf !== null) {
      const pa = this.partitionOf.get(from);
      if (pa === undefined || pa !== this.partitionOf.get(to)) return false;
    }
    return true;
  }

  /** Delivers up to `framesMax` frames in flush order; returns how many were handled. */
  deliver(framesMax = Number.MAX_SAFE_INTEGER): number {
    let n = 0;
    while (n < framesMax && this.queueHead < this.queue.length) {
      const frame = this.queue[this.queueHead++]!;
      n++;
      this.deliverFrame(frame);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    return n;
  }

  /** @internal Called by MemoryTransport.flush(). */
  enqueue(frame: InFlightFrame): void {
    this.queue.push(frame);
    if (this.delivery === 'auto') this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // Bounded: only what is in flight now; frames that handlers flush go on the next turn,
      // as they would over a socket.
      this.deliver(this.inFlight);
      if (this.inFlight > 0) this.scheduleDrain();
    });
  }

  /** @internal */
  detach(t: MemoryTransport): void {
    if (this.nodes.get(t.nodeId) === t) this.nodes.delete(t.nodeId);
    this.refreshLinks();
  }

  private deliverFrame(frame: InFlightFrame): void {
    const receiver = this.nodes.get(frame.to);
    if (receiver === undefined || !this.reachable(frame.from, frame.to) || (this.dropRate > 0 && this.random() < this.dropRate)) {
      this.droppedFrames++;
      return;
    }
    const batch: Array<{ group: string; msg: Message }> = [];
    for (const item of frame.items) {
      const msg = item.bytes !== null ? decodeMessage(item.bytes, frame.from, frame.to) : item.msg!;
      if (this.filter !== null && !this.filter(frame.from, frame.to, item.group, msg)) {
        this.droppedByFilter++;
        continue;
      }
      batch.push({ group: item.group, msg });
    }
    receiver.receive(frame.from, frame.fromStorageId, batch, frame.bytes);
  }
}

interface MemPeer {
  stats: PeerStatus;
  queue: Array<{ group: string; msg: Message; size: number }>;
  /** The link state last reported to the identity handler (see MemoryHub.refreshLinks). */
  up: boolean;
}

export class MemoryTransport implements PeerTransport {
  readonly nodeId: number;
  readonly storageId: string;
  private readonly hub: MemoryHub;
  private readonly peers = new Map<number, MemPeer>();
  private handler: MessageHandler | null = null;
  private identityHandler: PeerIdentityHandler | null = null;
  private readonly logOnce: LogOnce | null;
  private closed = false;
  droppedUnknownPeer = 0;
  droppedNoHandler = 0;

  /** Use MemoryHub.connect(). */
  constructor(hub: MemoryHub, nodeId: number, storageId: string) {
    this.hub = hub;
    this.nodeId = nodeId;
    this.storageId = storageId;
    this.logOnce = hub.logger === null ? null : new LogOnce(hub.logger.child({ component: 'transport', node_id: nodeId }), { intervalMs: 60_000 });
  }

  hasPeer(id: number): boolean {
    return !this.closed && this.peers.has(id);
  }

  /** @internal */
  peerIds(): number[] {
    return [...this.peers.keys()];
  }

  /** @internal Records the link state; true when it changed. */
  setLinkUp(peer: number, up: boolean): boolean {
    const p = this.peers.get(peer);
    if (p === undefined || p.up === up) return false;
    p.up = up;
    return true;
  }

  /** @internal */
  reportIdentity(peer: number, storageId: string | null): void {
    this.identityHandler?.(peer, storageId);
  }

  setPeers(peers: ReadonlyMap<number, string>): void {
    for (const id of peers.keys()) checkNodeId(id, 'peer id');
    const removedUp: number[] = [];
    for (const [id, p] of [...this.peers]) {
      if (peers.has(id)) continue;
      this.peers.delete(id);
      if (p.up) removedUp.push(id);
    }
    for (const id of peers.keys()) {
      if (id !== this.nodeId && !this.peers.has(id)) this.peers.set(id, { stats: emptyPeerStatus(id, 'memory'), queue: [], up: false });
    }
    // A removed peer's link closes as a TCP connection to it would; the hub then updates
    // the other side and any link this change opened.
    for (const id of removedUp) this.reportIdentity(id, null);
    this.hub.refreshLinks();
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  onPeerIdentity(handler: PeerIdentityHandler): void {
    this.identityHandler = handler;
    for (const [id, p] of [...this.peers]) if (p.up) handler(id, this.hub.storageIdOf(id) ?? '');
  }

  send(to: number, group: string, msg: Message): void {
    invariant(msg.from === this.nodeId, () => `send() of a message from ${msg.from} on node ${this.nodeId}`);
    invariant(msg.to === to, () => `send() to ${to} of a message addressed to ${msg.to}`);
    const size = messageSize(msg);
    const peer = this.peers.get(to);
    if (peer === undefined || this.closed) {
      this.droppedUnknownPeer++;
      return;
    }
    if (!this.hub.reachable(this.nodeId, to)) {
      peer.stats.droppedDisconnected++;
      return;
    }
    const limits = this.hub.limits;
    if (size + MESSAGES_FRAME_OVERHEAD_BYTES + 2 + STRING_BYTES_MAX > limits.maxFrameBytes) {
      peer.stats.droppedTooLarge++;
      return;
    }
    if (peer.stats.queuedBytes + size > limits.maxQueuedBytesPerPeer) {
      peer.stats.droppedQueueFull++;
      return;
    }
    peer.queue.push({ group, msg, size });
    peer.stats.queuedBytes += size;
  }

  flush(): void {
    for (const [id, peer] of this.peers) {
      if (peer.queue.length === 0) continue;
      const queue = peer.queue;
      peer.queue = [];
      peer.stats.queuedBytes = 0;
      if (!this.hub.reachable(this.nodeId, id)) {
        peer.stats.droppedDisconnected += queue.length;
        continue;
      }
      let bytes = MESSAGES_FRAME_OVERHEAD_BYTES;
      const items: InFlightItem[] = queue.map((q) => {
        bytes += q.size + 1 + q.group.length;
        return this.hub.useCodec ? { group: q.group, msg: null, bytes: encodeMessage(q.msg) } : { group: q.group, msg: q.msg, bytes: null };
      });
      peer.stats.framesOut++;
      peer.stats.messagesOut += queue.length;
      peer.stats.bytesOut += bytes;
      this.hub.enqueue({ from: this.nodeId, fromStorageId: this.storageId, to: id, items, bytes });
    }
  }

  /** @internal Called by the hub. */
  receive(from: number, fromStorageId: string, batch: Array<{ group: string; msg: Message }>, bytes: number): void {
    const peer = this.peers.get(from);
    if (peer === undefined || this.closed) return;
    peer.stats.framesIn++;
    peer.stats.messagesIn += batch.length;
    peer.stats.bytesIn += bytes;
    const handler = this.handler;
    if (handler === null) {
      this.droppedNoHandler += batch.length;
      return;
    }
    for (const item of batch) {
      if (admitStorageIdClaim(from, fromStorageId, item.group, item.msg, peer.stats, this.logOnce)) handler(from, item.group, item.msg);
    }
  }

  peerStatus(): PeerStatus[] {
    return [...this.peers.entries()].map(([id, p]) => {
      const connected = this.hub.reachable(this.nodeId, id);
      return { ...p.stats, connected, storageId: connected ? this.hub.storageIdOf(id) : null };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Links are recomputed before the node leaves the hub, so this node hears of its own
    // links closing, as TcpTransport reports them at close().
    this.hub.refreshLinks();
    this.hub.detach(this);
  }
}

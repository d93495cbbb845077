// The peer transport seam: what a Raft host needs from the network, with an in-memory
// implementation (memory.ts) and a TCP one (tcp.ts).

import type { Message } from '../raft/types.ts';

export type MessageHandler = (from: number, group: string, msg: Message) => void;

/**
 * Reports a peer's authenticated identity: `storageId` when a connection to `nodeId` opens
 * (the id the peer announced in the handshake, covered by the handshake's MAC when a
 * cluster secret is set), and null when that connection closes. Every report with an id is
 * followed by exactly one null report before the next id for the same peer, also when the
 * transport closes. A peer whose host gave no storage id reports ''.
 */
export type PeerIdentityHandler = (nodeId: number, storageId: string | null) => void;

export interface PeerStatus {
  nodeId: number;
  /** "host:port" for TCP, "memory" for the in-memory hub. */
  address: string;
  connected: boolean;
  /**
   * The storage id the peer announced when its current connection was authenticated
   * ('' if it announced none); null while not connected.
   */
  storageId: string | null;
  /** The last thing that went wrong with this peer (connect error, refusal, bad frame…). */
  lastError?: string;
  bytesIn: number;
  bytesOut: number;
  /** MESSAGES frames (pings are not counted): one per flush() with something queued, unless over the frame limit. */
  framesIn: number;
  framesOut: number;
  messagesIn: number;
  messagesOut: number;
  /** Connections established after an earlier one to this peer was lost. */
  reconnects: number;
  /** Messages dropped because the peer was not connected at send() or flush(). */
  droppedDisconnected: number;
  /** Messages dropped because the peer's queue or socket buffer was over its byte limit. */
  droppedQueueFull: number;
  /** Messages dropped because they alone exceed the frame limit (raise maxFrameBytes or lower Raft's maxSizePerMsg). */
  droppedTooLarge: number;
  /**
   * Messages received and dropped because their storageId is neither the one this peer's
   * handshake authenticated nor a group storage id under it (logged once per peer).
   */
  droppedWrongStorageId: number;
  /** Bytes queued by send() and not yet flushed. */
  queuedBytes: number;
}

/** A peer's counters before anything was sent or received. */
export function emptyPeerStatus(nodeId: number, address: string): PeerStatus {
  return {
    nodeId,
    address,
    connected: false,
    storageId: null,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    reconnects: 0,
    droppedDisconnected: 0,
    droppedQueueFull: 0,
    droppedTooLarge: 0,
    droppedWrongStorageId: 0,
    queuedBytes: 0,
  };
}

export interface PeerTransport {
  readonly nodeId: number;
  /**
   * Queues `msg` for node `to` in `group`. Never blocks and never throws for network reasons:
   * a message that cannot go (peer unknown or disconnected, queue full, too big for a frame)
   * is dropped and counted, because Raft retransmits what matters. Throws only for a message
   * the host built wrongly (msg.from is not this node, msg.to is not `to`, bad numbers).
   */
  send(to: number, group: string, msg: Message): void;
  /** Writes everything queued, one frame per peer (more only if it exceeds the frame limit). */
  flush(): void;
  /** Sets the receiver; messages arriving before one is set are dropped and counted. */
  onMessage(handler: MessageHandler): void;
  /**
   * Sets the identity receiver (see PeerIdentityHandler). It is called at once for every
   * peer already connected, so a host that sets it after start() misses nothing. Like
   * onMessage handlers, it runs synchronously and its exceptions propagate.
   */
  onPeerIdentity(handler: PeerIdentityHandler): void;
  /** Replaces the set of peers (node id → "host:port"); brokers join and leave at runtime. */
  setPeers(peers: ReadonlyMap<number, string>): void;
  peerStatus(): PeerStatus[];
  close(): Promise<void>;
}

/** Timers and time, injectable so backoff and timeouts can be tested without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Every limit of the transport, in one place. */
export interface TransportLimits {
  /** Largest frame (length field) sent or accepted after the handshake; a single message above it is dropped at send(). */
  maxFrameBytes: number;
  /** Bytes queued per peer between send() and flush(); sends beyond it are dropped (newest first). */
  maxQueuedBytesPerPeer: number;
  /** Bytes the socket may hold unsent; while it holds more, flush() drops that peer's queue. */
  maxBufferedBytesPerPeer: number;
  /** Time from accept/dial to an authenticated connection. */
  handshakeTimeoutMs: number;
  /** Unauthenticated inbound connections at once; more are closed at accept. */
  maxPendingHandshakes: number;
  /** First reconnect delay; doubles per failed attempt. */
  reconnectBaseMs: number;
  /**
   * Upper bound of the reconnect delay. Only the lower id of a pair dials, so after a peer
   * restarts the pair stays unconnected until the dialer's next try: keep this near one election
   * timeout, or a failover in that window finds the survivors unable to reach each other (a
   * broker sets it to its election timeout, ClusterNode). Redialing a dead peer twice a second
   * costs one refused connect each time.
   */
  reconnectMaxMs: number;
  /** A PING is sent when nothing else was sent for this long. */
  pingIntervalMs: number;
  /** A connection that received nothing for this long is closed (catches half-open peers). */
  idleTimeoutMs: number;
  /** Frames handled per socket read before yielding to the event loop. */
  maxFramesPerRead: number;
}

export const DEFAULT_TRANSPORT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  maxFrameBytes: 32 * 1024 * 1024,
  maxQueuedBytesPerPeer: 64 * 1024 * 1024,
  maxBufferedBytesPerPeer: 64 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  maxPendingHandshakes: 64,
  reconnectBaseMs: 50,
  // One election timeout at the default cluster settings (rtt_ms 50 × election_rtt 10).
  reconnectMaxMs: 500,
  pingIntervalMs: 1_000,
  idleTimeoutMs: 15_000,
  maxFramesPerRead: 1024,
});

export function resolveLimits(partial: Partial<TransportLimits> | undefined): TransportLimits {
  const limits = { ...DEFAULT_TRANSPORT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`transport limit ${k} must be a positive integer (got ${v})`);
  }
  if (limits.maxFrameBytes > 0xffffffff) throw new RangeError('transport limit maxFrameBytes must fit in 32 bits');
  if (limits.reconnectMaxMs < limits.reconnectBaseMs) throw new RangeError('transport limit reconnectMaxMs must be ≥ reconnectBaseMs');
  return limits;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry): exponential from
 * `baseMs`, capped at `maxMs`, with "equal jitter" — half the delay fixed, half random — so
 * nodes that lost each other at the same moment do not redial in lockstep, yet no retry
 * comes sooner than half the exponential delay.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must be in [0, 1) (got ${r})`);
  return Math.floor(exp / 2 + r * (exp / 2));
}

/** Node ids are u32 on the wire and 0 is Raft's NONE. */
export function checkNodeId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new RangeError(`${what} must be an integer in 1..2^32-1 (got ${id})`);
}

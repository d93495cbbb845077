// One tail's WebSocket with a bound on what the broker holds for it and on what it spends on it. ws queues whatever is sent
// until the kernel takes it; a client that reads slower than records arrive would make that queue
// grow without limit. Above `bufferBytesMax` unsent (the socket's bufferedAmount) nothing more is
// queued: the caller drops what it would have sent and counts it (`drop`), and once the socket has
// drained the client is told {"type":"dropped","count":N} before anything else. The same goes for
// messages beyond `messagesPerSecondMax` (a token bucket of one second's worth): each record sent
// costs the broker a decode and a JSON encoding, so the rate bounds what one tail can cost the data
// path however fast records are produced.

/**
 * What a tail uses of ws's WebSocket (the socket @fastify/websocket hands a route), named here
 * because ws ships no types of its own.
 */
export interface TailWebSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  on(event: 'close' | 'error' | 'message', listener: () => void): unknown;
  /**
   * ws's TCP socket (a private field of ws, there since its first versions): corked while a step
   * sends many frames, so they leave in one write instead of a system call each.
   */
  readonly _socket?: { cork(): void; uncork(): void };
}

/** ws's readyState of an open socket (the WebSocket standard's OPEN). */
const OPEN = 1;

/** How often a tail that dropped records looks whether its socket drained (ws has no drain event). */
const DRAIN_CHECK_MS = 100;

/** WebSocket close codes (RFC 6455 §7.4.1; 1013 is IANA's "Try Again Later"). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_POLICY = 1008;
export const CLOSE_INTERNAL = 1011;
export const CLOSE_TRY_LATER = 1013;

export interface TailSocketLimits {
  /** limits.tail_buffer_bytes */
  bufferBytesMax: number;
  /** limits.tail_records_per_second */
  messagesPerSecondMax: number;
}

export class TailSocket {
  private readonly socket: TailWebSocket;
  private readonly bufferBytesMax: number;
  private readonly ratePerMs: number;
  private readonly tokensMax: number;
  private tokens: number;
  private refilledAtMs: number;
  private readonly now: () => number;
  private dropped = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly closeListeners: Array<() => void> = [];
  closed = false;

  constructor(socket: TailWebSocket, limits: TailSocketLimits, now: () => number = performance.now.bind(performance)) {
    this.socket = socket;
    this.bufferBytesMax = limits.bufferBytesMax;
    this.ratePerMs = limits.messagesPerSecondMax / 1000;
    this.tokensMax = limits.messagesPerSecondMax;
    this.tokens = this.tokensMax;
    this.now = now;
    this.refilledAtMs = now();
    socket.on('close', () => this.finish());
    // An error closes the socket too ('close' follows); nothing to log per client.
    socket.on('error', () => undefined);
    // Clients have nothing to say on a tail; what they send is ignored (ws bounds its size).
    socket.on('message', () => undefined);
  }

  /** True while the client is too far behind, or has had its second's worth of messages, to be sent more. */
  get backedUp(): boolean {
    return this.socket.bufferedAmount > this.bufferBytesMax || this.refill() < 1;
  }

  /**
   * Whether a reader should decode more for this tail: the socket has room and a tenth of the
   * rate's bucket is there. Reading in such bursts rather than for every token keeps a tail that
   * is held to its rate from decoding whole batches to send one record of each.
   */
  get ready(): boolean {
    return this.socket.bufferedAmount <= this.bufferBytesMax && this.refill() >= Math.max(1, this.tokensMax / 10);
  }

  private refill(): number {
    const nowMs = this.now();
    this.tokens = Math.min(this.tokensMax, this.tokens + (nowMs - this.refilledAtMs) * this.ratePerMs);
    this.refilledAtMs = nowMs;
    return this.tokens;
  }

  /** Records the caller did not send because the socket was backed up. */
  drop(count: number): void {
    if (count <= 0 || this.closed) return;
    this.dropped += count;
    this.drainTimer ??= setInterval(() => this.reportDropped(), DRAIN_CHECK_MS);
  }

  /** Sends one message unless the socket is backed up or the rate is used up (then counts it); returns whether it was sent. */
  send(message: object | string): boolean {
    if (this.closed || this.socket.readyState !== OPEN) return false;
    if (this.backedUp) {
      this.drop(1);
      return false;
    }
    this.tokens -= 1;
    this.reportDropped();
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /** Runs `send` calls as one write to the network (the frames are corked until `fn` returns). */
  batch(fn: () => void): void {
    const tcp = this.socket._socket;
    tcp?.cork();
    try {
      fn();
    } finally {
      tcp?.uncork();
    }
  }

  /** A short message the client must see (a notice about a partition); sent even when behind. */
  notice(message: object): void {
    if (this.closed || this.socket.readyState !== OPEN) return;
    this.socket.send(JSON.stringify(message));
  }

  private reportDropped(): void {
    if (this.dropped === 0 || this.backedUp || this.closed) return;
    const count = this.dropped;
    this.dropped = 0;
    if (this.drainTimer !== null) clearInterval(this.drainTimer);
    this.drainTimer = null;
    this.socket.send(JSON.stringify({ type: 'dropped', count }));
  }

  /** Closes with a code and a reason the client can show (at most 123 bytes, RFC 6455 §5.5). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.socket.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.finish();
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  private finish(): void {
    if (this.drainTimer !== null) clearInterval(this.drainTimer);
    this.drainTimer = null;
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

// A raw TCP connection for sending arbitrary bytes to the broker and reading whole
// response frames back, with timeouts, and for noticing when the broker closed the
// connection. Bad-input and fuzz tests use it; it knows nothing about Kafka beyond the
// int32 size prefix of every frame.

import { connect, type Socket } from 'node:net';

export type ReadOutcome = { kind: 'frame'; frame: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

/** Refuse to buffer frames larger than this from the broker: a broken size would otherwise eat memory. */
const MAX_RESPONSE_FRAME_BYTES = 64 * 1024 * 1024;

export class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private isClosed = false;
  private waiters: Array<() => void> = [];
  /** The socket error, if any (ECONNRESET is a normal way for the broker to hang up). */
  error: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5_000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Writes bytes as they are; resolves once handed to the kernel (errors are swallowed: see `error`). */
  send(bytes: Buffer): Promise<void> {
    if (this.isClosed || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  private takeFrame(): Buffer | null {
    if (this.buffered.length < 4) return null;
    const size = this.buffered.readInt32BE(0);
    if (size < 0 || size > MAX_RESPONSE_FRAME_BYTES) {
      throw new Error(`broker sent a frame size of ${size}`);
    }
    if (this.buffered.length < 4 + size) return null;
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    return frame;
  }

  /** Next response frame without its size prefix, or why there is none. */
  async read(timeoutMs = 5_000): Promise<ReadOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.takeFrame();
      if (frame) return { kind: 'frame', frame };
      if (this.isClosed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Like read(), but throws unless a frame arrives. */
  async readFrame(timeoutMs = 5_000): Promise<Buffer> {
    const r = await this.read(timeoutMs);
    if (r.kind !== 'frame') throw new Error(`expected a response frame, got ${r.kind}`);
    return r.frame;
  }

  /** Resolves true once the peer closed the connection, false if still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // Drop whatever the broker sent meanwhile: we only care about the close here.
      this.buffered = Buffer.alloc(0);
    }
    return true;
  }

  /** Sends one frame and reads one response frame. */
  async roundTrip(frame: Buffer, timeoutMs = 5_000): Promise<ReadOutcome> {
    await this.send(frame);
    return this.read(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

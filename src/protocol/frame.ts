// Splits a TCP byte stream into Kafka frames: an int32 size, then that many bytes.
//
// Chunks are kept in a list and only concatenated when a whole frame is present, so a
// large frame arriving in many small chunks is copied once, not once per chunk. Frames
// that lie inside a single chunk are returned as views of it, without copying.

/** A framing violation; the connection it came from cannot be trusted and is closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

const SIZE_BYTES = 4;

export class FrameDecoder {
  private readonly frameBytesMax: number;
  private chunks: Buffer[] = [];
  /** Offset into chunks[0] of the first unconsumed byte. */
  private head = 0;
  /** Unconsumed bytes across all chunks. */
  private buffered = 0;
  /** Size of the frame being assembled, once its prefix has been read; else -1. */
  private pendingSize = -1;

  constructor(frameBytesMax: number) {
    if (!Number.isInteger(frameBytesMax) || frameBytesMax < 0 || frameBytesMax > 0x7fffffff) {
      throw new RangeError(`frameBytesMax must be an int32 ≥ 0, got ${frameBytesMax}`);
    }
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk and returns every frame it completes (the bytes after each size prefix).
   * Throws FrameError on a negative size or one above frameBytesMax; the decoder is then
   * unusable, as the stream has lost its framing.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    // Each iteration consumes a size prefix or a frame, so the loop ends.
    for (;;) {
      if (this.pendingSize < 0) {
        if (this.buffered < SIZE_BYTES) break;
        const size = this.take(SIZE_BYTES).readInt32BE(0);
        if (size < 0) throw new FrameError(`negative frame size ${size}`);
        if (size > this.frameBytesMax) {
          throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.frameBytesMax}`);
        }
        this.pendingSize = size;
      }
      if (this.buffered < this.pendingSize) break;
      frames.push(this.take(this.pendingSize));
      this.pendingSize = -1;
    }
    return frames;
  }

  /** Removes and returns the next `n` buffered bytes (n ≤ buffered). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first === undefined) throw new Error('invariant: take() with no chunks');
    const inFirst = first.length - this.head;
    if (n <= inFirst) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.buffered -= n;
      return out;
    }
    // The frame spans chunks: copy exactly its bytes once.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const avail = c.length - this.head;
      const want = Math.min(avail, n - filled);
      c.copy(out, filled, this.head, this.head + want);
      filled += want;
      this.head += want;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.buffered -= n;
    return out;
  }
}

// Splits a TCP byte stream into Kafka frames: an int32 size, then that many bytes.
//
// The chunks are buffered by a ByteQueue: a frame inside one chunk is a view of it, a frame
// spanning chunks is copied once.

import { ByteQueue } from './byte-queue.ts';

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
  private readonly queue = new ByteQueue();
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
    return this.queue.length;
  }

  /**
   * Adds a chunk and returns every frame it completes (the bytes after each size prefix).
   * Throws FrameError on a negative size or one above frameBytesMax; the decoder is then
   * unusable, as the stream has lost its framing.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.queue.push(chunk);
    // Each iteration consumes a size prefix or a frame, so the loop ends.
    for (;;) {
      if (this.pendingSize < 0) {
        if (this.queue.length < SIZE_BYTES) break;
        const size = this.queue.take(SIZE_BYTES).readInt32BE(0);
        if (size < 0) throw new FrameError(`negative frame size ${size}`);
        if (size > this.frameBytesMax) {
          throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.frameBytesMax}`);
        }
        this.pendingSize = size;
      }
      if (this.queue.length < this.pendingSize) break;
      frames.push(this.queue.take(this.pendingSize));
      this.pendingSize = -1;
    }
    return frames;
  }
}

// A queue of received socket chunks from which whole byte ranges are taken: the buffering under
// every length-prefixed framing we read (Kafka frames here, peer frames in src/transport).
//
// Chunks are kept as they arrived and only copied when a range spans several of them, so a large
// frame arriving in many small chunks is copied once, not once per chunk, and a range inside one
// chunk is returned as a view of it.

import { invariant } from '../base/invariant.ts';

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Offset into chunks[0] of the first unconsumed byte. */
  private head = 0;
  /** Unconsumed bytes across all chunks. */
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Removes and returns the next `n` bytes; the caller checked that `n <= length`. */
  take(n: number): Buffer {
    invariant(n <= this.size, () => `take(${n}) with only ${this.size} bytes queued`);
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (n <= first.length - this.head) {
      const out = first.subarray(this.head, this.head + n);
      this.consume(first, n);
      return out;
    }
    // The range spans chunks: copy exactly its bytes once.
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const want = Math.min(c.length - this.head, n - filled);
      c.copy(out, filled, this.head, this.head + want);
      filled += want;
      this.consume(c, want);
    }
    return out;
  }

  private consume(chunk: Buffer, n: number): void {
    this.head += n;
    this.size -= n;
    if (this.head === chunk.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

// Frames on a peer connection: a u32 big-endian length (of what follows), then a one-byte
// frame type, then the body. See docs/transport.md.
//
// The decoder buffers chunks in a ByteQueue (src/protocol/byte-queue.ts), shared with the
// Kafka frame decoder: a frame spanning chunks is copied once, a frame inside one chunk is a
// view of it. Its size limit can change, because before the handshake completes an
// unauthenticated peer may only send small frames.

import { ByteQueue } from '../protocol/byte-queue.ts';

export const FRAME_HEADER_BYTES = 5;

export const FrameType = {
  /** Dialer → acceptor: who I am, whom I expect, my nonce. */
  hello: 1,
  /** Acceptor → dialer: who I am, my nonce, my proof. */
  challenge: 2,
  /** Dialer → acceptor: my proof. */
  proof: 3,
  /** Acceptor → dialer: the handshake succeeded. */
  welcome: 4,
  /** Either side, then close: why the connection is refused. */
  refuse: 5,
  /** A batch of (group, Raft message) pairs. */
  messages: 16,
  /** Keeps an idle connection observably alive. */
  ping: 17,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** A framing violation: the stream has lost its framing and the connection is closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Frame {
  type: number;
  /** The body, after the type byte: a view into the received bytes. */
  body: Buffer;
}

export class FrameDecoder {
  /** Largest accepted length field (type byte + body). */
  frameBytesMax: number;
  private readonly queue = new ByteQueue();
  private pendingSize = -1;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  get bufferedBytes(): number {
    return this.queue.length;
  }

  /**
   * Adds a chunk; returns the frames it completes, at most `framesMax` (the rest stay
   * buffered and come out of the next call, with an empty chunk if need be). Throws
   * FrameError on a zero or oversized length.
   */
  push(chunk: Buffer, framesMax = Number.MAX_SAFE_INTEGER): Frame[] {
    const frames: Frame[] = [];
    this.queue.push(chunk);
    // Each iteration consumes a length prefix or a frame, so the loop ends.
    while (frames.length < framesMax) {
      if (this.pendingSize < 0) {
        if (this.queue.length < 4) break;
        const size = this.queue.take(4).readUInt32BE(0);
        if (size === 0) throw new FrameError('frame of length 0 has no type');
        if (size > this.frameBytesMax) throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.frameBytesMax}`);
        this.pendingSize = size;
      }
      if (this.queue.length < this.pendingSize) break;
      const bytes = this.queue.take(this.pendingSize);
      this.pendingSize = -1;
      frames.push({ type: bytes[0]!, body: bytes.subarray(1) });
    }
    return frames;
  }
}

/** A whole frame (length, type, body) for a small body. */
export function encodeFrame(type: number, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(1 + body.length, 0);
  out[4] = type;
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

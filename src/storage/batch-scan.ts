// Walks the RecordBatch headers of a segment file, reading it in large chunks so a scan
// costs one read per chunk instead of one per batch. Used by recovery (with CRC checks),
// index rebuilds, and reads (to find batch boundaries).

import { storageFs } from './fs.ts';
import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_MIN,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  batchCrcIsValid,
  readInt32,
  readInt64,
} from '../protocol/record-batch.ts';
import { isRaftOnlyBatch } from './offset-translator.ts';

export const SCAN_CHUNK_BYTES = 1024 * 1024;

/** What a scan needs to know about one batch. */
export interface ScannedBatch {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  term: number;
  maxTimestamp: number;
  /** A Raft-only batch (offset-translator.ts): it takes a log offset but no Kafka offset. */
  raftOnly: boolean;
}

/** Reads exactly `length` bytes at `position` or throws (the caller checked the file size). */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  const fs = storageFs();
  let done = 0;
  // Each iteration makes progress or throws, and `length` bounds the progress.
  while (done < length) {
    const n = fs.read(fd, buf, offset + done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at ${position + done} (wanted ${length} bytes at ${position})`);
    done += n;
  }
}

/** A window over a file that serves byte ranges, refilling from disk as needed. */
export class FileWindow {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private readonly fd: number;
  private readonly fileSizeBytes: number;
  private readonly chunkBytes: number;
  /** Bytes read from the file so far: what the window cost. */
  bytesRead = 0;

  constructor(fd: number, fileSizeBytes: number, chunkBytes = SCAN_CHUNK_BYTES) {
    this.fd = fd;
    this.fileSizeBytes = fileSizeBytes;
    this.chunkBytes = chunkBytes;
  }

  /** Makes [position, position + length) available and returns the buffer and its offset in it. */
  get(position: number, length: number): { buf: Buffer; at: number } {
    if (position < this.start || position + length > this.start + this.buf.length) {
      const want = Math.min(Math.max(length, this.chunkBytes), this.fileSizeBytes - position);
      if (want < length) throw new RangeError(`read of ${length} bytes at ${position} passes the end ${this.fileSizeBytes}`);
      this.buf = Buffer.allocUnsafe(want);
      readFully(this.fd, this.buf, 0, want, position);
      this.bytesRead += want;
      this.start = position;
    }
    return { buf: this.buf, at: position - this.start };
  }
}

export interface ScanOptions {
  fd: number;
  fileSizeBytes: number;
  fromPosition: number;
  /** The baseOffset the first batch must have; each next batch must follow the previous. */
  expectedBaseOffset: number;
  verifyCrc: boolean;
  chunkBytes?: number;
  /** Reuse a window (so the caller can slice the bytes it just scanned). */
  window?: FileWindow;
}

export interface ScanResult {
  /** Position after the last good batch. Equals fileSizeBytes when the whole tail was good. */
  endPosition: number;
  nextOffset: number;
  /** Why the scan stopped before the end of the file, or null. */
  problem: string | null;
}

/**
 * Visits every well-formed batch from `fromPosition`. Stops at the first batch that is
 * cut short, malformed, out of sequence or (with verifyCrc) fails its CRC; the caller
 * decides whether that is a torn tail to truncate or corruption to report. `visit`
 * returning false ends the scan early (problem stays null, endPosition is that batch's).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: visitors that never stop the scan return nothing
export function scanBatches(options: ScanOptions, visit: (batch: ScannedBatch) => boolean | void): ScanResult {
  const { fd, fileSizeBytes, verifyCrc } = options;
  const window = options.window ?? new FileWindow(fd, fileSizeBytes, options.chunkBytes);
  let position = options.fromPosition;
  let expected = options.expectedBaseOffset;
  // No closure here, not even one per scan: under tsx (no build step) each one made also costs
  // a defineProperty of its name (one per scan was still 1 % of a simulator run).
  // Every iteration advances `position` by at least BATCH_HEADER_BYTES or returns.
  while (position < fileSizeBytes) {
    const remaining = fileSizeBytes - position;
    if (remaining < BATCH_HEADER_BYTES) return stopped(position, expected, `${remaining} trailing bytes, less than a batch header`);
    const { buf, at } = window.get(position, BATCH_HEADER_BYTES);
    const magic = buf[at + MAGIC_OFFSET];
    if (magic !== CURRENT_MAGIC) return stopped(position, expected, `magic ${magic}`);
    const batchLength = readInt32(buf, at + 8);
    if (batchLength < BATCH_LENGTH_MIN) return stopped(position, expected, `batchLength ${batchLength}`);
    const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
    if (sizeBytes > remaining) return stopped(position, expected, `batch of ${sizeBytes} bytes with ${remaining} bytes left`);
    const baseOffset = readInt64(buf, at);
    if (baseOffset !== expected) return stopped(position, expected, `baseOffset ${baseOffset}, expected ${expected}`);
    const lastOffsetDelta = readInt32(buf, at + 23);
    if (lastOffsetDelta < 0) return stopped(position, expected, `lastOffsetDelta ${lastOffsetDelta}`);
    const term = readInt32(buf, at + 12);
    const maxTimestamp = readInt64(buf, at + 35);
    if (verifyCrc) {
      const whole = window.get(position, sizeBytes);
      if (!batchCrcIsValid(whole.buf, whole.at, sizeBytes)) return stopped(position, expected, 'CRC-32C mismatch');
    }
    const lastOffset = baseOffset + lastOffsetDelta;
    const raftOnly = isRaftOnlyBatch(buf, at);
    if (visit({ position, sizeBytes, baseOffset, lastOffset, term, maxTimestamp, raftOnly }) === false) {
      return { endPosition: position, nextOffset: expected, problem: null };
    }
    expected = lastOffset + 1;
    position += sizeBytes;
  }
  return { endPosition: position, nextOffset: expected, problem: null };
}

/** A scan that stopped at `position` (expecting `expected` there) for `problem`. */
function stopped(position: number, expected: number, problem: string): ScanResult {
  return { endPosition: position, nextOffset: expected, problem };
}

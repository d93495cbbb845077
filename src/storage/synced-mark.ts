// The synced mark of a Raft log (docs/storage.md, "synced.mark"): how far the log's data is
// known to be fdatasynced, and the term of the last entry below that point. Recovery uses it
// to tell damage to synced data (possibly acknowledged: never cut) from a torn tail (chaos
// bugs B7 and B10 in docs/reliability.md).
//
// The stored commit index lags what a replica acknowledged by about a round, so it is not a
// good mark. This one is written after each completed sync round, off the ack path: the round
// acknowledges, then one small write + fdatasync records its end, while the next round may
// already run. It is never ahead of the data (a mark ahead would make a torn tail look like
// damage, and a power loss of every replica would then cost every replica its state).
//
// Two 32-byte slots, 512 bytes apart (separate sectors: a torn write hits one), big-endian:
//   0..3    magic 0x524e534d ("RNSM")
//   4..5    version uint16 = 1
//   6..7    reserved
//   8..15   sequence int64 (the slot with the higher valid sequence wins)
//   16..23  offset int64   every byte of the log below this offset was fdatasynced
//   24..27  lastTerm int32 term of the batch just below `offset` (-1: none)
//   28..31  crc uint32     CRC-32C of bytes 0..27
// A write goes to the slot the newest one is not in, so the last durable mark survives a torn one.

import { join } from 'node:path';
import { crc32c } from '../protocol/crc32c.ts';
import { fsyncDirSync } from './checkpoint.ts';
import { storageFs } from './fs.ts';
import type { LogLike } from './log-config.ts';

export const SYNCED_MARK_FILE = 'synced.mark';
const SLOT_BYTES = 32;
const SLOT_STRIDE_BYTES = 512;
const MAGIC = 0x524e534d;
const VERSION = 1;

export interface SyncedPoint {
  /** Every byte of the log below this offset was fdatasynced. */
  offset: number;
  /** Term of the batch that ends just below `offset`; -1 when the mark names no batch. */
  lastTerm: number;
}

interface Slot extends SyncedPoint {
  sequence: number;
}

function encodeSlot(slot: Slot): Buffer {
  const buf = Buffer.alloc(SLOT_BYTES);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt16BE(VERSION, 4);
  buf.writeBigInt64BE(BigInt(slot.sequence), 8);
  buf.writeBigInt64BE(BigInt(slot.offset), 16);
  buf.writeInt32BE(slot.lastTerm, 24);
  buf.writeUInt32BE(crc32c(buf, 0, 28), 28);
  return buf;
}

function decodeSlot(buf: Buffer): Slot | null {
  if (buf.length < SLOT_BYTES || buf.readUInt32BE(0) !== MAGIC || buf.readUInt16BE(4) !== VERSION) return null;
  if (crc32c(buf, 0, 28) !== buf.readUInt32BE(28)) return null;
  const sequence = Number(buf.readBigInt64BE(8));
  const offset = Number(buf.readBigInt64BE(16));
  const lastTerm = buf.readInt32BE(24);
  if (!Number.isSafeInteger(sequence) || !Number.isSafeInteger(offset) || offset < 0 || lastTerm < -1) return null;
  return { sequence, offset, lastTerm };
}

function newestSlot(bytes: Buffer): Slot | null {
  let best: Slot | null = null;
  for (let i = 0; i < 2; i++) {
    const slot = decodeSlot(bytes.subarray(i * SLOT_STRIDE_BYTES, i * SLOT_STRIDE_BYTES + SLOT_BYTES));
    if (slot !== null && (best === null || slot.sequence > best.sequence)) best = slot;
  }
  return best;
}

/** The mark stored in `dir`, or null when there is none (no file, or neither slot readable). */
export function readSyncedMark(dir: string): SyncedPoint | null {
  const path = join(dir, SYNCED_MARK_FILE);
  const fs = storageFs();
  if (!fs.exists(path)) return null;
  const slot = newestSlot(fs.readFile(path));
  return slot === null ? null : { offset: slot.offset, lastTerm: slot.lastTerm };
}

/**
 * Keeps the mark of one open log. `advance` is called after each completed sync round and
 * writes in the background (one write in flight; a newer point waits for it and replaces any
 * point waiting before it). `lowerNow` writes synchronously, before a truncation or reset
 * removes synced bytes, so the mark never names bytes that are not there.
 */
export class SyncedMark {
  private readonly path: string;
  private readonly dir: string;
  private readonly logger: LogLike;
  private fd: number;
  private sequence: number;
  /** The point last written (durable once no write is in flight). */
  private written: SyncedPoint;
  private pending: SyncedPoint | null = null;
  private inFlight: Promise<void> | null = null;
  private failedOnce = false;
  private closed = false;

  /** Opens (creating durably when missing) the mark file of `dir`; `initial` is what it holds when created. */
  constructor(dir: string, initial: SyncedPoint, logger: LogLike) {
    this.path = join(dir, SYNCED_MARK_FILE);
    this.dir = dir;
    this.logger = logger;
    const fs = storageFs();
    const existing = fs.exists(this.path) ? newestSlot(fs.readFile(this.path)) : null;
    if (existing !== null) {
      this.fd = fs.open(this.path, 'r+');
      this.sequence = existing.sequence;
      this.written = { offset: existing.offset, lastTerm: existing.lastTerm };
    } else {
      this.fd = fs.open(this.path, 'w+');
      this.sequence = 0;
      this.written = initial;
      this.writeSlot(initial);
      fs.fdatasyncSync(this.fd);
      fsyncDirSync(dir);
    }
  }

  /** The point last written. */
  get point(): SyncedPoint {
    return { ...this.written };
  }

  /** Resolves when no write is in flight or waiting. */
  get settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  advance(point: SyncedPoint): void {
    if (this.closed || point.offset <= (this.pending ?? this.written).offset) return;
    this.pending = point;
    this.inFlight ??= this.drain();
  }

  /** Writes `point` now if it is below the current one (and drops a waiting higher point). */
  lowerNow(point: SyncedPoint): void {
    if (this.closed) return;
    if (this.pending !== null && this.pending.offset > point.offset) this.pending = null;
    if (point.offset >= this.written.offset) return;
    try {
      this.writeSlot(point);
      storageFs().fdatasyncSync(this.fd);
    } catch (err) {
      // A full or failing disk: the mark must still not stay above the data, so it goes (a
      // directory change, durable without space); the next open creates it again.
      this.logger.warn({ path: this.path, err: String(err) }, 'synced mark could not be lowered; removed');
      this.closed = true;
      this.pending = null;
      const fs = storageFs();
      fs.close(this.fd);
      fs.unlink(this.path);
      fsyncDirSync(this.dir);
    }
  }

  async close(): Promise<void> {
    await this.settled;
    if (this.closed) return;
    this.closed = true;
    storageFs().close(this.fd);
  }

  private writeSlot(point: SyncedPoint): void {
    this.sequence++;
    const slot = encodeSlot({ ...point, sequence: this.sequence });
    storageFs().write(this.fd, slot, 0, SLOT_BYTES, (this.sequence % 2) * SLOT_STRIDE_BYTES);
    this.written = point;
  }

  // Each pass writes one waiting point; a pass only starts with one waiting, so the loop ends
  // once the writer stops advancing.
  private async drain(): Promise<void> {
    try {
      while (this.pending !== null && !this.closed) {
        const point = this.pending;
        this.pending = null;
        try {
          this.writeSlot(point);
          await storageFs().fdatasync(this.fd);
        } catch (err) {
          // The mark only lags (recovery then checks less as synced, never more): log once, go on.
          if (!this.failedOnce) this.logger.warn({ path: this.path, err: String(err) }, 'synced mark not recorded');
          this.failedOnce = true;
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}

// An in-memory Log with the same contract as PartitionLog, for tests and the Raft
// simulators. Each batch plays the part of a segment for retention. flush() makes the
// end as it was when flush() was called durable; crash() drops whatever was not flushed,
// like a power loss. Like PartitionLog it is a Raft log too: batch k after the head has
// Raft index head + k. Truncation, retention and resetTo are durable at once (PartitionLog
// syncs a truncation before returning; losing a deletion would only be kinder).

import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  readBatchHeader,
  readInt64,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from '../protocol/record-batch.ts';
import { OffsetOutOfRangeError } from './errors.ts';
import { invariant } from '../base/invariant.ts';
import type { LogConfig } from './log-config.ts';
import type { AppendResult, EpochStart, HeaderRead, KafkaOffsets, RaftBatch, RaftIndexedLog, RaftStart, ReadResult, RetentionResult } from './log.ts';
import { isRaftOnlyBatch, OffsetTranslator } from './offset-translator.ts';

interface StoredBatch {
  raftIndex: number;
  baseOffset: number;
  lastOffset: number;
  term: number;
  maxTimestamp: number;
  buf: Buffer;
}

const EMPTY = Buffer.alloc(0);

export interface MemoryLogOptions {
  startOffset?: number;
  retentionMs?: number;
  retentionBytes?: number;
  /**
   * The disk's fsync, awaited by flush() before what it covers counts as durable; a rejection
   * fails the flush. Default: resolves at once. The replica simulator holds it back (a slow
   * disk) or rejects it (a failing one).
   */
  fsync?: () => Promise<void>;
  /** The disk's blocking fsync, for flushSync(); throws to fail it. Default: returns at once. */
  fsyncNow?: () => void;
}

export class MemoryLog implements RaftIndexedLog {
  private batches: StoredBatch[] = [];
  private startOffset: number;
  private endOffset: number;
  private durableOffset: number;
  private bytes = 0;
  private lastTermEver = -1;
  /** Raft index the next appended batch gets. */
  private nextRaftIndex = 1;
  /** Term of the entry before the first retained batch (0 when there is none). */
  private headPrevTerm = 0;
  /** Kafka offsets (offset-translator.ts): the Raft-only batches held, and those dropped below the start. */
  private translator = new OffsetTranslator();
  private readonly retention: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>;
  private readonly fsync: () => Promise<void>;
  private readonly fsyncNow: () => void;
  /** The end each running flush() will make durable; a truncation meanwhile lowers it. */
  private readonly flushTargets = new Set<{ offset: number }>();
  private closed = false;

  constructor(options: MemoryLogOptions = {}) {
    this.startOffset = options.startOffset ?? 0;
    this.endOffset = this.startOffset;
    this.durableOffset = this.startOffset;
    this.retention = { retentionMs: options.retentionMs ?? -1, retentionBytes: options.retentionBytes ?? -1 };
    this.fsync = options.fsync ?? (() => Promise.resolve());
    this.fsyncNow = options.fsyncNow ?? (() => {});
  }

  get logStartOffset(): number {
    return this.startOffset;
  }
  get logEndOffset(): number {
    return this.endOffset;
  }
  /** Memory has no synced data to find damaged. */
  get damage(): null {
    return null;
  }

  get flushedOffset(): number {
    return this.durableOffset;
  }
  get sizeBytes(): number {
    return this.bytes;
  }
  get lastTerm(): number {
    return this.batches.length > 0 ? this.batches[this.batches.length - 1].term : this.lastTermEver;
  }

  append(batch: Buffer, term: number): AppendResult {
    this.checkOpen();
    invariant(batch.length >= BATCH_HEADER_BYTES && batch[MAGIC_OFFSET] === CURRENT_MAGIC, 'append takes RecordBatch v2');
    invariant(LOG_OVERHEAD_BYTES + batch.readInt32BE(BATCH_LENGTH_OFFSET) === batch.length, 'append takes exactly one batch');
    invariant(Number.isInteger(term) && term >= 0 && term >= this.lastTerm, () => `term ${term} is not below ${this.lastTerm}`);
    const lastOffsetDelta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    invariant(lastOffsetDelta >= 0, 'lastOffsetDelta >= 0');
    const baseOffset = this.endOffset;
    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, term);
    const stored = {
      raftIndex: this.nextRaftIndex,
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      term,
      maxTimestamp: readInt64(batch, MAX_TIMESTAMP_OFFSET),
      buf: Buffer.from(batch),
    };
    this.batches.push(stored);
    if (isRaftOnlyBatch(batch)) this.translator.add(baseOffset);
    this.bytes += batch.length;
    this.endOffset = stored.lastOffset + 1;
    this.lastTermEver = term;
    this.nextRaftIndex++;
    return { baseOffset, lastOffset: stored.lastOffset };
  }

  async flush(): Promise<void> {
    this.checkOpen();
    // An fsync covers what was written before it started, not what comes while it runs.
    const target = { offset: this.endOffset };
    this.flushTargets.add(target);
    try {
      await this.fsync();
    } finally {
      this.flushTargets.delete(target);
    }
    this.durableOffset = Math.max(this.durableOffset, target.offset);
  }

  flushSync(): void {
    this.checkOpen();
    this.fsyncNow();
    this.durableOffset = this.endOffset;
  }

  /**
   * The process or the machine died; call before the log is used again. Everything not covered
   * by a completed flush() is lost, except the first `survivingBatches` unflushed batches, which
   * recovery keeps and makes durable: a power loss keeps none or a few (the part of the tail
   * that reached the disk; a torn batch after them is cut by recovery), a kill -9 all of them
   * (the page cache survives the process). Returns how many unflushed batches were lost.
   */
  crash(survivingBatches = 0): number {
    const first = this.indexOf(this.durableOffset);
    const keep = Math.min(survivingBatches, this.batches.length - first);
    const lost = this.batches.length - first - keep;
    if (lost > 0) this.truncateTo(this.batches[first + keep].baseOffset);
    this.durableOffset = this.endOffset;
    return lost;
  }

  read(offset: number, maxBytes: number, maxOffsetExclusive: number): ReadResult {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, this.endOffset);
    }
    const parts: Buffer[] = [];
    let total = 0;
    let next = offset;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.lastOffset >= maxOffsetExclusive) break;
      if (parts.length > 0 && total + b.buf.length > maxBytes) break;
      parts.push(b.buf);
      total += b.buf.length;
      next = b.lastOffset + 1;
      if (total >= maxBytes) break;
    }
    if (parts.length === 0) return { records: EMPTY, nextOffset: offset };
    return { records: Buffer.concat(parts, total), nextOffset: next };
  }

  readHeaders(offset: number, maxBytes: number, maxOffsetExclusive: number): HeaderRead {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, this.endOffset);
    }
    invariant(maxBytes >= 0, 'maxBytes >= 0');
    const headers = [];
    let next = offset;
    // In memory, a header costs the bytes it is made of.
    for (let i = this.indexOf(offset); i < this.batches.length && (headers.length === 0 || headers.length * BATCH_HEADER_BYTES < maxBytes); i++) {
      const b = this.batches[i];
      if (b.lastOffset >= maxOffsetExclusive) break;
      headers.push(readBatchHeader(b.buf, 0));
      next = b.lastOffset + 1;
    }
    return { headers, nextOffset: next, bytesRead: headers.length * BATCH_HEADER_BYTES };
  }

  /** Index of the first batch whose lastOffset >= offset (batches.length if none). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (let i = this.indexOf(this.startOffset); i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.maxTimestamp >= timestamp) return { offset: Math.max(b.baseOffset, this.startOffset), timestamp: b.maxTimestamp };
    }
    return null;
  }

  maxTimestamp(): number {
    let max = -1;
    for (let i = this.indexOf(this.startOffset); i < this.batches.length; i++) {
      if (this.batches[i].maxTimestamp > max) max = this.batches[i].maxTimestamp;
    }
    return max;
  }

  leaderEpochs(): EpochStart[] {
    const out: EpochStart[] = [];
    // Tests and the simulator only: a scan of the batches held.
    for (let i = this.indexOf(this.startOffset); i < this.batches.length; i++) {
      const b = this.batches[i];
      if (out.length === 0 || out[out.length - 1].epoch !== b.term) out.push({ epoch: b.term, startOffset: b.baseOffset });
    }
    return out;
  }

  termAt(offset: number): number | undefined {
    const i = this.indexOf(offset);
    const b = this.batches[i];
    return b !== undefined && b.baseOffset <= offset ? b.term : undefined;
  }

  truncateTo(offset: number): void {
    this.checkOpen();
    if (offset >= this.endOffset) return;
    invariant(offset >= this.startOffset, () => `truncation to ${offset} stays at or above the log start ${this.startOffset}`);
    const i = this.indexOf(offset);
    for (const b of this.batches.slice(i)) this.bytes -= b.buf.length;
    if (i < this.batches.length) this.nextRaftIndex = this.batches[i].raftIndex;
    this.endOffset = i < this.batches.length ? this.batches[i].baseOffset : this.endOffset;
    this.batches.length = i;
    this.translator.truncate(this.endOffset);
    this.durableOffset = Math.min(this.durableOffset, this.endOffset);
    for (const target of this.flushTargets) target.offset = Math.min(target.offset, this.endOffset);
    this.lastTermEver = this.batches.length > 0 ? this.batches[this.batches.length - 1].term : -1;
  }

  deleteRecordsBefore(offset: number): void {
    this.checkOpen();
    if (offset > this.endOffset) throw new OffsetOutOfRangeError(offset, this.startOffset, this.endOffset);
    if (offset <= this.startOffset) return;
    this.startOffset = offset;
    this.dropHead((b) => b.lastOffset < offset);
  }

  applyRetention(nowMs: number, maxOffsetExclusive = Infinity): RetentionResult {
    this.checkOpen();
    let result = { deletedSegments: 0, deletedBytes: 0 };
    if (this.retention.retentionMs >= 0) {
      result = this.dropHead((b) => b.lastOffset < maxOffsetExclusive && nowMs - b.maxTimestamp > this.retention.retentionMs);
    }
    if (this.retention.retentionBytes >= 0) {
      const r = this.dropHead((b) => b.lastOffset < maxOffsetExclusive && this.bytes - b.buf.length >= this.retention.retentionBytes);
      result = { deletedSegments: result.deletedSegments + r.deletedSegments, deletedBytes: result.deletedBytes + r.deletedBytes };
    }
    return result;
  }

  private dropHead(expired: (b: StoredBatch) => boolean): RetentionResult {
    let n = 0;
    let deletedBytes = 0;
    while (n < this.batches.length && expired(this.batches[n])) {
      deletedBytes += this.batches[n].buf.length;
      this.bytes -= this.batches[n].buf.length;
      n++;
    }
    if (n > 0) {
      this.headPrevTerm = this.batches[n - 1].term;
      this.startOffset = Math.max(this.startOffset, this.batches[n - 1].lastOffset + 1);
      this.batches.splice(0, n);
      this.translator.dropBelow(this.batches.length > 0 ? this.batches[0].baseOffset : this.endOffset);
    }
    return { deletedSegments: n, deletedBytes };
  }

  get firstRaftIndex(): number {
    return this.batches.length > 0 ? this.batches[0].raftIndex : this.nextRaftIndex;
  }

  get lastRaftIndex(): number {
    return this.nextRaftIndex - 1;
  }

  raftIndexOf(offset: number): number {
    const b = this.batches[this.indexOf(offset)];
    if (b === undefined || b.baseOffset > offset) throw new OffsetOutOfRangeError(offset, this.startOffset, this.endOffset);
    return b.raftIndex;
  }

  entryAt(raftIndex: number): RaftBatch {
    return this.entries(raftIndex, raftIndex + 1, 0)[0];
  }

  entries(lo: number, hi: number, maxBytes: number): RaftBatch[] {
    this.checkOpen();
    const first = this.firstRaftIndex;
    invariant(first <= lo && lo <= hi && hi <= this.nextRaftIndex, () => `raft entries [${lo}, ${hi}) within [${first}, ${this.nextRaftIndex})`);
    const out: RaftBatch[] = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const b = this.batches[i - first];
      if (out.length > 0 && total + b.buf.length > maxBytes) break;
      total += b.buf.length;
      out.push({ index: b.raftIndex, term: b.term, baseOffset: b.baseOffset, lastOffset: b.lastOffset, batch: b.buf });
    }
    return out;
  }

  termAtRaftIndex(i: number): number | undefined {
    const first = this.firstRaftIndex;
    if (i < first - 1 || i > this.lastRaftIndex) return undefined;
    if (i === first - 1) return this.headPrevTerm;
    return this.batches[i - first].term;
  }

  truncateToRaftIndex(i: number): void {
    this.checkOpen();
    if (i > this.lastRaftIndex) return;
    const first = this.firstRaftIndex;
    invariant(i >= first, () => `raft truncation at ${i} stays at or above the first entry ${first}`);
    const offset = this.batches[i - first].baseOffset;
    invariant(offset >= this.startOffset, () => `raft truncation at ${i} would cut the log start ${this.startOffset}`);
    this.truncateTo(offset);
  }

  offsetAfterRaftIndex(i: number): number {
    const first = this.firstRaftIndex;
    invariant(i >= first - 1 && i <= this.lastRaftIndex, () => `raft index ${i} within [${first - 1}, ${this.lastRaftIndex}]`);
    if (i === this.lastRaftIndex) return this.endOffset;
    return this.batches[i + 1 - first].baseOffset;
  }

  resetTo(start: RaftStart): void {
    this.checkOpen();
    this.batches = [];
    this.bytes = 0;
    this.startOffset = start.offset;
    this.endOffset = start.offset;
    this.durableOffset = start.offset;
    for (const target of this.flushTargets) target.offset = start.offset;
    this.nextRaftIndex = start.raftIndex;
    this.headPrevTerm = start.prevTerm;
    this.lastTermEver = start.prevTerm;
    this.translator = new OffsetTranslator(start.raftOnlyBefore ?? 0);
  }

  get kafkaOffsets(): KafkaOffsets {
    return this.translator;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('memory log is closed');
  }
}

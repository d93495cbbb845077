// Kafka offsets over a log that also holds Raft-only batches (docs/storage.md, "Kafka offsets").
//
// In cluster mode a partition's log holds, besides the produced batches, the Raft entries no
// client wrote: a new leader's no-op and configuration changes, stored as control batches
// (raft-entry-codec.ts) that take one log offset each. Clients must not see them as gaps, so a
// Kafka offset counts user batches only (Redpanda's offset translator):
//
//   kafka(o) = o − (Raft-only batches at log offsets below o)
//
// The translator keeps the count of Raft-only batches below `from` (the head segment's base; what
// retention and snapshot installs leave behind) and the sorted log offsets of those at or above
// it. Every replica holds the same log up to the commit, so every replica computes the same Kafka
// offsets for committed data. A log with no Raft-only batch (a single node) translates as the
// identity.

import { invariant } from '../base/invariant.ts';
import { ATTRIBUTES_OFFSET, isControlBatch, PRODUCER_ID_OFFSET, readInt16, readInt64 } from '../protocol/record-batch.ts';

/**
 * A batch only the Raft layer writes: a control batch without a producer (Kafka's transaction
 * markers carry their producer's id; Produce refuses client control batches).
 */
export function isRaftOnlyBatch(buf: Buffer, at = 0): boolean {
  return isControlBatch(readInt16(buf, at + ATTRIBUTES_OFFSET)) && readInt64(buf, at + PRODUCER_ID_OFFSET) < 0;
}

export class OffsetTranslator {
  /** Raft-only batches at log offsets below the first tracked one (dropped by retention, or before a snapshot). */
  private base: number;
  /** Log offsets of the Raft-only batches kept, ascending. */
  private holes: number[] = [];

  constructor(base = 0) {
    invariant(Number.isSafeInteger(base) && base >= 0, () => `raft-only base ${base}`);
    this.base = base;
  }

  /** True when no Raft-only batch was ever counted: Kafka offsets are log offsets. */
  get isIdentity(): boolean {
    return this.base === 0 && this.holes.length === 0;
  }

  /** Raft-only batches below log offset `logOffset` (what a segment starting there records). */
  deltaAt(logOffset: number): number {
    return this.base + this.countBelow(logOffset);
  }

  /** The Kafka offset of log offset `logOffset` (of the next user record, for a Raft-only batch's offset). */
  toKafka(logOffset: number): number {
    if (this.holes.length === 0) return logOffset - this.base;
    return logOffset - this.base - this.countBelow(logOffset);
  }

  /** The log offset holding Kafka offset `kafkaOffset`: the first offset that is not a Raft-only batch's. */
  toLog(kafkaOffset: number): number {
    const target = kafkaOffset + this.base;
    // The answer is target + j, where j is the number of holes below it: the smallest j with
    // holes[j] > target + j. holes[j] - j never decreases (holes are strictly ascending).
    let lo = 0;
    let hi = this.holes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.holes[mid] - mid > target) hi = mid;
      else lo = mid + 1;
    }
    return target + lo;
  }

  /**
   * The log offsets of the newest Raft-only batches below `logOffset`, newest first, at most
   * `max` of them (a replica looks among them for commands its restart may not have applied).
   */
  newestBelow(logOffset: number, max: number): number[] {
    const end = this.countBelow(logOffset);
    return this.holes.slice(Math.max(0, end - max), end).reverse();
  }

  /** A Raft-only batch was appended at `logOffset` (after every one already counted). */
  add(logOffset: number): void {
    const last = this.holes.length === 0 ? -1 : this.holes[this.holes.length - 1];
    invariant(logOffset > last, () => `raft-only batch at ${logOffset} after ${last}`);
    this.holes.push(logOffset);
  }

  /** Truncation: the batches at `logOffset` and above are gone. */
  truncate(logOffset: number): void {
    this.holes.length = this.countBelow(logOffset);
  }

  /** Retention: the log now starts at `logOffset`; the holes below it become part of the base. */
  dropBelow(logOffset: number): void {
    const n = this.countBelow(logOffset);
    if (n === 0) return;
    this.base += n;
    this.holes = this.holes.slice(n);
  }

  /** Snapshot install: the log restarts empty with `base` Raft-only batches below it. */
  reset(base: number): void {
    invariant(Number.isSafeInteger(base) && base >= 0, () => `raft-only base ${base}`);
    this.base = base;
    this.holes = [];
  }

  private countBelow(logOffset: number): number {
    let lo = 0;
    let hi = this.holes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.holes[mid] < logOffset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

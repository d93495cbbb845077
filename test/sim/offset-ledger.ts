// What clients of one partition were promised, by offset (replica-sim.ts): the batch each
// replica applied as committed, the batches producers got an acks=all answer for, and the
// batches consumers read below a replica's high watermark. One offset holds one batch forever:
// an acknowledged batch is never lost or replaced, and a consumer never reads a batch that
// is not the committed one (it would be reading above the commit).

import { fnv } from './invariants.ts';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES, readInt64 } from '../../src/protocol/record-batch.ts';
import { InvariantViolation } from './invariants.ts';

/** Byte where a stored batch stops carrying what its log stamped in (base offset, leader epoch): the magic. */
const UNSTAMPED_FROM = 16;

/** A batch's identity: its bytes except the base offset and leader epoch its log stamps in. */
export function batchKey(batch: Uint8Array): number {
  // From an index, not over a subarray: a view object per key was measurable (keys are taken per event).
  return fnv(2166136261, batch, UNSTAMPED_FROM) ^ batch.length;
}

/** Calls `each` with the base offset and key of every batch in `records` (back-to-back batches). */
export function forEachBatch(records: Buffer, each: (baseOffset: number, key: number) => void): void {
  for (let pos = 0; pos + LOG_OVERHEAD_BYTES <= records.length; ) {
    const size = LOG_OVERHEAD_BYTES + records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    each(readInt64(records, pos), batchKey(records.subarray(pos, pos + size)));
    pos += size;
  }
}

export class OffsetLedger {
  /** base offset -> key of the batch some replica applied there, and which replica first. */
  private readonly committed = new Map<number, { key: number; node: number }>();
  readonly acked = new Map<number, number>();
  readonly seen = new Map<number, number>();

  constructor(private readonly group: string) {}

  private fail(msg: string): never {
    throw new InvariantViolation(`${this.group}: ${msg}`);
  }

  /** Replica `node` applied (as committed) the batch `key` at `baseOffset`. */
  onCommitted(node: number, baseOffset: number, key: number): void {
    const known = this.committed.get(baseOffset);
    if (known === undefined) {
      this.committed.set(baseOffset, { key, node });
      const acked = this.acked.get(baseOffset);
      if (acked !== undefined && acked !== key) this.fail(`the batch acknowledged at offset ${baseOffset} was replaced: node ${node} committed another there`);
      const seen = this.seen.get(baseOffset);
      if (seen !== undefined && seen !== key)
        this.fail(`a consumer read at offset ${baseOffset} a batch that was not committed (node ${node} committed another)`);
    } else if (known.key !== key) {
      this.fail(`offset ${baseOffset}: node ${node} committed a different batch than node ${known.node}`);
    }
  }

  /** A producer got acks=all for batch `key` at `baseOffset`. */
  onAcked(baseOffset: number, key: number): void {
    const known = this.committed.get(baseOffset);
    if (known !== undefined && known.key !== key) this.fail(`acknowledged offset ${baseOffset} holds another committed batch (node ${known.node})`);
    const prev = this.acked.get(baseOffset);
    if (prev !== undefined && prev !== key) this.fail(`two different batches acknowledged at offset ${baseOffset}`);
    this.acked.set(baseOffset, key);
  }

  /** A consumer read batch `key` at `baseOffset` from replica `node`, below its high watermark. */
  onSeen(node: number, baseOffset: number, key: number): void {
    const known = this.committed.get(baseOffset);
    if (known !== undefined && known.key !== key)
      this.fail(`a consumer read at offset ${baseOffset} from node ${node} a batch other than the committed one (node ${known.node})`);
    const prev = this.seen.get(baseOffset);
    if (prev !== undefined && prev !== key) this.fail(`consumers read two different batches at offset ${baseOffset} (the second from node ${node})`);
    this.seen.set(baseOffset, key);
  }

  /**
   * The end: every acknowledged and every read batch at or after `logStartOffset` is in the
   * final log (`read(offset)` gives the key there, or null when the log has no batch there).
   */
  checkFinal(node: number, logStartOffset: number, keyAt: (offset: number) => number | null): void {
    for (const [what, map] of [
      ['acknowledged', this.acked],
      ['read', this.seen],
    ] as const) {
      for (const [offset, key] of map) {
        if (offset < logStartOffset) continue;
        const found = keyAt(offset);
        if (found !== key)
          this.fail(`the batch ${what} at offset ${offset} is ${found === null ? 'missing from' : 'replaced in'} the final log of node ${node}`);
      }
    }
  }
}

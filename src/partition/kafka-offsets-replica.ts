// What Kafka clients see of a replicated partition: Kafka offsets, which count user batches only
// (docs/storage.md, "Kafka offsets"; issue 12). The log under a ReplicatedPartition also holds the
// Raft entries no client wrote (the founding configuration, each new leader's no-op), as control
// batches with a log offset each; this view translates every offset the handlers read or are
// given (Produce results, the high watermark, log start and end, Fetch, ListOffsets, acks=all
// waits) and leaves those batches out of fetched data. Raft, the producer state and the group
// coordinator's own follower keep working in log offsets on the ReplicatedPartition itself.
//
// Every replica holds the same log up to the commit, so every replica translates committed
// offsets alike: a leader change never changes an offset a client saw.

import type { EpochStart, KafkaOffsets, RaftIndexedLog, ReadResult } from '../storage/log.ts';
import { leaderEpochCache } from '../storage/leader-epoch-cache.ts';
import type { BatchView } from '../protocol/record-batch.ts';
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES, readInt64, setBaseOffset } from '../protocol/record-batch.ts';
import { isRaftOnlyBatch } from '../storage/offset-translator.ts';
import type { ClientLog, IdempotentAppend, PartitionReplica } from './replicas.ts';
import type { ReplicatedPartition } from './replicated-partition.ts';

/**
 * Reads in a row that returned Raft-only batches alone before a fetch answers empty (each reads up
 * to the fetch's byte budget of them, so only a log of nothing but elections reaches it).
 */
const RAFT_ONLY_READS_MAX = 64;

/** The log in Kafka offsets. */
export class KafkaLogView implements ClientLog {
  private readonly log: RaftIndexedLog;

  constructor(log: RaftIndexedLog) {
    this.log = log;
  }

  /** Log.read in Kafka offsets: whole user batches, their baseOffsets rewritten, Raft-only batches left out. */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number): ReadResult {
    const offsets = this.log.kafkaOffsets;
    if (offsets.isIdentity) return this.log.read(offset, maxBytes, maxOffsetExclusive);
    const bound = offsets.toLog(maxOffsetExclusive);
    let next = offsets.toLog(offset);
    // Every round moves past at least one batch; the bound keeps a log of elections alone cheap.
    for (let round = 0; round < RAFT_ONLY_READS_MAX; round++) {
      const read = this.log.read(next, maxBytes, bound);
      if (read.records.length === 0) break;
      const records = userBatches(read.records, offsets);
      if (records.length > 0) return { records, nextOffset: offsets.toKafka(read.nextOffset) };
      next = read.nextOffset;
    }
    return { records: Buffer.alloc(0), nextOffset: offset };
  }

  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    const found = this.log.offsetForTimestamp(timestamp);
    return found === null ? null : { offset: this.log.kafkaOffsets.toKafka(found.offset), timestamp: found.timestamp };
  }

  maxTimestamp(): number {
    return this.log.maxTimestamp();
  }
}

/**
 * The user batches of `records` (whole batches back to back) in a new buffer, each baseOffset
 * rewritten to its Kafka offset. The batch CRC-32C does not cover baseOffset, so the batches stay
 * valid; the log's own bytes are never changed.
 */
export function userBatches(records: Buffer, offsets: KafkaOffsets): Buffer {
  const kept: Array<[number, number]> = [];
  let total = 0;
  // Each iteration moves past one whole batch (the log returns whole batches only).
  for (let pos = 0; pos + LOG_OVERHEAD_BYTES <= records.length; ) {
    const size = LOG_OVERHEAD_BYTES + records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
    if (!isRaftOnlyBatch(records, pos)) {
      kept.push([pos, size]);
      total += size;
    }
    pos += size;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const [pos, size] of kept) {
    records.copy(out, at, pos, pos + size);
    setBaseOffset(out, at, offsets.toKafka(readInt64(records, pos)));
    at += size;
  }
  return out;
}

/** A ReplicatedPartition as the Kafka handlers see it (see the file comment). */
export class KafkaOffsetsReplica implements PartitionReplica {
  readonly log: KafkaLogView;
  private readonly replica: ReplicatedPartition;

  constructor(replica: ReplicatedPartition) {
    this.replica = replica;
    this.log = new KafkaLogView(replica.storage.log);
  }

  private get offsets(): KafkaOffsets {
    return this.replica.storage.log.kafkaOffsets;
  }

  get topic(): string {
    return this.replica.topic;
  }

  get index(): number {
    return this.replica.index;
  }

  get highWatermark(): number {
    return this.offsets.toKafka(this.replica.highWatermark);
  }

  get logStartOffset(): number {
    return this.offsets.toKafka(this.replica.logStartOffset);
  }

  get logEndOffset(): number {
    return this.offsets.toKafka(this.replica.logEndOffset);
  }

  get producerState(): PartitionReplica['producerState'] {
    return this.replica.producerState;
  }

  /** The leader epoch argument is not needed: the replica stamps its Raft term itself. */
  async appendIdempotent(batches: readonly BatchView[]): Promise<IdempotentAppend> {
    const result = await this.replica.appendIdempotent(batches);
    if (result.kind === 'refused') return result;
    // The entries are in the local log now: no truncation can have moved the holes below them
    // without removing them too (then the waits below reject).
    const offsets = this.offsets;
    return { kind: result.kind, baseOffset: offsets.toKafka(result.baseOffset), lastOffset: offsets.toKafka(result.lastOffset) };
  }

  waitDurable(lastOffset: number): Promise<void> {
    return this.replica.waitDurable(this.offsets.toLog(lastOffset));
  }

  onAdvance(listener: () => void): () => void {
    return this.replica.onAdvance(listener);
  }

  leaderEpochCache(currentEpoch: number): EpochStart[] {
    const offsets = this.offsets;
    return leaderEpochCache(this.replica.log, currentEpoch, (o) => offsets.toKafka(o));
  }

  deleteRecords(offset: number): Promise<void> {
    // At the Kafka high watermark, toLog skips Raft-only batches above the commit (a membership
    // change in flight): the log high watermark is the same Kafka position.
    return this.replica.deleteRecords(Math.min(this.offsets.toLog(offset), this.replica.highWatermark));
  }
}

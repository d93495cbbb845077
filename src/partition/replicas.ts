// What the Kafka handlers and the group coordinator need of partition replicas, whether a single
// node hosts them (ReplicaManager over Partition) or Raft groups replicate them (cluster mode:
// ClusterReplicaManager over ReplicatedPartition). The handlers see one interface either way.

import type { EpochStart, Log } from '../storage/log.ts';
import type { BatchView } from '../protocol/record-batch.ts';
import type { MetadataCommand, MetadataState } from '../metadata/metadata-state.ts';
import type { PartitionProducers } from './partition-producers.ts';

/** The Log operations the Kafka handlers use (in cluster mode in Kafka offsets: kafka-offsets-replica.ts). */
export type ClientLog = Pick<Log, 'read' | 'offsetForTimestamp' | 'maxTimestamp'>;

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

/**
 * What appendIdempotent did with one request's batches (KIP-98): appended them, found them to be
 * a producer's retry of batches already in the log (their original offsets), or refused them
 * with the Kafka error for the whole request (out of sequence, fenced epoch, state still loading).
 */
export type IdempotentAppend =
  | { kind: 'appended' | 'duplicate'; baseOffset: number; lastOffset: number }
  | { kind: 'refused'; errorCode: number; message: string };

export interface PartitionReplica {
  readonly topic: string;
  readonly index: number;
  /** The log as clients read it (in cluster mode, Kafka offsets: kafka-offsets-replica.ts). */
  readonly log: ClientLog;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * The idempotent producers' state: `loading` is null once it is loaded, and until then
   * appendIdempotent refuses idempotent batches; `prioritise()` loads it before the others;
   * `activeProducers()` lists the producers (DescribeProducers).
   */
  readonly producerState: Pick<PartitionProducers, 'loading' | 'prioritise' | 'activeProducers'>;
  /**
   * Checks the batches (one RecordBatch each) against the producer state and appends them, as
   * one step: the check and the append (in cluster mode, the Raft proposal) both run before
   * this returns, so no other batch of the same producer can come in between; an `await`
   * between two separate calls would break idempotence silently. The promise carries the
   * outcome: at once on a single node, once the entries are in the local log (acks=1) in
   * cluster mode. It rejects when the append fails (NotLeaderError, NotEnoughReplicasError,
   * storage errors). Batches without a producer id pass the check unchanged. The views carry
   * each batch's decoded header (validateBatches gives them), so no step decodes it again.
   */
  appendIdempotent(batches: readonly BatchView[], leaderEpoch: number): Promise<IdempotentAppend>;
  /** Resolves once `lastOffset` is below the high watermark (acks=all); rejects if that can no longer be promised. */
  waitDurable(lastOffset: number): Promise<void>;
  onAdvance(listener: () => void): () => void;
  /**
   * DeleteRecords (KIP-107): moves the log start to `offset` (at most the high watermark).
   * Resolves once this replica's log starts there (in cluster mode, once the command that
   * moves it on every replica is committed and applied here); rejects as appendIdempotent.
   */
  deleteRecords(offset: number): Promise<void>;
  /**
   * Kafka's leader-epoch cache of this replica's log in the offsets of `log` (OffsetForLeaderEpoch;
   * storage/leader-epoch-cache.ts), `currentEpoch` being the epoch it leads in.
   */
  leaderEpochCache(currentEpoch: number): EpochStart[];
}

export interface LeaderView {
  leaderId: number;
  leaderEpoch: number;
  /** Replicas known to be caught up (Kafka's ISR); the assignment when unknown. */
  isr: number[];
  /**
   * The newest leader epoch (Raft term) this broker's replica has seen, whether or not it knows
   * a leader in it; -1 when this broker hosts no replica. A leader published in the metadata
   * with a higher epoch is newer than anything this broker knows (the Metadata handler).
   */
  epochSeen: number;
}

export interface Replicas {
  /** The replica of `topic`-`index` if this broker hosts it and leads it (the only one clients may use). */
  partition(topic: string, index: number): PartitionReplica | undefined;
  /** Who leads the partition, as far as this broker's own replica knows; leaderId -1 when nobody does or none is hosted. */
  leaderOf(topic: string, index: number): LeaderView;
  leaderEpoch(topic: string, index: number): number;
  /**
   * The replica of `topic`-`index` hosted here, led or not, for reading committed records only
   * (a live tail): read below its `highWatermark`, which on a follower is the commit it has
   * applied, never above the leader's. Offsets are Kafka offsets, the same on every replica.
   */
  committedReader(topic: string, index: number): PartitionReplica | undefined;
  /** Every replica hosted here, led or not, with its log (DescribeLogDirs). */
  hostedLogs(): Array<{ topic: string; index: number; log: Log }>;
  /**
   * Cluster mode (ElectLeaders, PREFERRED): when this broker leads the partition, hands leadership
   * to its preferred replica if that one is a caught-up voter; whether a transfer started. Absent
   * on a single node, where the only replica always leads.
   */
  electPreferred?(topic: string, index: number, state: MetadataState): boolean;
  /** Follows a metadata change that was just applied. */
  onMetadata(command: MetadataCommand, state: MetadataState): void;
  runRetention(nowMs: number): void;
  /** Resolves once no replica's producer state is still loading (start-up, truncations). */
  producerStatesLoaded(): Promise<void>;
  close(): Promise<void>;
}

// The errors a PartitionReplica's promises reject with (besides storage errors), which the
// handlers map to Kafka error codes.

export class NotLeaderError extends Error {
  readonly leaderId: number;
  constructor(topic: string, index: number, leaderId: number) {
    super(`this broker does not lead ${topic}-${index}${leaderId > 0 ? ` (broker ${leaderId} does)` : ''}`);
    this.name = 'NotLeaderError';
    this.leaderId = leaderId;
  }
}

/** The group has no leader that can reach a majority (two of three replicas down). */
export class NotEnoughReplicasError extends Error {
  constructor(topic: string, index: number) {
    super(`${topic}-${index} has no leader: a majority of its replicas is not reachable`);
    this.name = 'NotEnoughReplicasError';
  }
}

/**
 * This replica's disk refused a write of the group (chaos bug B1): it takes no writes until the
 * write succeeds on a retry, or (after a failed fsync) until the broker restarts. Kafka's
 * KAFKA_STORAGE_ERROR, which clients retry.
 */
export class ReplicaStorageError extends Error {
  constructor(topic: string, index: number, cause: unknown, retrying: boolean) {
    super(
      `${topic}-${index}: this broker's disk refused a write (${String(cause)}); ` +
        (retrying ? 'retrying until space returns' : 'the replica is stopped until the broker restarts'),
      { cause },
    );
    this.name = 'ReplicaStorageError';
  }
}

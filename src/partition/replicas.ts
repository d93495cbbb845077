// What the Kafka handlers and the group coordinator need of partition replicas, whether a single
// node hosts them (ReplicaManager over Partition) or Raft groups replicate them (cluster mode:
// ClusterReplicaManager over ReplicatedPartition). The handlers see one interface either way.

import type { Log } from '../storage/log.ts';
import type { MetadataCommand, MetadataState } from '../cluster/metadata-state.ts';
import type { SequenceCheck } from './producer-state.ts';
import type { PartitionProducers } from './partition-producers.ts';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

export interface PartitionReplica {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** KIP-98 check of the batches about to be appended; must be followed by append() in the same turn. */
  checkProducerBatches(batches: Buffer[]): SequenceCheck;
  /**
   * The idempotent producers' state: `loading` is null once it is loaded, and until then
   * checkProducerBatches refuses idempotent batches; `prioritise()` loads it before the others.
   */
  readonly producerState: Pick<PartitionProducers, 'loading' | 'prioritise'>;
  /**
   * Appends batches (one RecordBatch each) and gives their offsets: at once on a single node,
   * once the entries are in the local log (acks=1) in cluster mode.
   */
  append(batches: Buffer[], leaderEpoch: number): AppendResult | Promise<AppendResult>;
  /** Resolves once `lastOffset` is below the high watermark (acks=all); rejects if that can no longer be promised. */
  waitDurable(lastOffset: number): Promise<void>;
  onAdvance(listener: () => void): () => void;
  /** DeleteRecords; throws where it is not supported. */
  deleteRecordsBefore(offset: number): void;
}

export interface LeaderView {
  leaderId: number;
  leaderEpoch: number;
  /** Replicas known to be caught up (Kafka's ISR); the assignment when unknown. */
  isr: number[];
}

export interface Replicas {
  /** The replica of `topic`-`index` if this broker hosts it and leads it (the only one clients may use). */
  partition(topic: string, index: number): PartitionReplica | undefined;
  /** Who leads the partition, as far as this broker knows; leaderId -1 when nobody does. */
  leaderOf(topic: string, index: number): LeaderView;
  leaderEpoch(topic: string, index: number): number;
  /** Follows a metadata change that was just applied. */
  onMetadata(command: MetadataCommand, state: MetadataState): void;
  runRetention(nowMs: number): void;
  /** Resolves once no replica's producer state is still loading (start-up, truncations). */
  producerStatesLoaded(): Promise<void>;
  close(): Promise<void>;
}

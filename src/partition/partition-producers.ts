// The idempotent-producer state (KIP-98) of one partition replica, as the replica sees it: loaded
// in the background from the last producer snapshot and the log after it (producer-state-loader.ts,
// on a broker-wide LoadQueue, so no turn of the event loop reads more than a chunk), then kept
// current by every append. The log takes a snapshot of it at each segment roll and at a clean
// close (snapshot-files.ts).
//
// While it loads, the state cannot tell a retry from a new batch, so the KIP-98 check answers
// NOT_LEADER_OR_FOLLOWER (Produce handlers wait for `loading` first, bounded, and clients retry the
// error: librdkafka refreshes metadata and retries without counting it, KafkaJS and the Java client
// treat it as retriable). Batches without a producer id need no state and are never held up.

import { ErrorCode } from '../protocol/errors.ts';
import { SILENT_LOGGER, type LogLike } from '../storage/log-config.ts';
import type { Log } from '../storage/log.ts';
import { LoadQueue } from './load-queue.ts';
import { PRODUCER_ID_EXPIRATION_MS, PRODUCERS_PER_PARTITION_MAX, type ProducerStateTable, type ProducerBatch, type SequenceCheck } from './producer-state.ts';
import { ProducerStateLoad } from './producer-state-loader.ts';
import { encodeProducerSnapshot } from './producer-snapshot.ts';

/** The bounds on producer state (config limits.max_producers_per_partition, limits.producer_id_expiration_ms). */
export interface ProducerLimits {
  producersMax: number;
  expirationMs: number;
}

export const DEFAULT_PRODUCER_LIMITS: ProducerLimits = {
  producersMax: PRODUCERS_PER_PARTITION_MAX,
  expirationMs: PRODUCER_ID_EXPIRATION_MS,
};

export interface ActiveProducer {
  producerId: number;
  epoch: number;
  lastSequence: number;
  lastTimestamp: number;
}

export interface PartitionProducersOptions {
  limits?: ProducerLimits;
  /** The broker's queue of loads; a partition on its own gets a queue of its own. */
  loadQueue?: LoadQueue;
  logger?: LogLike;
}

export class PartitionProducers {
  private readonly log: Log;
  private readonly where: string;
  private readonly limits: ProducerLimits;
  private readonly queue: LoadQueue;
  private readonly logger: LogLike;
  /** The loaded state; null while a load runs. */
  private table: ProducerStateTable | null = null;
  private load: ProducerStateLoad | null = null;
  private loaded: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(log: Log, where: string, options: PartitionProducersOptions = {}) {
    this.log = log;
    this.where = where;
    this.limits = options.limits ?? DEFAULT_PRODUCER_LIMITS;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.queue = options.loadQueue ?? new LoadQueue();
    log.snapshots?.setSource((offset) => this.snapshotAt(offset));
    this.reload();
  }

  /** Null once the state is loaded; until then a promise that settles when it is (or the replica closes). */
  get loading(): Promise<void> | null {
    return this.loaded?.promise ?? null;
  }

  /**
   * Loads the state again from the log (at open, and after Raft truncated the log or installed a
   * snapshot). A load in progress is abandoned; whoever waits for it waits for this one.
   */
  reload(): void {
    if (this.load !== null) this.queue.remove(this.load);
    this.table = null;
    if (this.loaded === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.loaded = { promise, resolve };
    }
    const job = new ProducerStateLoad(this.log, { producersMax: this.limits.producersMax, logger: this.logger, where: this.where }, (table) => {
      if (this.load !== job) return;
      this.table = table;
      this.load = null;
      const loaded = this.loaded;
      this.loaded = null;
      loaded?.resolve();
    });
    this.load = job;
    this.queue.add(job);
  }

  /** Asks the queue to load this partition next: a producer is waiting for it. */
  prioritise(): void {
    if (this.load !== null) this.queue.promote(this.load);
  }

  /** KIP-98 check of the batches of one request (ProducerStateTable.checkBatches). */
  check(batches: readonly ProducerBatch[], pending?: Map<number, { epoch: number; lastSeq: number }>): SequenceCheck {
    if (this.table === null) {
      if (batches.every((b) => b.producerId < 0)) return { kind: 'append' };
      return { kind: 'error', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: `the producer state of ${this.where} is still loading; retry` };
    }
    return this.table.checkHeaders(batches, pending);
  }

  /** Records a batch now in the log. While loading, the load reads it from the log instead. */
  record(batch: ProducerBatch, firstOffset: number): void {
    this.table?.record(batch, firstOffset);
  }

  /** A producer's epoch and last batches; undefined while loading or when unknown. */
  entry(producerId: number): ReturnType<ProducerStateTable['entry']> {
    return this.table?.entry(producerId);
  }

  /** Every producer with its epoch, last sequence and newest timestamp (DescribeProducers); null while loading. */
  activeProducers(): ActiveProducer[] | null {
    if (this.table === null) return null;
    const out: ActiveProducer[] = [];
    for (const [producerId, entry] of this.table.producerEntries()) {
      const last = entry.batches[entry.batches.length - 1];
      out.push({ producerId, epoch: entry.epoch, lastSequence: last?.lastSeq ?? -1, lastTimestamp: entry.lastTimestamp });
    }
    return out;
  }

  /** Forgets producers idle for limits.expirationMs (Kafka's producer.id.expiration.ms). */
  expire(nowMs: number): number {
    return this.table?.expire(nowMs, this.limits.expirationMs) ?? 0;
  }

  /** The replica stops: no more loading, and whoever waits stops waiting (and finds it gone). */
  close(): void {
    if (this.load !== null) this.queue.remove(this.load);
    this.load = null;
    const loaded = this.loaded;
    this.loaded = null;
    loaded?.resolve();
  }

  /** The log's snapshot source: the state as of `offset`, which must be the log end. */
  private snapshotAt(offset: number): Buffer | null {
    if (this.table === null || offset !== this.log.logEndOffset) return null;
    return encodeProducerSnapshot(this.table, offset);
  }
}

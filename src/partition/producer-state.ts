// Per-partition state of idempotent producers (KIP-98): for each producer id, its epoch and the
// sequence numbers and offsets of its last five batches. It decides, for a batch about to be
// appended, whether it is new and in order, a retry of a batch already in the log (answered with
// the original offsets, not appended again), out of order, or from a fenced (older) epoch.
//
// The state is derived from the log only: every append records the batch it wrote, and a restart
// (or a truncation) loads the last producer snapshot at or below the log end and replays the batch
// headers after it (producer-state-loader.ts). So whatever the log holds after a crash, a
// truncation or (in cluster mode) a change of leader, the state can be recomputed from it, and a
// new leader that replicated the log has the same answers for retries as the old one.
//
// Bounded two ways, as in Kafka: a producer whose last batch is older than the expiration
// (Kafka's producer.id.expiration.ms, by the batch's timestamp) is forgotten by `expire`, and
// beyond `producersMax` the least recently active producer is forgotten at once.
//
// Sequence rules follow Kafka's ProducerStateManager: a known producer's next batch must start at
// its last sequence + 1 (wrapping after 2^31 - 1); a new epoch must start at 0; an older epoch is
// fenced (INVALID_PRODUCER_EPOCH); an unknown producer may start anywhere (its earlier batches may
// have been removed by retention or DeleteRecords).

import { ErrorCode } from '../protocol/errors.ts';
import { readBatchHeader } from '../protocol/record-batch.ts';

/** Kafka keeps the last five batches per producer: max.in.flight.requests.per.connection ≤ 5. */
export const PRODUCER_BATCHES_KEPT = 5;
/** Producers remembered per partition by default (config limits.max_producers_per_partition). */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;
/** Kafka's default producer.id.expiration.ms (config limits.producer_id_expiration_ms). */
export const PRODUCER_ID_EXPIRATION_MS = 24 * 3_600_000;
const INT32_MAX = 2147483647;

export interface BatchSequence {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  /** The largest batch maxTimestamp of the producer's batches; expiry counts from it. */
  lastTimestamp: number;
  /** Oldest first, at most PRODUCER_BATCHES_KEPT. */
  batches: BatchSequence[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number }
  | { kind: 'error'; errorCode: number; message: string };

/** The producer fields of a batch header. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  /** The batch's maxTimestamp; -1 when unknown. */
  maxTimestamp?: number;
}

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from 2^31 - 1 to 0. */
export function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  if (baseSequence > INT32_MAX - lastOffsetDelta) return lastOffsetDelta - (INT32_MAX - baseSequence) - 1;
  return baseSequence + lastOffsetDelta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly producersMax: number;

  constructor(producersMax = PRODUCERS_PER_PARTITION_MAX) {
    if (!Number.isSafeInteger(producersMax) || producersMax < 1) throw new RangeError(`producersMax must be a positive integer, got ${producersMax}`);
    this.producersMax = producersMax;
  }

  get size(): number {
    return this.producers.size;
  }

  get limit(): number {
    return this.producersMax;
  }

  /**
   * Checks a batch against the state. `pending` carries batches of the same request that were
   * checked but not yet appended, so a request with several batches is checked as one sequence.
   */
  check(batch: ProducerBatch, pending?: Map<number, { epoch: number; lastSeq: number }>): SequenceCheck {
    const { producerId, producerEpoch, baseSequence } = batch;
    if (producerId < 0) return { kind: 'append' };
    if (baseSequence < 0) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_RECORD, message: `producer ${producerId} sent a batch without a sequence number` };
    }
    const lastSeq = lastSequenceOf(baseSequence, batch.lastOffsetDelta);
    const entry = this.producers.get(producerId);
    const ahead = pending?.get(producerId);
    const currentEpoch = ahead?.epoch ?? entry?.epoch;
    if (currentEpoch === undefined) return { kind: 'append' };
    if (producerEpoch < currentEpoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${producerId} epoch ${producerEpoch} is older than the current epoch ${currentEpoch} (fenced)`,
      };
    }
    if (!ahead && entry && producerEpoch === entry.epoch) {
      const duplicate = entry.batches.find((b) => b.firstSeq === baseSequence && b.lastSeq === lastSeq);
      if (duplicate) return { kind: 'duplicate', firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
    }
    if (producerEpoch > currentEpoch) {
      if (baseSequence !== 0) {
        return {
          kind: 'error',
          errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${producerId} started epoch ${producerEpoch} at sequence ${baseSequence}, not 0`,
        };
      }
      return { kind: 'append' };
    }
    const previous = ahead?.lastSeq ?? entry!.batches[entry!.batches.length - 1]?.lastSeq;
    if (previous === undefined || inSequence(previous, baseSequence)) return { kind: 'append' };
    return {
      kind: 'error',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message: `producer ${producerId} epoch ${producerEpoch}: expected sequence ${previous === INT32_MAX ? 0 : previous + 1}, got ${baseSequence}`,
    };
  }

  /**
   * Checks the batches of one request (one RecordBatch each) as one sequence: all new and in
   * order, a retry of one batch already in the log (its original offsets), or the error for the
   * whole request. `pending` starts with batches accepted but not yet in the log, if any.
   */
  checkBatches(batches: Buffer[], pending = new Map<number, { epoch: number; lastSeq: number }>()): SequenceCheck {
    return this.checkHeaders(
      batches.map((b) => readBatchHeader(b, 0)),
      pending,
    );
  }

  /** checkBatches on headers already decoded (the produce path decodes each batch once). */
  checkHeaders(batches: readonly ProducerBatch[], pending = new Map<number, { epoch: number; lastSeq: number }>()): SequenceCheck {
    for (const header of batches) {
      if (header.producerId < 0) continue;
      const check = this.check(header, pending);
      if (check.kind === 'error') return check;
      if (check.kind === 'duplicate') {
        // Clients send one batch per partition per request; a retry mixed with new batches would
        // leave no single answer to give, so Kafka's error for it is the honest one.
        if (batches.length === 1) return check;
        return { kind: 'error', errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER, message: 'a retried batch came together with other batches' };
      }
      pending.set(header.producerId, { epoch: header.producerEpoch, lastSeq: lastSequenceOf(header.baseSequence, header.lastOffsetDelta) });
    }
    return { kind: 'append' };
  }

  /** Records a batch that is now in the log at `firstOffset`. */
  record(batch: ProducerBatch, firstOffset: number): void {
    if (batch.producerId < 0) return;
    const lastSeq = lastSequenceOf(batch.baseSequence, batch.lastOffsetDelta);
    const timestamp = batch.maxTimestamp ?? -1;
    let entry = this.producers.get(batch.producerId);
    if (entry) {
      // Re-inserting keeps the map in order of last activity, oldest first, for eviction.
      this.producers.delete(batch.producerId);
      if (batch.producerEpoch !== entry.epoch) entry = { epoch: batch.producerEpoch, lastTimestamp: -1, batches: [] };
    } else {
      entry = { epoch: batch.producerEpoch, lastTimestamp: -1, batches: [] };
    }
    if (timestamp > entry.lastTimestamp) entry.lastTimestamp = timestamp;
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq, firstOffset, lastOffset: firstOffset + batch.lastOffsetDelta });
    if (entry.batches.length > PRODUCER_BATCHES_KEPT) entry.batches.shift();
    this.insert(batch.producerId, entry);
  }

  /**
   * Restores a producer from a snapshot, as the most recently active one so far (snapshots list
   * producers oldest first, so restoring them in order keeps the eviction order).
   */
  restore(producerId: number, entry: ProducerEntry): void {
    this.producers.delete(producerId);
    this.insert(producerId, { epoch: entry.epoch, lastTimestamp: entry.lastTimestamp, batches: entry.batches.map((b) => ({ ...b })) });
  }

  private insert(producerId: number, entry: ProducerEntry): void {
    this.producers.set(producerId, entry);
    if (this.producers.size > this.producersMax) this.producers.delete(this.producers.keys().next().value!);
  }

  /**
   * Forgets every producer whose last batch is `expirationMs` or more older than `nowMs` (Kafka's
   * producer.id.expiration.ms, by the batch timestamps). Returns how many were forgotten.
   */
  expire(nowMs: number, expirationMs: number): number {
    let expired = 0;
    for (const [producerId, entry] of this.producers) {
      if (nowMs - entry.lastTimestamp >= expirationMs) {
        this.producers.delete(producerId);
        expired++;
      }
    }
    return expired;
  }

  /** Every producer, least recently active first (the order snapshots keep). */
  *producerEntries(): IterableIterator<[number, Readonly<ProducerEntry>]> {
    yield* this.producers;
  }

  /** The epoch and last five batches of a producer (tests, admin views). */
  entry(producerId: number): { epoch: number; lastTimestamp: number; batches: BatchSequence[] } | undefined {
    const e = this.producers.get(producerId);
    return e ? { epoch: e.epoch, lastTimestamp: e.lastTimestamp, batches: e.batches.map((b) => ({ ...b })) } : undefined;
  }
}

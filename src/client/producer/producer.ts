// The SDK's producer (issue 13). Records are gathered per partition into batches (closed when
// full, batchBytesMax, or when lingerMs has passed), each partition sends its batches in order
// with at most inflightBatchesPerPartitionMax in flight, and every `send` resolves with where its
// record landed. With idempotence (the default, acks=all) the producer has an id from
// InitProducerId and numbers each partition's batches; after a retriable error the partition
// stops, waits for its batches in flight, and sends the failed ones again with the same
// sequence numbers in the same order, so a retry can neither reorder nor duplicate a record.

import { initProducerId, produce } from '../../protocol/apis/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Bytes, CompressionName, RecordHeaderInput } from '../../protocol/record-batch.ts';
import { Cluster } from '../cluster.ts';
import { ConnectionError } from '../connection.ts';
import { isRetriable, KafkaError, kafkaError } from '../errors.ts';
import { backoffMs, type ClientLimits } from '../limits.ts';
import { keyPartition, StickyPartitioner } from '../partitioner.ts';
import { BATCH_OVERHEAD_BYTES, ProducerBatch, type RecordMetadata, recordFieldBytes } from './batch.ts';
import type { ConnectionSecurity } from '../security.ts';

export type { RecordMetadata };

/** acks=0: nobody answers; 1: the leader wrote it; 'all' (or -1): every in-sync replica has it. */
export type Acks = 0 | 1 | -1 | 'all';

export interface ProducerRecord {
  topic: string;
  /** Records with the same key go to the same partition (murmur2, as the Java client). */
  key?: Bytes | null;
  value: Bytes | null;
  /** Header values by name, or a list (a name may repeat). */
  headers?: Record<string, Bytes | null> | RecordHeaderInput[];
  /** Milliseconds since the epoch; now when omitted. */
  timestamp?: number;
  /** A fixed partition; otherwise chosen from the key, or sticky for records without one. */
  partition?: number;
}

/** `ssl` and `sasl` (KafkaJS's names) secure the connections of the Cluster made from `bootstrap`. */
export interface ProducerOptions extends ConnectionSecurity {
  /** Brokers to start from, as `host:port` (used when `cluster` is not given). */
  bootstrap?: string[];
  /** A Cluster to share with other clients; the producer then does not close it. */
  cluster?: Cluster;
  clientId?: string;
  /** Default 'all'. */
  acks?: Acks;
  /** Default 'none'. */
  compression?: CompressionName;
  /** Default true with acks 'all'; needs acks 'all' (as in the Java client). */
  idempotent?: boolean;
  limits?: Partial<ClientLimits>;
  /** [0, 1) for the sticky partitioner; tests pass a seeded one. */
  random?: () => number;
}

interface PartitionState {
  topic: string;
  partition: number;
  partitions: number;
  /** The batch records are being added to. */
  open: ProducerBatch | null;
  lingerTimer: NodeJS.Timeout | null;
  /** Closed batches waiting to be sent, in order (retries first, by sequence). */
  queue: ProducerBatch[];
  /** Sent and not answered, in send order. */
  inflight: ProducerBatch[];
  /** Failed with a retriable error in this round, sent again once `inflight` is empty. */
  retry: ProducerBatch[];
  /** True from a failure until the round's retries are queued: nothing new is sent meanwhile. */
  blocked: boolean;
  pumping: boolean;
  retryTimer: NodeJS.Timeout | null;
  failuresInRow: number;
  nextSequence: number;
  /** The size of the partition's last batch: the next one's buffer starts that large, so a busy partition's batches do not grow by copying. */
  lastBatchBytes: number;
}

const INT32_MAX = 0x7fffffff;
/** Errors after which the partition's leader must be looked up again. */
const STALE_LEADER = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
]);

/**
 * Sends records to topics. `send` resolves with the record's partition and offset once the
 * broker acknowledged it (as `acks` asks), or rejects with a KafkaError; `flush` waits for
 * everything sent so far; `close` flushes and closes the connections.
 *
 * @example
 * const producer = new Producer({ bootstrap: ['127.0.0.1:9092'] });
 * const { partition, offset } = await producer.send({ topic: 'orders', key: 'o-1', value: '{"total":3}' });
 * await producer.close();
 */
export class Producer {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  private readonly limits: ClientLimits;
  private readonly acks: 0 | 1 | -1;
  private readonly compression: CompressionName;
  private readonly idempotent: boolean;
  private readonly sticky: StickyPartitioner;
  /** By topic, by partition: looked up per record, so without building a key string. */
  private readonly byTopic = new Map<string, PartitionState[]>();
  /** Every partition state, for flush and close. */
  private readonly states: PartitionState[] = [];
  private producerId: Promise<{ id: number; epoch: number }> | null = null;
  private bufferedBytes = 0;
  private readonly bufferWaiters: { bytes: number; resolve: () => void }[] = [];
  private closing = false;

  constructor(options: ProducerOptions) {
    if (!options.cluster && !options.bootstrap) throw new Error('a Producer needs `bootstrap` (host:port list) or a `cluster`');
    this.ownsCluster = !options.cluster;
    this.cluster =
      options.cluster ??
      new Cluster({ bootstrap: options.bootstrap!, ssl: options.ssl, sasl: options.sasl, clientId: options.clientId, limits: options.limits });
    this.limits = { ...this.cluster.limits, ...options.limits };
    const acks = options.acks ?? 'all';
    if (![0, 1, -1, 'all'].includes(acks)) throw new Error(`acks must be 0, 1 or 'all', got ${String(acks)}`);
    this.acks = acks === 'all' ? -1 : acks;
    this.compression = options.compression ?? 'none';
    if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(this.compression)) {
      throw new Error(`compression must be none, gzip, snappy, lz4 or zstd, got ${String(this.compression)}`);
    }
    if (options.idempotent === true && this.acks !== -1) throw new Error("idempotent needs acks 'all'");
    this.idempotent = options.idempotent ?? this.acks === -1;
    this.sticky = new StickyPartitioner(options.random);
  }

  /**
   * Adds a record to its partition's batch and resolves once the broker acknowledged it. Waits
   * while more than limits.bufferBytesMax bytes are unacknowledged (back-pressure). Rejects with
   * a KafkaError: UNKNOWN_TOPIC_OR_PARTITION when the topic does not exist, MESSAGE_TOO_LARGE for
   * a record above batchBytesMax, REQUEST_TIMED_OUT when not acknowledged within deliveryTimeoutMs.
   * Many records at once: `sendBatch` (one promise for all of them).
   */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    let headers: RecordHeaderInput[];
    let bytes: number;
    try {
      this.checkOpen();
      headers = toHeaderList(record.headers);
      bytes = this.checkedBytes(record, headers);
      // The common case, metadata cached and room in the buffer, appends now: no wait.
      const partitions = this.cluster.cachedPartitionCount(record.topic);
      if (partitions !== undefined) {
        const partition = this.partitionFor(record, partitions);
        if (this.tryReserve(bytes)) {
          const batch = this.append(record, headers, bytes, partition, partitions, Date.now());
          const index = batch.count - 1;
          return batch.done.then(() => batch.metadataAt(index));
        }
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.sendWaiting(record, headers, bytes);
  }

  /** `send` when it must wait: for the topic's metadata or for room in the buffer. */
  private async sendWaiting(record: ProducerRecord, headers: RecordHeaderInput[], bytes: number): Promise<RecordMetadata> {
    const partitions = await this.partitionCount(record.topic);
    this.checkOpen(); // close() began while the topic was looked up
    const partition = this.partitionFor(record, partitions);
    if (!this.tryReserve(bytes)) await this.waitForRoom(bytes);
    const batch = this.append(record, headers, bytes, partition, partitions, Date.now());
    const index = batch.count - 1;
    await batch.done;
    return batch.metadataAt(index);
  }

  /**
   * Sends many records as `send` does each, in the order given, and resolves once for all of
   * them, with each record's metadata in that order: one promise and one wait for buffer room
   * per chunk of up to limits.bufferBytesMax bytes instead of one per record (what `runnel
   * bench` uses). Rejects with the first error: a record that cannot be sent (too large, unknown
   * topic or partition) rejects before anything of its chunk is added, though earlier chunks
   * are sent; when a batch fails, records in other batches may have been written.
   */
  async sendBatch(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const n = records.length;
    const batches: ProducerBatch[] = new Array(n);
    const indexes: number[] = new Array(n);
    const bytesOf: number[] = new Array(n);
    const headersOf: RecordHeaderInput[][] = new Array(n);
    const partitionsOf: number[] = new Array(n);
    const pending: Promise<void>[] = [];
    let start = 0;
    while (start < n) {
      this.checkOpen();
      // Sizes, topics and fixed partitions are checked before anything of the chunk is reserved.
      let end = start;
      let chunkBytes = 0;
      let topic: string | null = null;
      let partitions = 0;
      while (end < n) {
        const record = records[end]!;
        const headers = toHeaderList(record.headers);
        const bytes = this.checkedBytes(record, headers);
        if (end > start && chunkBytes + bytes > this.limits.bufferBytesMax) break;
        if (record.topic !== topic) {
          topic = record.topic;
          partitions = this.cluster.cachedPartitionCount(topic) ?? (await this.partitionCount(topic));
        }
        if (record.partition !== undefined) this.partitionFor(record, partitions);
        bytesOf[end] = bytes;
        headersOf[end] = headers;
        partitionsOf[end] = partitions;
        chunkBytes += bytes;
        end++;
      }
      this.checkOpen(); // close() may have begun while a topic was looked up
      // Without a wait when there is room, so a `send` made right after this call cannot come first.
      if (!this.tryReserve(chunkBytes)) await this.waitForRoom(chunkBytes);
      const nowMs = Date.now();
      let last: ProducerBatch | null = null;
      for (let i = start; i < end; i++) {
        const record = records[i]!;
        const partitions = partitionsOf[i]!;
        const batch = this.append(record, headersOf[i]!, bytesOf[i]!, this.partitionFor(record, partitions), partitions, nowMs);
        batches[i] = batch;
        indexes[i] = batch.count - 1;
        if (batch !== last) pending.push(batch.done);
        last = batch;
      }
      start = end;
    }
    await Promise.all(pending);
    const out: RecordMetadata[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = batches[i]!.metadataAt(indexes[i]!);
    return out;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('the producer is closed');
  }

  /** The bytes the record counts as; MESSAGE_TOO_LARGE when it could never be sent, and a bad timestamp named. */
  private checkedBytes(record: ProducerRecord, headers: RecordHeaderInput[]): number {
    const bytes = recordFieldBytes(record.key, record.value, headers);
    if (bytes + BATCH_OVERHEAD_BYTES > this.limits.batchBytesMax || bytes > this.limits.bufferBytesMax) {
      throw kafkaError(ErrorCode.MESSAGE_TOO_LARGE, `a record of ${bytes} bytes to ${record.topic}`, `limits.batchBytesMax is ${this.limits.batchBytesMax}`);
    }
    if (record.timestamp !== undefined && !Number.isSafeInteger(record.timestamp)) {
      throw new RangeError(`record.timestamp must be an integer (ms since the epoch), got ${String(record.timestamp)}`);
    }
    return bytes;
  }

  /** The record's partition: the one it names (checked), its key's, or the sticky one. */
  private partitionFor(record: ProducerRecord, partitions: number): number {
    if (record.partition !== undefined) {
      if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= partitions) {
        throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${record.topic} has no partition ${record.partition} (it has ${partitions})`);
      }
      return record.partition;
    }
    const key = record.key;
    if (key !== null && key !== undefined) return keyPartition(typeof key === 'string' ? Buffer.from(key) : key, partitions);
    return this.sticky.partition(record.topic, partitions);
  }

  /** Writes a record whose bytes are reserved into its partition's open batch; returns the batch. */
  private append(record: ProducerRecord, headers: RecordHeaderInput[], bytes: number, partition: number, partitions: number, nowMs: number): ProducerBatch {
    const state = this.stateOf(record.topic, partition, partitions);
    if (state.open && state.open.bytes + bytes > this.limits.batchBytesMax) this.closeOpen(state);
    if (!state.open) {
      // Sized as the partition's last batch, within an equal share of the buffer so open batches stay bounded.
      const expectedBytes = Math.min(state.lastBatchBytes, Math.floor(this.limits.bufferBytesMax / this.states.length));
      const batch = new ProducerBatch(record.topic, partition, nowMs, Math.max(expectedBytes, 2 * bytes));
      state.open = batch;
      void batch.done.then(() => this.release(batch.bytes - BATCH_OVERHEAD_BYTES));
      state.lingerTimer = setTimeout(() => this.closeOpen(state), this.limits.lingerMs);
    }
    const batch = state.open;
    try {
      batch.add(record.key, record.value, headers, record.timestamp ?? nowMs, bytes);
    } catch (err) {
      this.release(bytes);
      throw err;
    }
    if (batch.bytes >= this.limits.batchBytesMax) this.closeOpen(state);
    return batch;
  }

  /** Sends every batch now (without waiting for lingerMs) and resolves when all records sent so far are acknowledged or failed. */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const state of this.states) {
      if (state.open) this.closeOpen(state);
      for (const b of [...state.queue, ...state.inflight, ...state.retry]) pending.push(b.done);
    }
    await Promise.all(pending);
  }

  /** Flushes, then closes the connections (unless the Cluster was passed in). Later sends reject. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
    for (const state of this.states) if (state.retryTimer) clearTimeout(state.retryTimer);
    if (this.ownsCluster) await this.cluster.close();
  }

  private async partitionCount(topic: string): Promise<number> {
    const meta = await this.cluster.metadata([topic]);
    const info = meta.topics[0]!;
    if (info.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw kafkaError(info.errorCode, `topic ${topic} does not exist: create it with \`runnel topic create ${topic}\``);
    }
    if (info.errorCode !== ErrorCode.NONE) throw kafkaError(info.errorCode, `topic ${topic}`);
    return info.partitions.length;
  }

  private stateOf(topic: string, partition: number, partitions: number): PartitionState {
    let states = this.byTopic.get(topic);
    if (!states) {
      states = [];
      this.byTopic.set(topic, states);
    }
    let state = states[partition];
    if (!state) {
      state = {
        topic,
        partition,
        partitions,
        open: null,
        lingerTimer: null,
        queue: [],
        inflight: [],
        retry: [],
        blocked: false,
        pumping: false,
        retryTimer: null,
        failuresInRow: 0,
        nextSequence: 0,
        lastBatchBytes: 0,
      };
      states[partition] = state;
      this.states.push(state);
    }
    return state;
  }

  /** Counts `bytes` into the buffer when they fit now (nobody waiting before them); false when they must wait. */
  private tryReserve(bytes: number): boolean {
    if (this.bufferWaiters.length === 0 && (this.bufferedBytes + bytes <= this.limits.bufferBytesMax || this.bufferedBytes === 0)) {
      this.bufferedBytes += bytes;
      return true;
    }
    return false;
  }

  /** Waits until `bytes` fit in the buffer and counts them; fails if close() began meanwhile: its flush would not wait for a batch opened now. */
  private async waitForRoom(bytes: number): Promise<void> {
    await this.reserve(bytes);
    if (this.closing) {
      this.release(bytes);
      this.checkOpen();
    }
  }

  private reserve(bytes: number): Promise<void> {
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.bufferWaiters.push({ bytes, resolve }));
  }

  private release(bytes: number): void {
    this.bufferedBytes -= bytes;
    while (this.bufferWaiters.length > 0) {
      const next = this.bufferWaiters[0]!;
      if (this.bufferedBytes + next.bytes > this.limits.bufferBytesMax && this.bufferedBytes > 0) break;
      this.bufferWaiters.shift();
      this.bufferedBytes += next.bytes;
      next.resolve();
    }
  }

  private closeOpen(state: PartitionState): void {
    if (state.lingerTimer) clearTimeout(state.lingerTimer);
    state.lingerTimer = null;
    const batch = state.open;
    if (!batch) return;
    state.open = null;
    state.lastBatchBytes = batch.sizeBytes;
    state.queue.push(batch);
    this.sticky.nextBatch(state.topic, state.partition, state.partitions);
    void this.pump(state);
  }

  private producerIdentity(): Promise<{ id: number; epoch: number }> {
    if (!this.idempotent) return Promise.resolve({ id: -1, epoch: -1 });
    if (!this.producerId) {
      this.producerId = this.initProducerId();
      // A failed attempt is not kept: the next batch asks again.
      this.producerId.catch(() => {
        this.producerId = null;
      });
    }
    return this.producerId;
  }

  private async initProducerId(): Promise<{ id: number; epoch: number }> {
    const answer = await this.cluster.request('any', initProducerId, { transactionalId: null, transactionTimeoutMs: this.limits.deliveryTimeoutMs });
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, 'InitProducerId');
    return { id: answer.producerId, epoch: answer.producerEpoch };
  }

  /** Sends the partition's queued batches in order while it is not blocked and has room in flight. */
  private async pump(state: PartitionState): Promise<void> {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (!state.blocked && state.queue.length > 0 && state.inflight.length < this.limits.inflightBatchesPerPartitionMax) {
        let leader: number;
        let identity: { id: number; epoch: number };
        try {
          identity = await this.producerIdentity();
          leader = await this.cluster.leaderFor(state.topic, state.partition);
        } catch (err) {
          this.expireQueued(state, err as Error);
          if (state.queue.length > 0) {
            state.blocked = true;
            this.retryLater(state);
          }
          return;
        }
        if (state.blocked || state.queue.length === 0) break;
        const batch = state.queue.shift()!;
        if (this.idempotent && batch.baseSequence < 0) {
          batch.baseSequence = state.nextSequence;
          state.nextSequence = (state.nextSequence + batch.count) % (INT32_MAX + 1);
        }
        state.inflight.push(batch);
        void this.produceBatch(state, batch, leader, identity);
      }
    } finally {
      state.pumping = false;
    }
  }

  private async produceBatch(state: PartitionState, batch: ProducerBatch, leader: number, identity: { id: number; epoch: number }): Promise<void> {
    batch.attempts++;
    let records: Buffer;
    try {
      records = batch.encode(this.compression, identity.id, identity.epoch);
    } catch (err) {
      this.finish(state, batch, { code: ErrorCode.INVALID_RECORD, message: (err as Error).message });
      return;
    }
    const body = {
      transactionalId: null,
      acks: this.acks,
      timeoutMs: this.limits.requestTimeoutMs,
      topicData: [{ name: state.topic, partitionData: [{ index: state.partition, records }] }],
    };
    try {
      if (this.acks === 0) {
        await this.cluster.sendWithoutAnswer(leader, produce, body);
        this.finish(state, batch, { code: ErrorCode.NONE, baseOffset: -1, logAppendTimeMs: -1 });
        return;
      }
      const answer = await this.cluster.request(leader, produce, body);
      const p = answer.responses[0]?.partitionResponses[0];
      if (!p) {
        this.finish(state, batch, { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: 'the answer names no partition' });
        return;
      }
      this.finish(state, batch, { code: p.errorCode, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs, message: p.errorMessage });
    } catch (err) {
      if (err instanceof ConnectionError) this.finish(state, batch, { code: ErrorCode.NETWORK_EXCEPTION, message: err.message });
      else this.finish(state, batch, { code: err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR, message: (err as Error).message });
    }
  }

  /** What to do with a batch's answer: acknowledge, keep for the round's retry, or fail it. */
  private finish(
    state: PartitionState,
    batch: ProducerBatch,
    result: { code: number; baseOffset?: number; logAppendTimeMs?: number; message?: string | null },
  ): void {
    state.inflight.splice(state.inflight.indexOf(batch), 1);
    const { code } = result;
    if (code === ErrorCode.NONE || code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      state.failuresInRow = 0;
      batch.resolve(code === ErrorCode.NONE ? (result.baseOffset ?? -1) : -1, result.logAppendTimeMs ?? -1);
    } else {
      // A batch after one that failed in this round is out of order by our own doing: it is retried too.
      const retriable = isRetriable(code) || (code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER && state.blocked);
      if (STALE_LEADER.has(code)) this.cluster.invalidate(state.topic);
      const expired = Date.now() - batch.createdAtMs >= this.limits.deliveryTimeoutMs;
      if (retriable && !expired && this.acks !== 0) {
        state.blocked = true;
        state.retry.push(batch);
      } else {
        const err = expired && retriable ? this.timeoutError(batch, code) : kafkaError(code, `produce to ${state.topic}/${state.partition}`, result.message);
        this.fail(state, batch, err);
      }
    }
    if (state.blocked && state.inflight.length === 0) {
      state.queue.unshift(...state.retry.sort((a, b) => a.baseSequence - b.baseSequence));
      state.retry = [];
      this.retryLater(state);
    } else {
      void this.pump(state);
    }
  }

  /** Fails a batch for good; with idempotence, later batches of the partition move down to fill its sequence numbers. */
  private fail(state: PartitionState, batch: ProducerBatch, err: Error): void {
    if (this.idempotent && batch.baseSequence >= 0) {
      const gap = batch.count;
      for (const b of [...state.inflight, ...state.retry, ...state.queue]) {
        if (b.baseSequence > batch.baseSequence) b.baseSequence -= gap;
      }
      state.nextSequence -= gap;
      // Batches in flight were numbered past the gap; the broker refuses them as out of order, and they go again.
      if (state.inflight.length > 0) state.blocked = true;
    }
    batch.reject(err);
  }

  private timeoutError(batch: ProducerBatch, lastCode: number): KafkaError {
    return kafkaError(
      ErrorCode.REQUEST_TIMED_OUT,
      `${batch.count} record(s) to ${batch.topic}/${batch.partition} not acknowledged within limits.deliveryTimeoutMs (${this.limits.deliveryTimeoutMs} ms, ${batch.attempts} attempts)`,
      `last error ${new KafkaError(lastCode, '').errorName}`,
    );
  }

  /** Fails queued batches older than deliveryTimeoutMs, after `cause` kept them from being sent. */
  private expireQueued(state: PartitionState, cause: Error): void {
    const now = Date.now();
    for (const batch of [...state.queue]) {
      if (now - batch.createdAtMs < this.limits.deliveryTimeoutMs) continue;
      state.queue.splice(state.queue.indexOf(batch), 1);
      const err =
        cause instanceof KafkaError && !cause.retriable
          ? cause
          : this.timeoutError(batch, cause instanceof KafkaError ? cause.code : ErrorCode.NETWORK_EXCEPTION);
      this.fail(state, batch, err);
    }
    // A topic that is gone, or a broker that refuses the producer id, does not come back by waiting.
    if (cause instanceof KafkaError && !cause.retriable) {
      for (const batch of state.queue.splice(0)) this.fail(state, batch, cause);
    }
  }

  /** Unblocks the partition after a backoff that grows with the failures in a row. */
  private retryLater(state: PartitionState): void {
    if (state.retryTimer) return;
    state.failuresInRow++;
    state.retryTimer = setTimeout(
      () => {
        state.retryTimer = null;
        state.blocked = false;
        void this.pump(state);
      },
      backoffMs(state.failuresInRow, this.limits),
    );
  }
}

/** Shared by every record without headers; never written to. */
const NO_HEADERS: RecordHeaderInput[] = [];

function toHeaderList(headers: ProducerRecord['headers']): RecordHeaderInput[] {
  if (!headers) return NO_HEADERS;
  if (Array.isArray(headers)) return headers;
  return Object.entries(headers).map(([key, value]) => ({ key, value }));
}

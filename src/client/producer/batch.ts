// One record batch of the producer: the records of one partition sent (and retried) together,
// each with the promise its `send` returned. The batch keeps its sequence number across
// retries, so a broker that already wrote it answers with the same offsets (idempotence).

import { buildRecordBatch, type CompressionName, type RecordInput } from '../../protocol/record-batch.ts';
import type { KafkaError } from '../errors.ts';

/** Where a record landed: what `Producer.send` resolves with. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks=0 (the broker does not say). */
  offset: number;
  /** The record's timestamp (the one sent, or the broker's with LogAppendTime). */
  timestamp: number;
}

interface Waiter {
  resolve(meta: RecordMetadata): void;
  reject(err: Error): void;
}

/** Bytes a record costs beyond its key, value and headers in a batch (length varints, attributes, deltas). */
export const RECORD_OVERHEAD_BYTES = 22;
/** A batch's header (RecordBatch v2). */
export const BATCH_OVERHEAD_BYTES = 61;

/** The bytes a record is counted as, in the buffer and in a batch. */
export function recordBytes(record: RecordInput): number {
  let n = RECORD_OVERHEAD_BYTES + byteLength(record.key) + byteLength(record.value);
  for (const h of record.headers ?? []) n += Buffer.byteLength(h.key) + byteLength(h.value) + 4;
  return n;
}

function byteLength(data: RecordInput['value'] | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

export class ProducerBatch {
  readonly records: RecordInput[] = [];
  private readonly waiters: Waiter[] = [];
  /** Estimated encoded bytes (before compression). */
  bytes = BATCH_OVERHEAD_BYTES;
  /** Assigned when first sent and kept across retries; -1 until then, or without idempotence. */
  baseSequence = -1;
  attempts = 0;
  private encoded: Buffer | null = null;
  private encodedSequence = -1;
  private settled = false;
  /** Resolves once every record is acknowledged or failed. */
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** When the first record arrived (delivery timeouts count from here). */
    readonly createdAtMs: number,
  ) {
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
  }

  get count(): number {
    return this.records.length;
  }

  add(record: RecordInput, bytes: number, waiter: Waiter): void {
    this.records.push(record);
    this.waiters.push(waiter);
    this.bytes += bytes;
  }

  /** The RecordBatch bytes; built once, and again only when the sequence number changed. */
  encode(compression: CompressionName, producerId: number, producerEpoch: number): Buffer {
    if (this.encoded === null || this.encodedSequence !== this.baseSequence) {
      this.encoded = buildRecordBatch({ records: this.records, compression, producerId, producerEpoch, baseSequence: this.baseSequence });
      this.encodedSequence = this.baseSequence;
    }
    return this.encoded;
  }

  /** Every record acknowledged: offsets follow `baseOffset` (-1 stays -1, for acks=0 and duplicates without offsets). */
  resolve(baseOffset: number, logAppendTimeMs: number): void {
    if (this.settled) return;
    this.settled = true;
    this.waiters.forEach((w, i) => {
      const timestamp = logAppendTimeMs >= 0 ? logAppendTimeMs : (this.records[i]!.timestamp ?? -1);
      w.resolve({ topic: this.topic, partition: this.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, timestamp });
    });
    this.markDone();
  }

  reject(err: KafkaError | Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const w of this.waiters) w.reject(err);
    this.markDone();
  }
}

// One record batch of the producer: the records of one partition sent (and retried) together.
// Records are written into the batch's bytes as they are added (RecordBatchBuilder: no object
// per record is kept), and everyone waiting on them waits on the batch's one `done` promise,
// then reads its record's result with `metadataAt`. The batch keeps its sequence number across
// retries, so a broker that already wrote it answers with the same offsets (idempotence).

import { type Bytes, type CompressionName, RecordBatchBuilder, type RecordHeaderInput, type RecordInput } from '../../protocol/record-batch.ts';
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

/** Bytes a record is counted as beyond its key, value and headers (length varints, attributes, deltas). */
export const RECORD_OVERHEAD_BYTES = 22;
/** A batch's header (RecordBatch v2). */
export const BATCH_OVERHEAD_BYTES = 61;
/**
 * The smallest first buffer of a batch: small batches (low rates, linger) stay small; a busy
 * partition's batch doubles from here up to batchBytesMax, copying its bytes about once more in all.
 */
const BATCH_FIRST_BUFFER_BYTES_MIN = 1024;

/** The bytes a record is counted as, in the buffer and in a batch. */
export function recordBytes(record: RecordInput): number {
  return recordFieldBytes(record.key, record.value, record.headers);
}

/** recordBytes of the fields, without a RecordInput to hold them. */
export function recordFieldBytes(key: Bytes | null | undefined, value: Bytes | null, headers: readonly RecordHeaderInput[] | undefined): number {
  let n = RECORD_OVERHEAD_BYTES + byteLength(key) + byteLength(value);
  if (headers !== undefined) for (const h of headers) n += Buffer.byteLength(h.key) + byteLength(h.value) + 4;
  return n;
}

function byteLength(data: Bytes | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

export class ProducerBatch {
  private readonly builder: RecordBatchBuilder;
  /** Each record's timestamp, for its RecordMetadata. */
  private readonly timestamps: number[] = [];
  /** Estimated encoded bytes (before compression): what the producer's buffer counts. */
  bytes = BATCH_OVERHEAD_BYTES;
  /** Assigned when first sent and kept across retries; -1 until then, or without idempotence. */
  baseSequence = -1;
  attempts = 0;
  private encoded: Buffer | null = null;
  private encodedSequence = -1;
  private settled = false;
  private baseOffset = -1;
  private logAppendTimeMs = -1;
  private error: Error | null = null;
  /** Resolves once every record is acknowledged or failed (never rejects: see metadataAt). */
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** When the first record arrived (delivery timeouts count from here). */
    readonly createdAtMs: number,
    /** The bytes expected (say the partition's previous batch's), to size the first buffer and not grow it. */
    expectedBytes = 0,
  ) {
    this.builder = new RecordBatchBuilder(Math.max(BATCH_FIRST_BUFFER_BYTES_MIN, expectedBytes));
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
  }

  get count(): number {
    return this.timestamps.length;
  }

  /** The encoded size so far, uncompressed, header included. */
  get sizeBytes(): number {
    return this.builder.sizeBytes;
  }

  /** Writes a record into the batch; returns its index in the batch (for metadataAt). */
  add(key: Bytes | null | undefined, value: Bytes | null, headers: readonly RecordHeaderInput[] | undefined, timestamp: number, bytes: number): number {
    if (this.encoded !== null) throw new Error('a producer batch takes no records once encoded');
    this.builder.append(key, value, headers, timestamp);
    this.bytes += bytes;
    return this.timestamps.push(timestamp) - 1;
  }

  /** The RecordBatch bytes; built once, and again (its header) only when the sequence number changed. */
  encode(compression: CompressionName, producerId: number, producerEpoch: number): Buffer {
    if (this.encoded === null || this.encodedSequence !== this.baseSequence) {
      this.encoded = this.builder.finish({ compression, producerId, producerEpoch, baseSequence: this.baseSequence });
      this.encodedSequence = this.baseSequence;
    }
    return this.encoded;
  }

  /** Every record acknowledged: offsets follow `baseOffset` (-1 stays -1, for acks=0 and duplicates without offsets). */
  resolve(baseOffset: number, logAppendTimeMs: number): void {
    if (this.settled) return;
    this.settled = true;
    this.baseOffset = baseOffset;
    this.logAppendTimeMs = logAppendTimeMs;
    this.markDone();
  }

  reject(err: KafkaError | Error): void {
    if (this.settled) return;
    this.settled = true;
    this.error = err;
    this.markDone();
  }

  /** The error the batch failed with, once settled; null when acknowledged. */
  get failure(): Error | null {
    return this.error;
  }

  /** Where record `index` landed, once `done`; throws the batch's error when it failed. */
  metadataAt(index: number): RecordMetadata {
    if (this.error !== null) throw this.error;
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.baseOffset < 0 ? -1 : this.baseOffset + index,
      timestamp: this.logAppendTimeMs >= 0 ? this.logAppendTimeMs : this.timestamps[index]!,
    };
  }
}

// Kafka RecordBatch v2 (magic 2), as in the Kafka implementation notes §5.3.
//
// RecordBatch =>
//   baseOffset: int64            (offset 0)
//   batchLength: int32           (offset 8; bytes that follow this field)
//   partitionLeaderEpoch: int32  (offset 12; not covered by the CRC)
//   magic: int8                  (offset 16; 2)
//   crc: uint32                  (offset 17; CRC-32C of attributes..end)
//   attributes: int16            (offset 21; bits 0-2 compression, 3 timestampType,
//                                 4 isTransactional, 5 isControlBatch, 6 hasDeleteHorizonMs)
//   lastOffsetDelta: int32       (offset 23)
//   baseTimestamp: int64         (offset 27)
//   maxTimestamp: int64          (offset 35)
//   producerId: int64            (offset 43)
//   producerEpoch: int16         (offset 51)
//   baseSequence: int32          (offset 53)
//   recordsCount: int32          (offset 57)
//   records: [Record]            (offset 61; compressed as one blob when compression != 0)
//
// Record =>
//   length: varint, attributes: int8, timestampDelta: varlong, offsetDelta: varint,
//   keyLength: varint, key: bytes, valueLength: varint, value: bytes,
//   headersCount: varint, [headerKeyLength: varint, headerKey: utf8,
//                          headerValueLength: varint, headerValue: bytes]
// Varints are zigzag-encoded like protobuf's sint32/sint64; a length of -1 means null.
//
// On the produce and fetch paths the broker only reads the header and rewrites baseOffset and
// partitionLeaderEpoch in place (the CRC does not cover them); it never decompresses there.
// findRecordTime reads into a batch, decompressing it with a bound, for ListOffsets by
// timestamp. buildRecordBatch and decodeRecords serve our SDK, CLI, internal topics and tests.
//
// This file imports nothing of ours outside src/protocol.

import { crc32c } from './crc32c.ts';
import {
  COMPRESSION_GZIP,
  COMPRESSION_LZ4,
  COMPRESSION_NONE,
  COMPRESSION_SNAPPY,
  COMPRESSION_ZSTD,
  compressRecords,
  decompressRecords,
} from './compression.ts';

export { COMPRESSION_GZIP, COMPRESSION_LZ4, COMPRESSION_NONE, COMPRESSION_SNAPPY, COMPRESSION_ZSTD };

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;
/** Size of the fixed batch header, up to and including recordsCount. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD_BYTES = 12;
/** The smallest legal batchLength: a header with no records. */
export const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
export const CURRENT_MAGIC = 2;

export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_TIMESTAMP_TYPE = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;
export const ATTRIBUTE_DELETE_HORIZON = 0x40;

const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionName = (typeof COMPRESSION_NAMES)[number];

/** Kafka error codes that validateBatches can answer with (reference/kafka-error-codes.tsv). */
export const ERROR_CORRUPT_MESSAGE = 2;
export const ERROR_MESSAGE_TOO_LARGE = 10;
export const ERROR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43;
export const ERROR_INVALID_RECORD = 87;

/** Producer id of a non-idempotent producer. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

const TWO_POW_32 = 4294967296;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * A batch with its header decoded once: on the produce path validation decodes it, and the
 * producer check, the append and the producer state read the fields from here instead of the
 * bytes again.
 */
export interface BatchView extends BatchHeader {
  /** The batch bytes (a view into the blob it came in, not a copy). */
  buf: Buffer;
}

/** Decodes the header of the batch that `buf` holds (the whole of it) into a BatchView. */
export function batchView(buf: Buffer): BatchView {
  const view = readBatchHeader(buf, 0) as BatchView;
  view.buf = buf;
  return view;
}

/** One batch of a validated records blob. */
export interface BatchInfo extends BatchView {
  /** Byte position of the batch inside the blob that was validated. */
  position: number;
  /** Total bytes of the batch: LOG_OVERHEAD_BYTES + batchLength. */
  sizeBytes: number;
}

export type ValidateResult = { ok: true; batches: BatchInfo[] } | { ok: false; errorCode: number; message: string };

/** Reads a signed int64 as a JS number (exact up to 2^53, which covers offsets and times). */
export function readInt64(buf: Uint8Array, pos: number): number {
  const hi = (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
  const lo = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
  return hi * TWO_POW_32 + lo;
}

/** Writes a JS integer as a signed int64. */
export function writeInt64(buf: Uint8Array, pos: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`int64 value ${value} is not a safe integer`);
  const hi = Math.floor(value / TWO_POW_32);
  const lo = value - hi * TWO_POW_32;
  buf[pos] = (hi >>> 24) & 0xff;
  buf[pos + 1] = (hi >>> 16) & 0xff;
  buf[pos + 2] = (hi >>> 8) & 0xff;
  buf[pos + 3] = hi & 0xff;
  buf[pos + 4] = (lo >>> 24) & 0xff;
  buf[pos + 5] = (lo >>> 16) & 0xff;
  buf[pos + 6] = (lo >>> 8) & 0xff;
  buf[pos + 7] = lo & 0xff;
}

/**
 * A big-endian int32, as Buffer.readInt32BE but without its argument checks (they were a per cent
 * of a simulator run in the segment scans): the caller has checked that the four bytes are there.
 */
export function readInt32(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3];
}

function writeInt32(buf: Uint8Array, pos: number, value: number): void {
  buf[pos] = (value >>> 24) & 0xff;
  buf[pos + 1] = (value >>> 16) & 0xff;
  buf[pos + 2] = (value >>> 8) & 0xff;
  buf[pos + 3] = value & 0xff;
}

/** A big-endian int16, as Buffer.readInt16BE (see readInt32). */
export function readInt16(buf: Uint8Array, pos: number): number {
  return (((buf[pos] << 8) | buf[pos + 1]) << 16) >> 16;
}

/**
 * Reads the fixed header of the batch starting at `pos`. The caller guarantees that
 * BATCH_HEADER_BYTES bytes are available; nothing is validated here.
 */
export function readBatchHeader(buf: Uint8Array, pos: number): BatchHeader {
  if (pos < 0 || pos + BATCH_HEADER_BYTES > buf.length) {
    throw new RangeError(`readBatchHeader: need ${BATCH_HEADER_BYTES} bytes at ${pos}, have ${buf.length - pos}`);
  }
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET_OFFSET),
    batchLength: readInt32(buf, pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: readInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: (buf[pos + MAGIC_OFFSET] << 24) >> 24,
    crc: readInt32(buf, pos + CRC_OFFSET) >>> 0,
    attributes: readInt16(buf, pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: readInt32(buf, pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: readInt16(buf, pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: readInt32(buf, pos + BASE_SEQUENCE_OFFSET),
    recordCount: readInt32(buf, pos + RECORDS_COUNT_OFFSET),
  };
}

/** Total size of the batch at `pos` (baseOffset + batchLength fields included). */
export function batchSizeAt(buf: Uint8Array, pos: number): number {
  return LOG_OVERHEAD_BYTES + readInt32(buf, pos + BATCH_LENGTH_OFFSET);
}

/** True when the stored CRC matches the bytes from attributes to the end of the batch. */
export function batchCrcIsValid(buf: Uint8Array, pos: number, sizeBytes: number): boolean {
  const stored = readInt32(buf, pos + CRC_OFFSET) >>> 0;
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, pos + sizeBytes) === stored;
}

export function setBaseOffset(buf: Uint8Array, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, offset);
}

export function setPartitionLeaderEpoch(buf: Uint8Array, pos: number, epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < -1 || epoch > 0x7fffffff) {
    throw new RangeError(`partitionLeaderEpoch ${epoch} does not fit an int32`);
  }
  writeInt32(buf, pos + PARTITION_LEADER_EPOCH_OFFSET, epoch);
}

/**
 * message.timestamp.type=LogAppendTime: stamps the batch with the broker's time as Kafka's
 * LogValidator does for v2 batches: the max timestamp becomes `nowMs`, the attributes say
 * LOG_APPEND_TIME (consumers then read every record's timestamp as the max timestamp), and the
 * CRC, which covers both, is computed again. The record bytes are not touched, so a compressed
 * batch is not decompressed. Updates the view's decoded header to match.
 */
export function stampLogAppendTime(view: BatchView, nowMs: number): void {
  const buf = view.buf;
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, nowMs);
  const attributes = view.attributes | ATTRIBUTE_TIMESTAMP_TYPE;
  buf[ATTRIBUTES_OFFSET] = (attributes >>> 8) & 0xff;
  buf[ATTRIBUTES_OFFSET + 1] = attributes & 0xff;
  const crc = crc32c(buf, ATTRIBUTES_OFFSET, buf.length);
  writeInt32(buf, CRC_OFFSET, crc);
  view.attributes = attributes;
  view.maxTimestamp = nowMs;
  view.crc = readInt32(buf, CRC_OFFSET) >>> 0;
}

export function compressionOf(attributes: number): number {
  return attributes & ATTRIBUTE_COMPRESSION_MASK;
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown(${codec})`;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTRIBUTE_TRANSACTIONAL) !== 0;
}

/**
 * Splits a Produce request's `records` blob into RecordBatch v2 batches and checks each:
 * magic 2, a sane batchLength, no trailing partial batch, the CRC-32C, and (as Kafka's
 * LogValidator does for client appends) recordCount >= 1 with lastOffsetDelta equal to
 * recordCount - 1. Magic 0 and 1 (the old message sets) answer
 * UNSUPPORTED_FOR_MESSAGE_FORMAT; a batch above maxBatchBytes answers MESSAGE_TOO_LARGE.
 * Nothing is decompressed.
 */
export function validateBatches(records: Buffer, maxBatchBytes: number): ValidateResult {
  const batches: BatchInfo[] = [];
  let pos = 0;
  if (records.length === 0) {
    return { ok: false, errorCode: ERROR_CORRUPT_MESSAGE, message: 'empty records' };
  }
  while (pos < records.length) {
    const remaining = records.length - pos;
    if (remaining <= MAGIC_OFFSET) {
      return fail(ERROR_CORRUPT_MESSAGE, `truncated batch header at ${pos} (${remaining} bytes left)`);
    }
    const magic = records[pos + MAGIC_OFFSET];
    if (magic === 0 || magic === 1) {
      return fail(ERROR_UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format magic ${magic} is not supported`);
    }
    if (magic !== CURRENT_MAGIC) return fail(ERROR_CORRUPT_MESSAGE, `unknown magic ${magic} at ${pos}`);
    const batchLength = readInt32(records, pos + BATCH_LENGTH_OFFSET);
    if (batchLength < BATCH_LENGTH_MIN) {
      return fail(ERROR_CORRUPT_MESSAGE, `batchLength ${batchLength} below the minimum ${BATCH_LENGTH_MIN}`);
    }
    const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
    if (sizeBytes > maxBatchBytes) {
      return fail(ERROR_MESSAGE_TOO_LARGE, `batch of ${sizeBytes} bytes exceeds the limit of ${maxBatchBytes}`);
    }
    if (sizeBytes > remaining) {
      return fail(ERROR_CORRUPT_MESSAGE, `batch of ${sizeBytes} bytes at ${pos} but only ${remaining} bytes left`);
    }
    if (!batchCrcIsValid(records, pos, sizeBytes)) {
      return fail(ERROR_CORRUPT_MESSAGE, `CRC-32C mismatch in the batch at ${pos}`);
    }
    const header = readBatchHeader(records, pos);
    if (header.recordCount < 1) {
      return fail(ERROR_INVALID_RECORD, `batch at ${pos} reports ${header.recordCount} records`);
    }
    if (header.lastOffsetDelta !== header.recordCount - 1) {
      return fail(ERROR_INVALID_RECORD, `batch at ${pos}: lastOffsetDelta ${header.lastOffsetDelta} does not match ${header.recordCount} records`);
    }
    batches.push({ ...header, position: pos, sizeBytes, buf: records.subarray(pos, pos + sizeBytes) });
    pos += sizeBytes;
  }
  return { ok: true, batches };
}

function fail(errorCode: number, message: string): ValidateResult {
  return { ok: false, errorCode, message };
}

// ---------------------------------------------------------------------------------
// Building and decoding records (SDK, CLI, internal topics, tests; ListOffsets by timestamp).

export type Bytes = Buffer | Uint8Array | string;

export interface RecordHeaderInput {
  key: string;
  value: Bytes | null;
}

export interface RecordInput {
  key?: Bytes | null;
  value: Bytes | null;
  headers?: RecordHeaderInput[];
  /** Milliseconds since the epoch; defaults to Date.now(). */
  timestamp?: number;
  /** Defaults to the record's index in the batch. Must increase within a batch. */
  offsetDelta?: number;
}

export interface BuildBatchOptions extends FinishBatchOptions {
  records: RecordInput[];
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  attributes: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  sizeBytes: number;
  records: DecodedRecord[];
}

/** The largest batch buildRecordBatch will produce, so a mistake cannot allocate without bound. */
export const BUILD_BATCH_BYTES_MAX = 256 * 1024 * 1024;
/** What decodeRecords and decodeBatches decompress a batch's records to at most, unless told. */
export const DECODE_UNCOMPRESSED_BYTES_MAX = BUILD_BATCH_BYTES_MAX;

export interface DecodeOptions {
  /** A compressed batch whose records could decompress to more is refused (DecompressLimitError). */
  uncompressedBytesMax?: number;
}
/** Records and headers counts above this in a batch being decoded are treated as corruption. */
const DECODE_COUNT_MAX = 1 << 24;

/** Zigzag varints of values in [-2^30, 2^30) fit an int32 and are written with bit operations. */
const SMALL_VARINT_LIMIT = 0x40000000;

/** Bytes of the zigzag varint of a safe integer (Kafka's varint and varlong alike). */
function varintSize(value: number): number {
  if (value >= -SMALL_VARINT_LIMIT && value < SMALL_VARINT_LIMIT) {
    const z = ((value << 1) ^ (value >> 31)) >>> 0;
    return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
  }
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

/** Writes the zigzag varint of a safe integer at `pos`; returns the position after it. The caller made room (varintSize). */
function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -SMALL_VARINT_LIMIT && value < SMALL_VARINT_LIMIT) {
    let z = ((value << 1) ^ (value >> 31)) >>> 0;
    while (z >= 0x80) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[pos++] = z;
    return pos;
  }
  if (!Number.isSafeInteger(value)) throw new RangeError(`varint value ${value} is not a safe integer`);
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

function bytesLength(data: Bytes): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
}

/** Bytes of a nullable length-prefixed field (-1 for null). */
function nullableBytesSize(data: Bytes | null | undefined): number {
  if (data === null || data === undefined) return 1;
  const n = bytesLength(data);
  return varintSize(n) + n;
}

/** Writes a nullable length-prefixed field at `pos`; returns the position after it. */
function writeNullableBytes(buf: Buffer, pos: number, data: Bytes | null | undefined): number {
  if (data === null || data === undefined) {
    buf[pos] = 1; // zigzag(-1)
    return pos + 1;
  }
  if (typeof data === 'string') {
    const n = Buffer.byteLength(data, 'utf8');
    pos = writeVarint(buf, pos, n);
    return pos + buf.write(data, pos, n, 'utf8');
  }
  pos = writeVarint(buf, pos, data.byteLength);
  buf.set(data, pos);
  return pos + data.byteLength;
}

/** What turns a builder's records into a batch: everything of the header that is not about the records. */
export interface FinishBatchOptions {
  baseOffset?: number;
  compression?: CompressionName;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  /** 'log-append' sets the timestampType attribute bit (LogAppendTime). */
  timestampType?: 'create' | 'log-append';
}

/** A builder's first buffer when not told: below Buffer.poolSize / 2, so it is cut from Node's shared pool. */
const BUILDER_FIRST_BYTES = 512;

/**
 * Writes the records of one RecordBatch v2 straight into one buffer as they are appended:
 * varints in place, keys and values copied once, no object per record. The first 61 bytes are
 * left for the header, which `finish` writes (with the CRC) once the producer id and sequence
 * are known, so an uncompressed batch is never copied again. The buffer doubles when full (up
 * to BUILD_BATCH_BYTES_MAX). buildRecordBatch and the SDK producer both build through it.
 */
export class RecordBatchBuilder {
  private buf: Buffer;
  /** Where the next record goes. */
  private pos = BATCH_HEADER_BYTES;
  private recordCount = 0;
  private lastOffsetDelta = -1;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  /** `capacityBytes`: the expected batch size (header included); a good guess saves the copies of growing. */
  constructor(capacityBytes = BUILDER_FIRST_BYTES) {
    this.buf = Buffer.allocUnsafe(Math.min(Math.max(capacityBytes, BATCH_HEADER_BYTES + 16), BUILD_BATCH_BYTES_MAX));
  }

  get count(): number {
    return this.recordCount;
  }

  /** The batch's size so far, uncompressed, header included. */
  get sizeBytes(): number {
    return this.pos;
  }

  /** The bytes of the builder's buffer (what a finished uncompressed batch keeps alive). */
  get capacityBytes(): number {
    return this.buf.length;
  }

  /**
   * Appends one record. `timestamp` is in ms since the epoch; `offsetDelta` defaults to the
   * next one and must increase. Throws RangeError (and appends nothing) when it does not, or
   * when the batch would pass BUILD_BATCH_BYTES_MAX.
   */
  append(
    key: Bytes | null | undefined,
    value: Bytes | null,
    headers: readonly RecordHeaderInput[] | undefined,
    timestamp: number,
    offsetDelta = this.lastOffsetDelta + 1,
  ): void {
    if (!(Number.isInteger(offsetDelta) && offsetDelta > this.lastOffsetDelta)) {
      throw new RangeError(`record ${this.recordCount}: offsetDelta ${offsetDelta} must be greater than ${this.lastOffsetDelta}`);
    }
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`record ${this.recordCount}: timestamp ${timestamp} is not a safe integer`);
    const first = this.recordCount === 0;
    const timestampDelta = first ? 0 : timestamp - this.baseTimestamp;
    const headerCount = headers === undefined ? 0 : headers.length;
    let size = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + nullableBytesSize(key) + nullableBytesSize(value) + varintSize(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      size += nullableBytesSize(header.key) + nullableBytesSize(header.value);
    }
    const end = this.pos + varintSize(size) + size;
    if (end > this.buf.length) this.grow(end);
    const buf = this.buf;
    let pos = writeVarint(buf, this.pos, size);
    buf[pos++] = 0; // attributes: unused by records
    pos = writeVarint(buf, pos, timestampDelta);
    pos = writeVarint(buf, pos, offsetDelta);
    pos = writeNullableBytes(buf, pos, key);
    pos = writeNullableBytes(buf, pos, value);
    pos = writeVarint(buf, pos, headerCount);
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      pos = writeNullableBytes(buf, pos, header.key);
      pos = writeNullableBytes(buf, pos, header.value);
    }
    this.pos = pos;
    if (first) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) {
      this.maxTimestamp = timestamp;
    }
    this.lastOffsetDelta = offsetDelta;
    this.recordCount++;
  }

  private grow(needed: number): void {
    if (needed > BUILD_BATCH_BYTES_MAX) throw new RangeError(`record batch exceeds ${BUILD_BATCH_BYTES_MAX} bytes`);
    const next = Buffer.allocUnsafe(Math.min(Math.max(needed, this.buf.length * 2), BUILD_BATCH_BYTES_MAX));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * The batch with its header and CRC-32C. Uncompressed, the answer is a view of the builder's
   * buffer: finishing again (say with another baseSequence, for a retry) rewrites its header in
   * place, and appending after finishing is allowed. Compressed, it is a new buffer each time.
   */
  finish(options: FinishBatchOptions = {}): Buffer {
    if (this.recordCount === 0) throw new RangeError('a record batch needs at least one record');
    const codec = COMPRESSION_NAMES.indexOf(options.compression ?? 'none');
    if (codec === -1) throw new Error(`unsupported compression: ${String(options.compression)}`);
    let attributes = codec;
    if (options.timestampType === 'log-append') attributes |= ATTRIBUTE_TIMESTAMP_TYPE;
    if (options.isTransactional) attributes |= ATTRIBUTE_TRANSACTIONAL;
    if (options.isControl) attributes |= ATTRIBUTE_CONTROL;
    let out: Buffer;
    if (codec === COMPRESSION_NONE) {
      out = this.buf.subarray(0, this.pos);
    } else {
      const compressed = compressRecords(codec, this.buf.subarray(BATCH_HEADER_BYTES, this.pos));
      out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + compressed.length);
      out.set(compressed, RECORDS_OFFSET);
    }
    writeInt64(out, BASE_OFFSET_OFFSET, options.baseOffset ?? 0);
    writeInt32(out, BATCH_LENGTH_OFFSET, out.length - LOG_OVERHEAD_BYTES);
    writeInt32(out, PARTITION_LEADER_EPOCH_OFFSET, options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH);
    out[MAGIC_OFFSET] = CURRENT_MAGIC;
    out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
    writeInt32(out, LAST_OFFSET_DELTA_OFFSET, this.lastOffsetDelta);
    writeInt64(out, BASE_TIMESTAMP_OFFSET, this.baseTimestamp);
    writeInt64(out, MAX_TIMESTAMP_OFFSET, this.maxTimestamp);
    writeInt64(out, PRODUCER_ID_OFFSET, options.producerId ?? NO_PRODUCER_ID);
    out.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
    writeInt32(out, BASE_SEQUENCE_OFFSET, options.baseSequence ?? NO_SEQUENCE);
    writeInt32(out, RECORDS_COUNT_OFFSET, this.recordCount);
    writeInt32(out, CRC_OFFSET, crc32c(out, ATTRIBUTES_OFFSET, out.length));
    return out;
  }
}

/** Unused bytes buildRecordBatch leaves behind a batch at most; above, it copies the batch to its size. */
const BUILD_SLACK_BYTES_MAX = 1024;

/** An upper bound of a record's encoded bytes, to size a builder (exact unless timestamps are far apart). */
function recordSizeGuess(r: RecordInput): number {
  let n = 24 + (r.key === null || r.key === undefined ? 0 : bytesLength(r.key)) + (r.value === null ? 0 : bytesLength(r.value));
  for (const h of r.headers ?? []) n += 10 + bytesLength(h.key) + (h.value === null ? 0 : bytesLength(h.value));
  return n;
}

/** Builds one RecordBatch v2 with a valid CRC-32C. */
export function buildRecordBatch(options: BuildBatchOptions): Buffer {
  const inputs = options.records;
  if (inputs.length === 0) throw new RangeError('a record batch needs at least one record');
  const now = Date.now();
  let capacity = BATCH_HEADER_BYTES;
  for (const r of inputs) capacity += recordSizeGuess(r);
  const builder = new RecordBatchBuilder(capacity);
  for (const r of inputs) builder.append(r.key, r.value, r.headers, r.timestamp ?? now, r.offsetDelta);
  const batch = builder.finish(options);
  // Batches built here may be kept long (internal topics, logs in tests): not with the guess's slack behind them.
  return builder.capacityBytes - batch.length > BUILD_SLACK_BYTES_MAX ? Buffer.from(batch) : batch;
}

/** Reads zigzag varints from a buffer, throwing on anything that runs past the end. */
class VarintReader {
  pos: number;
  private readonly buf: Buffer;
  constructor(buf: Buffer, start: number) {
    this.buf = buf;
    this.pos = start;
  }

  get length(): number {
    return this.buf.length;
  }

  /** The bytes read (a batch's records, decompressed when the batch is compressed). */
  get bytes(): Buffer {
    return this.buf;
  }

  varint(): number {
    // Values whose zigzag fits 28 bits (up to four bytes: lengths, deltas) are read with bit operations.
    const buf = this.buf;
    let pos = this.pos;
    let z = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= buf.length) throw new RangeError('varint runs past the end of the records');
      const b = buf[pos++]!;
      z |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return (z >>> 1) ^ -(z & 1);
      }
    }
    return this.longVarint();
  }

  private longVarint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new RangeError('varint runs past the end of the records');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      multiplier *= 0x80;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  int8(): number {
    if (this.pos >= this.buf.length) throw new RangeError('record runs past the end of the records');
    return this.buf[this.pos++];
  }

  /** Steps over a nullable length-prefixed field; returns its length (-1 for null), its bytes start at `pos - length`. */
  skipBytes(): number {
    const length = this.varint();
    if (length < -1) throw new RangeError(`negative length ${length}`);
    if (length > 0) {
      if (this.pos + length > this.buf.length) throw new RangeError('bytes run past the end of the records');
      this.pos += length;
    }
    return length;
  }

  nullableBytes(): Buffer | null {
    const length = this.varint();
    if (length < -1) throw new RangeError(`negative length ${length}`);
    if (length === -1) return null;
    if (this.pos + length > this.buf.length) throw new RangeError('bytes run past the end of the records');
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return out;
  }
}

/**
 * Decodes the records of one batch (any codec) with absolute offsets. Keys, values and
 * header values are copies, so they outlive the input buffer.
 */
export function decodeRecords(batchBuf: Buffer, opts: DecodeOptions = {}): DecodedRecord[] {
  return decodeBatchAt(batchBuf, 0, opts.uncompressedBytesMax ?? DECODE_UNCOMPRESSED_BYTES_MAX).records;
}

/**
 * Decodes every complete batch in `buf`, in order. A trailing partial batch (a Fetch
 * response may end with one) is skipped, as Kafka clients do.
 */
export function decodeBatches(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  const uncompressedBytesMax = opts.uncompressedBytesMax ?? DECODE_UNCOMPRESSED_BYTES_MAX;
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= buf.length) {
    const sizeBytes = batchSizeAt(buf, pos);
    if (sizeBytes < BATCH_HEADER_BYTES) throw new RangeError(`bad batchLength at ${pos}`);
    if (pos + sizeBytes > buf.length) break;
    out.push(decodeBatchAt(buf, pos, uncompressedBytesMax));
    pos += sizeBytes;
  }
  return out;
}

/** Checks a batch's header against the bytes it came in; returns the batch's size. */
function checkBatchHeader(buf: Buffer, pos: number, header: BatchHeader): number {
  if (header.magic !== CURRENT_MAGIC) throw new Error(`unsupported magic ${header.magic}`);
  const sizeBytes = LOG_OVERHEAD_BYTES + header.batchLength;
  if (header.batchLength < BATCH_LENGTH_MIN || pos + sizeBytes > buf.length) {
    throw new RangeError(`batch at ${pos} claims ${sizeBytes} bytes, ${buf.length - pos} available`);
  }
  if (header.recordCount < 0 || header.recordCount > DECODE_COUNT_MAX) {
    throw new RangeError(`batch at ${pos} claims ${header.recordCount} records`);
  }
  return sizeBytes;
}

/** A batch's header and a reader at its first record, decompressed when it is compressed. */
function openBatch(
  buf: Buffer,
  pos: number,
  uncompressedBytesMax: number,
  header = readBatchHeader(buf, pos),
): { header: BatchHeader; sizeBytes: number; reader: VarintReader } {
  const sizeBytes = checkBatchHeader(buf, pos, header);
  const codec = compressionOf(header.attributes);
  if (codec === COMPRESSION_NONE) {
    return { header, sizeBytes, reader: new VarintReader(buf.subarray(0, pos + sizeBytes), pos + RECORDS_OFFSET) };
  }
  const records = decompressRecords(codec, buf.subarray(pos + RECORDS_OFFSET, pos + sizeBytes), uncompressedBytesMax);
  return { header, sizeBytes, reader: new VarintReader(records, 0) };
}

/** Reads a record's length and the fields before its key; returns where the record ends. */
function readRecordStart(reader: VarintReader, header: BatchHeader, index: number): { end: number; attributes: number; offset: number; timestamp: number } {
  const length = reader.varint();
  const end = reader.pos + length;
  if (length < 0 || end > reader.length) throw new RangeError(`record ${index} length ${length} is out of range`);
  const attributes = reader.int8();
  const timestampDelta = reader.varint();
  const offsetDelta = reader.varint();
  const logAppendTime = (header.attributes & ATTRIBUTE_TIMESTAMP_TYPE) !== 0;
  return {
    end,
    attributes,
    offset: header.baseOffset + offsetDelta,
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
  };
}

export interface RecordTime {
  offset: number;
  timestamp: number;
}

/**
 * The first record of the batch at the start of `batchBuf` (any codec) for which `accept`
 * says yes, or null. Reads only each record's offset and timestamp, so it allocates nothing
 * per record beyond the decompressed records. Throws on a malformed batch, DecompressError on
 * malformed compressed data, and DecompressLimitError when the records could decompress to
 * more than `uncompressedBytesMax`.
 */
export function findRecordTime(batchBuf: Buffer, uncompressedBytesMax: number, accept: (record: RecordTime) => boolean): RecordTime | null {
  const { header, reader } = openBatch(batchBuf, 0, uncompressedBytesMax);
  for (let i = 0; i < header.recordCount; i++) {
    const { end, offset, timestamp } = readRecordStart(reader, header, i);
    if (accept({ offset, timestamp })) return { offset, timestamp };
    reader.pos = end;
  }
  return null;
}

/**
 * Where the fields of a record are, as walkBatches reads them: one object reused for every
 * record (copy what you keep). Positions index `bytes`, the batch's records (decompressed when
 * the batch is compressed); a length of -1 means null. Nothing is copied or allocated per record
 * here, so a reader pays only for the fields it takes (see readRecordHeaders).
 */
export class RecordCursor {
  bytes: Buffer = Buffer.alloc(0);
  /** The index of the record in its batch. */
  index = 0;
  offset = 0;
  timestamp = 0;
  attributes = 0;
  keyAt = 0;
  keyLength = -1;
  valueAt = 0;
  valueLength = -1;
  headersAt = 0;
  headerCount = 0;
  /** Bytes of the headers, their lengths included. */
  headersLength = 0;
}

/**
 * Reads every complete batch in `buf` in order, as decodeBatches does (a trailing partial batch
 * is skipped; a malformed one throws): `onBatch` gets each header, and, when it returns true,
 * `onRecord` gets each of its records through one reused RecordCursor, until it returns false
 * (the rest of that batch is skipped). For readers that build their own record objects (the SDK
 * consumer, a WebSocket tail) without a DecodedRecord in between.
 */
export function walkBatches(
  buf: Buffer,
  opts: DecodeOptions,
  onBatch: (header: BatchHeader, sizeBytes: number) => boolean,
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing reads on; only false stops.
  onRecord: (record: RecordCursor) => boolean | void,
): void {
  const uncompressedBytesMax = opts.uncompressedBytesMax ?? DECODE_UNCOMPRESSED_BYTES_MAX;
  const cursor = new RecordCursor();
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= buf.length) {
    const sizeBytes = batchSizeAt(buf, pos);
    if (sizeBytes < BATCH_HEADER_BYTES) throw new RangeError(`bad batchLength at ${pos}`);
    if (pos + sizeBytes > buf.length) break;
    walkBatchAt(buf, pos, uncompressedBytesMax, cursor, onBatch, onRecord);
    pos += sizeBytes;
  }
}

function walkBatchAt(
  buf: Buffer,
  pos: number,
  uncompressedBytesMax: number,
  cursor: RecordCursor,
  onBatch: (header: BatchHeader, sizeBytes: number) => boolean,
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing reads on; only false stops.
  onRecord: (record: RecordCursor) => boolean | void,
): void {
  const header = readBatchHeader(buf, pos);
  if (!onBatch(header, checkBatchHeader(buf, pos, header))) return;
  const { reader } = openBatch(buf, pos, uncompressedBytesMax, header);
  cursor.bytes = reader.bytes;
  const logAppendTime = (header.attributes & ATTRIBUTE_TIMESTAMP_TYPE) !== 0;
  for (let i = 0; i < header.recordCount; i++) {
    const length = reader.varint();
    const end = reader.pos + length;
    if (length < 0 || end > reader.length) throw new RangeError(`record ${i} length ${length} is out of range`);
    cursor.index = i;
    cursor.attributes = reader.int8();
    const timestampDelta = reader.varint();
    cursor.offset = header.baseOffset + reader.varint();
    cursor.timestamp = logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta;
    const keyLength = reader.skipBytes();
    cursor.keyLength = keyLength;
    cursor.keyAt = reader.pos - Math.max(keyLength, 0);
    const valueLength = reader.skipBytes();
    cursor.valueLength = valueLength;
    cursor.valueAt = reader.pos - Math.max(valueLength, 0);
    const headerCount = reader.varint();
    if (headerCount < 0 || headerCount > DECODE_COUNT_MAX) throw new RangeError(`record ${i}: ${headerCount} headers`);
    const headersAt = reader.pos;
    for (let h = 0; h < headerCount; h++) {
      if (reader.skipBytes() === -1) throw new RangeError(`record ${i}: null header key`);
      reader.skipBytes();
    }
    if (reader.pos !== end) throw new RangeError(`record ${i}: its length does not match its fields`);
    cursor.headerCount = headerCount;
    cursor.headersAt = headersAt;
    cursor.headersLength = end - headersAt;
    // false: the reader wants no more of this batch (the rest is not even walked).
    if (onRecord(cursor) === false) return;
  }
}

/**
 * The headers of the record a RecordCursor is at (`bytes`, `at` and `count` from it). Values are
 * copies when `copy`, else views into `bytes`. The cursor's walk checked their lengths.
 */
export function readRecordHeaders(bytes: Buffer, at: number, count: number, copy: boolean): RecordHeader[] {
  const headers: RecordHeader[] = [];
  const reader = new VarintReader(bytes, at);
  for (let h = 0; h < count; h++) {
    const keyLength = reader.skipBytes();
    const key = bytes.toString('utf8', reader.pos - keyLength, reader.pos);
    const valueLength = reader.skipBytes();
    const value = valueLength < 0 ? null : slice(bytes, reader.pos - valueLength, valueLength, copy);
    headers.push({ key, value });
  }
  return headers;
}

function slice(bytes: Buffer, at: number, length: number, copy: boolean): Buffer {
  const view = bytes.subarray(at, at + length);
  return copy ? Buffer.from(view) : view;
}

function decodeBatchAt(buf: Buffer, pos: number, uncompressedBytesMax: number): DecodedBatch {
  let batchHeader: BatchHeader | null = null;
  let batchSize = 0;
  const records: DecodedRecord[] = [];
  walkBatchAt(
    buf,
    pos,
    uncompressedBytesMax,
    new RecordCursor(),
    (header, sizeBytes) => {
      batchHeader = header;
      batchSize = sizeBytes;
      return true;
    },
    (r) => {
      records.push({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.keyLength < 0 ? null : slice(r.bytes, r.keyAt, r.keyLength, true),
        value: r.valueLength < 0 ? null : slice(r.bytes, r.valueAt, r.valueLength, true),
        headers: r.headerCount === 0 ? [] : readRecordHeaders(r.bytes, r.headersAt, r.headerCount, true),
        attributes: r.attributes,
      });
    },
  );
  return { header: batchHeader!, sizeBytes: batchSize, records };
}

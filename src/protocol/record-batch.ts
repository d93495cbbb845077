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

export interface BuildBatchOptions {
  baseOffset?: number;
  records: RecordInput[];
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

function toBuffer(data: Bytes): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The first chunk of a VarintWriter: below Buffer.poolSize / 2, so it is cut from Node's shared
 * pool instead of being a fresh allocation (most batches built here, control batches and small
 * client batches, fit in it); later chunks are CHUNK_BYTES.
 */
const FIRST_CHUNK_BYTES = 512;
const CHUNK_BYTES = 4096;

/** Writes zigzag varints into a growing list of chunks. */
class VarintWriter {
  private readonly parts: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(FIRST_CHUNK_BYTES);
  private used = 0;
  length = 0;

  private ensure(bytes: number): void {
    if (this.used + bytes <= this.scratch.length) return;
    this.parts.push(this.scratch.subarray(0, this.used));
    this.scratch = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes));
    this.used = 0;
  }

  /** Zigzag varint of a safe integer (covers both Kafka's varint and varlong). */
  varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint value ${value} is not a safe integer`);
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    this.ensure(10);
    while (z >= 0x80) {
      this.scratch[this.used++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
      this.length++;
    }
    this.scratch[this.used++] = z;
    this.length++;
  }

  int8(value: number): void {
    this.ensure(1);
    this.scratch[this.used++] = value & 0xff;
    this.length++;
  }

  bytes(data: Buffer): void {
    if (data.length > 1024) {
      this.parts.push(this.scratch.subarray(0, this.used));
      this.scratch = this.scratch.subarray(this.used);
      this.used = 0;
      this.parts.push(data);
    } else {
      this.ensure(data.length);
      data.copy(this.scratch, this.used);
      this.used += data.length;
    }
    this.length += data.length;
  }

  finish(): Buffer {
    this.parts.push(this.scratch.subarray(0, this.used));
    return Buffer.concat(this.parts, this.length);
  }
}

function varintSize(value: number): number {
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

function nullableBytesSize(data: Buffer | null): number {
  return data === null ? varintSize(-1) : varintSize(data.length) + data.length;
}

/** Builds one RecordBatch v2 with a valid CRC-32C. */
export function buildRecordBatch(options: BuildBatchOptions): Buffer {
  const inputs = options.records;
  if (inputs.length === 0) throw new RangeError('a record batch needs at least one record');
  const now = Date.now();
  const timestamps = inputs.map((r) => r.timestamp ?? now);
  const baseTimestamp = timestamps[0];
  let maxTimestamp = timestamps[0];
  for (const ts of timestamps) if (ts > maxTimestamp) maxTimestamp = ts;

  const body = new VarintWriter();
  let lastOffsetDelta = -1;
  inputs.forEach((r, i) => {
    const offsetDelta = r.offsetDelta ?? i;
    if (!(Number.isInteger(offsetDelta) && offsetDelta > lastOffsetDelta)) {
      throw new RangeError(`record ${i}: offsetDelta ${offsetDelta} must be greater than ${lastOffsetDelta}`);
    }
    lastOffsetDelta = offsetDelta;
    const key = r.key === undefined || r.key === null ? null : toBuffer(r.key);
    const value = r.value === null ? null : toBuffer(r.value);
    const headers = (r.headers ?? []).map((h) => ({
      key: Buffer.from(h.key, 'utf8'),
      value: h.value === null ? null : toBuffer(h.value),
    }));
    const timestampDelta = timestamps[i] - baseTimestamp;
    let size = 1 + varintSize(timestampDelta) + varintSize(offsetDelta);
    size += nullableBytesSize(key) + nullableBytesSize(value) + varintSize(headers.length);
    for (const h of headers) size += varintSize(h.key.length) + h.key.length + nullableBytesSize(h.value);
    body.varint(size);
    body.int8(0);
    body.varint(timestampDelta);
    body.varint(offsetDelta);
    writeNullableBytes(body, key);
    writeNullableBytes(body, value);
    body.varint(headers.length);
    for (const h of headers) {
      body.varint(h.key.length);
      body.bytes(h.key);
      writeNullableBytes(body, h.value);
    }
    if (body.length > BUILD_BATCH_BYTES_MAX) {
      throw new RangeError(`record batch exceeds ${BUILD_BATCH_BYTES_MAX} bytes`);
    }
  });
  let recordsBytes = body.finish();
  let attributes = 0;
  const codec = COMPRESSION_NAMES.indexOf(options.compression ?? 'none');
  if (codec === -1) throw new Error(`unsupported compression: ${String(options.compression)}`);
  if (codec !== COMPRESSION_NONE) {
    recordsBytes = compressRecords(codec, recordsBytes);
    attributes |= codec;
  }
  if (options.timestampType === 'log-append') attributes |= ATTRIBUTE_TIMESTAMP_TYPE;
  if (options.isTransactional) attributes |= ATTRIBUTE_TRANSACTIONAL;
  if (options.isControl) attributes |= ATTRIBUTE_CONTROL;

  const sizeBytes = BATCH_HEADER_BYTES + recordsBytes.length;
  const buf = Buffer.allocUnsafe(sizeBytes);
  writeInt64(buf, BASE_OFFSET_OFFSET, options.baseOffset ?? 0);
  writeInt32(buf, BATCH_LENGTH_OFFSET, sizeBytes - LOG_OVERHEAD_BYTES);
  writeInt32(buf, PARTITION_LEADER_EPOCH_OFFSET, options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH);
  buf[MAGIC_OFFSET] = CURRENT_MAGIC;
  buf.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  writeInt32(buf, LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
  writeInt64(buf, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(buf, PRODUCER_ID_OFFSET, options.producerId ?? NO_PRODUCER_ID);
  buf.writeInt16BE(options.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  writeInt32(buf, BASE_SEQUENCE_OFFSET, options.baseSequence ?? NO_SEQUENCE);
  writeInt32(buf, RECORDS_COUNT_OFFSET, inputs.length);
  recordsBytes.copy(buf, RECORDS_OFFSET);
  writeInt32(buf, CRC_OFFSET, crc32c(buf, ATTRIBUTES_OFFSET, sizeBytes));
  return buf;
}

function writeNullableBytes(w: VarintWriter, data: Buffer | null): void {
  if (data === null) {
    w.varint(-1);
  } else {
    w.varint(data.length);
    w.bytes(data);
  }
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

  varint(): number {
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

/** A batch's header and a reader at its first record, decompressed when it is compressed. */
function openBatch(buf: Buffer, pos: number, uncompressedBytesMax: number): { header: BatchHeader; sizeBytes: number; reader: VarintReader } {
  const header = readBatchHeader(buf, pos);
  if (header.magic !== CURRENT_MAGIC) throw new Error(`unsupported magic ${header.magic}`);
  const sizeBytes = LOG_OVERHEAD_BYTES + header.batchLength;
  if (header.batchLength < BATCH_LENGTH_MIN || pos + sizeBytes > buf.length) {
    throw new RangeError(`batch at ${pos} claims ${sizeBytes} bytes, ${buf.length - pos} available`);
  }
  if (header.recordCount < 0 || header.recordCount > DECODE_COUNT_MAX) {
    throw new RangeError(`batch at ${pos} claims ${header.recordCount} records`);
  }
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

function decodeBatchAt(buf: Buffer, pos: number, uncompressedBytesMax: number): DecodedBatch {
  const { header, sizeBytes, reader } = openBatch(buf, pos, uncompressedBytesMax);
  const records: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const { end, attributes, offset, timestamp } = readRecordStart(reader, header, i);
    const key = reader.nullableBytes();
    const value = reader.nullableBytes();
    const headerCount = reader.varint();
    if (headerCount < 0 || headerCount > DECODE_COUNT_MAX) throw new RangeError(`record ${i}: ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyBytes = reader.nullableBytes();
      if (keyBytes === null) throw new RangeError(`record ${i}: null header key`);
      headers.push({ key: keyBytes.toString('utf8'), value: reader.nullableBytes() });
    }
    if (reader.pos !== end) throw new RangeError(`record ${i}: its length does not match its fields`);
    records.push({
      offset,
      timestamp,
      key,
      value,
      headers,
      attributes,
    });
  }
  return { header, sizeBytes, records };
}

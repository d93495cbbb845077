// RecordBatch v2 (magic 2) encoder and decoder for uncompressed batches.
//
// This is the harness's own implementation of the format in reference/ (RecordBatch
// section of the protocol guide), independent of src/protocol on purpose: tests that
// build batches here and read them back through the broker check the broker's codec
// against a second reading of the spec instead of against itself.
//
// Layout (big-endian):
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2)
//   crc uint32 (CRC-32C of everything after it) | attributes int16 | lastOffsetDelta int32
//   baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16
//   baseSequence int32 | recordCount int32 | records...
// Record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   keyLength varint | key | valueLength varint | value | headerCount varint
//   [headerKeyLength varint | headerKey | headerValueLength varint | headerValue]...

import { crc32c } from './crc32c.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  crcValid: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  recordCount: number;
  /** Empty for compressed or control batches, which this decoder does not open. */
  records: DecodedRecord[];
  compression: number;
  isControl: boolean;
}

export const BATCH_HEADER_BYTES = 61;
/** Offset of the CRC field inside a batch; the CRC covers bytes from CRC_START on. */
export const CRC_OFFSET = 17;
export const CRC_START = 21;

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varintSize(v: number): number {
  let z = zigzag(v);
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  let z = zigzag(v);
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let z = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new RangeError('varint runs past the end of the buffer');
    const b = buf[pos++];
    z += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      const v = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      return [v, pos];
    }
    mul *= 128;
  }
  throw new RangeError('varint longer than 10 bytes');
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the smallest record timestamp, or Date.now() when none is given. */
  baseTimestamp?: number;
}

/** Builds one uncompressed RecordBatch v2 with a valid CRC-32C. */
export function buildBatch(records: RecordInput[], opts: BuildBatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a batch needs at least one record');
  const now = Date.now();
  let baseTs = opts.baseTimestamp ?? Infinity;
  let maxTs = -Infinity;
  for (const r of records) {
    const ts = r.timestamp ?? now;
    if (opts.baseTimestamp === undefined && ts < baseTs) baseTs = ts;
    if (ts > maxTs) maxTs = ts;
  }
  // Each record's body size must be known before its length prefix can be written.
  const bodySizes = new Array<number>(records.length);
  let total = BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const ts = r.timestamp ?? now;
    let size = 1 + varintSize(ts - baseTs) + varintSize(i);
    size += r.key === null ? 1 : varintSize(r.key.length) + r.key.length;
    size += r.value === null ? 1 : varintSize(r.value.length) + r.value.length;
    const headers = r.headers ?? [];
    size += varintSize(headers.length);
    for (const h of headers) {
      const kl = Buffer.byteLength(h.key);
      size += varintSize(kl) + kl;
      size += h.value === null ? 1 : varintSize(h.value.length) + h.value.length;
    }
    bodySizes[i] = size;
    total += varintSize(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  buf.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0);
  buf.writeInt32BE(total - 12, 8);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(records.length - 1, 23);
  buf.writeBigInt64BE(BigInt(baseTs), 27);
  buf.writeBigInt64BE(BigInt(maxTs), 35);
  buf.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, 53);
  buf.writeInt32BE(records.length, 57);
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0;
    pos = writeVarint(buf, pos, (r.timestamp ?? now) - baseTs);
    pos = writeVarint(buf, pos, i);
    if (r.key === null) pos = writeVarint(buf, pos, -1);
    else {
      pos = writeVarint(buf, pos, r.key.length);
      pos += r.key.copy(buf, pos);
    }
    if (r.value === null) pos = writeVarint(buf, pos, -1);
    else {
      pos = writeVarint(buf, pos, r.value.length);
      pos += r.value.copy(buf, pos);
    }
    const headers = r.headers ?? [];
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      const kl = Buffer.byteLength(h.key);
      pos = writeVarint(buf, pos, kl);
      pos += buf.write(h.key, pos, 'utf8');
      if (h.value === null) pos = writeVarint(buf, pos, -1);
      else {
        pos = writeVarint(buf, pos, h.value.length);
        pos += h.value.copy(buf, pos);
      }
    }
  }
  if (pos !== total) throw new Error(`batch size mismatch: wrote ${pos}, planned ${total}`);
  buf.writeUInt32BE(crc32c(buf, CRC_START, total), CRC_OFFSET);
  return buf;
}

/**
 * Splits a records field (as returned by Fetch) into batches. A partial batch at the end
 * is legal in Fetch responses (the broker may cut at max_bytes) and is ignored.
 */
export function decodeBatches(buf: Buffer | null, opts: { records?: boolean } = {}): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  if (!buf) return out;
  const wantRecords = opts.records ?? true;
  let pos = 0;
  while (buf.length - pos >= 12) {
    const batchLength = buf.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (batchLength < BATCH_HEADER_BYTES - 12 || end > buf.length) break;
    const magic = buf.readInt8(pos + 16);
    if (magic !== 2) throw new Error(`unsupported magic ${magic} at byte ${pos}`);
    const baseOffset = Number(buf.readBigInt64BE(pos));
    const attributes = buf.readInt16BE(pos + 21);
    const lastOffsetDelta = buf.readInt32BE(pos + 23);
    const baseTimestamp = Number(buf.readBigInt64BE(pos + 27));
    const recordCount = buf.readInt32BE(pos + 57);
    const compression = attributes & 0x07;
    const isControl = (attributes & 0x20) !== 0;
    const batch: DecodedBatch = {
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      partitionLeaderEpoch: buf.readInt32BE(pos + 12),
      attributes,
      crcValid: crc32c(buf, pos + CRC_START, end) === buf.readUInt32BE(pos + CRC_OFFSET),
      baseTimestamp,
      maxTimestamp: Number(buf.readBigInt64BE(pos + 35)),
      recordCount,
      records: [],
      compression,
      isControl,
    };
    if (wantRecords && compression === 0 && !isControl) {
      let p = pos + BATCH_HEADER_BYTES;
      for (let i = 0; i < recordCount; i++) {
        let len: number;
        [len, p] = readVarint(buf, p);
        const recEnd = p + len;
        if (recEnd > end) throw new RangeError(`record ${i} of batch at ${baseOffset} overruns the batch`);
        p++; // record attributes, unused in v2
        let tsDelta: number, offDelta: number, kl: number, vl: number, hc: number;
        [tsDelta, p] = readVarint(buf, p);
        [offDelta, p] = readVarint(buf, p);
        [kl, p] = readVarint(buf, p);
        const key = kl < 0 ? null : Buffer.from(buf.subarray(p, p + kl));
        if (kl > 0) p += kl;
        [vl, p] = readVarint(buf, p);
        const value = vl < 0 ? null : Buffer.from(buf.subarray(p, p + vl));
        if (vl > 0) p += vl;
        [hc, p] = readVarint(buf, p);
        const headers: RecordHeader[] = [];
        for (let h = 0; h < hc; h++) {
          let hkl: number, hvl: number;
          [hkl, p] = readVarint(buf, p);
          const hk = buf.toString('utf8', p, p + hkl);
          p += hkl;
          [hvl, p] = readVarint(buf, p);
          const hv = hvl < 0 ? null : Buffer.from(buf.subarray(p, p + hvl));
          if (hvl > 0) p += hvl;
          headers.push({ key: hk, value: hv });
        }
        if (p !== recEnd) throw new RangeError(`record ${i} of batch at ${baseOffset}: length says ${len}, fields used ${len + p - recEnd}`);
        batch.records.push({ offset: baseOffset + offDelta, timestamp: baseTimestamp + tsDelta, key, value, headers });
      }
    }
    out.push(batch);
    pos = end;
  }
  return out;
}

/** Counts records by reading batch headers only; this is what the consume benchmark uses. */
export function countRecords(buf: Buffer | null): { records: number; lastOffset: number; bytes: number } {
  let records = 0;
  let lastOffset = -1;
  let pos = 0;
  if (!buf) return { records, lastOffset, bytes: 0 };
  while (buf.length - pos >= BATCH_HEADER_BYTES) {
    const batchLength = buf.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (end > buf.length) break;
    const attributes = buf.readInt16BE(pos + 21);
    if ((attributes & 0x20) === 0) records += buf.readInt32BE(pos + 57);
    lastOffset = Number(buf.readBigInt64BE(pos)) + buf.readInt32BE(pos + 23);
    pos = end;
  }
  return { records, lastOffset, bytes: pos };
}

// The producer-state snapshot format (docs/storage.md, "Producer snapshots"): the idempotent
// producers' state as of an offset, so a restart replays only the batches after it instead of the
// whole log (Kafka's <offset>.snapshot files). Big-endian:
//
//   magic uint32 "RNPS" | version uint16 = 1 | reserved uint16 = 0 | offset int64
//   producerCount uint32 | crc uint32 (CRC-32C of bytes 0-19, then of the body)
//   body, per producer, least recently active first:
//     producerId int64 | epoch int16 | batchCount uint8 | reserved uint8 | lastTimestamp int64
//     batchCount x (firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64)
//
// A snapshot that fails any check is not used: a wrong one would answer a retry with the wrong
// offsets or refuse a good batch, while a missing one only costs a longer replay.

import { crc32c } from '../protocol/crc32c.ts';
import { readInt64, writeInt64 } from '../protocol/record-batch.ts';
import { PRODUCER_BATCHES_KEPT, ProducerStateTable, type BatchSequence } from './producer-state.ts';

const MAGIC = 0x524e5053;
const VERSION = 1;
const HEADER_BYTES = 24;
const CRC_AT = 20;
const PRODUCER_BYTES = 20;
const BATCH_BYTES = 24;

/** The table as of `offset` (every batch below it recorded, none at or after it). */
export function encodeProducerSnapshot(table: ProducerStateTable, offset: number): Buffer {
  let bytes = HEADER_BYTES;
  for (const [, entry] of table.producerEntries()) bytes += PRODUCER_BYTES + entry.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(bytes);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt16BE(VERSION, 4);
  writeInt64(buf, 8, offset);
  buf.writeUInt32BE(table.size, 16);
  let at = HEADER_BYTES;
  for (const [producerId, entry] of table.producerEntries()) {
    writeInt64(buf, at, producerId);
    buf.writeInt16BE(entry.epoch, at + 8);
    buf.writeUInt8(entry.batches.length, at + 10);
    writeInt64(buf, at + 12, Math.max(entry.lastTimestamp, -1));
    at += PRODUCER_BYTES;
    for (const b of entry.batches) {
      buf.writeInt32BE(b.firstSeq, at);
      buf.writeInt32BE(b.lastSeq, at + 4);
      writeInt64(buf, at + 8, b.firstOffset);
      writeInt64(buf, at + 16, b.lastOffset);
      at += BATCH_BYTES;
    }
  }
  buf.writeUInt32BE(checksum(buf), CRC_AT);
  return buf;
}

function checksum(buf: Buffer): number {
  return crc32c(buf, HEADER_BYTES, buf.length, crc32c(buf, 0, CRC_AT));
}

/**
 * The table a snapshot holds, or why it cannot be used. `expectedOffset` is the offset its file
 * name gives; `producersMax` bounds the table as the live one is bounded.
 */
export function decodeProducerSnapshot(buf: Buffer, expectedOffset: number, producersMax: number): ProducerStateTable | string {
  if (buf.length < HEADER_BYTES) return `${buf.length} bytes, less than a header`;
  if (buf.readUInt32BE(0) !== MAGIC) return 'bad magic';
  if (buf.readUInt16BE(4) !== VERSION) return `unknown version ${buf.readUInt16BE(4)}`;
  if (buf.readUInt32BE(CRC_AT) !== checksum(buf)) return 'CRC-32C mismatch';
  const offset = readInt64(buf, 8);
  if (offset !== expectedOffset) return `holds offset ${offset}, its name says ${expectedOffset}`;
  const count = buf.readUInt32BE(16);
  const table = new ProducerStateTable(producersMax);
  let at = HEADER_BYTES;
  // Each iteration consumes at least PRODUCER_BYTES or returns; `count` bounds it too.
  for (let k = 0; k < count; k++) {
    if (at + PRODUCER_BYTES > buf.length) return `producer ${k} is cut short`;
    const producerId = readInt64(buf, at);
    const epoch = buf.readInt16BE(at + 8);
    const batchCount = buf.readUInt8(at + 10);
    const lastTimestamp = readInt64(buf, at + 12);
    at += PRODUCER_BYTES;
    if (producerId < 0 || epoch < 0) return `producer ${k}: id ${producerId}, epoch ${epoch}`;
    if (batchCount < 1 || batchCount > PRODUCER_BATCHES_KEPT) return `producer ${producerId}: ${batchCount} batches`;
    if (at + batchCount * BATCH_BYTES > buf.length) return `producer ${producerId}: batches cut short`;
    const batches: BatchSequence[] = [];
    for (let i = 0; i < batchCount; i++) {
      const b = { firstSeq: buf.readInt32BE(at), lastSeq: buf.readInt32BE(at + 4), firstOffset: readInt64(buf, at + 8), lastOffset: readInt64(buf, at + 16) };
      at += BATCH_BYTES;
      const previous = batches[batches.length - 1];
      const ordered = previous === undefined || b.firstOffset > previous.lastOffset;
      if (b.firstSeq < 0 || b.lastSeq < 0 || b.firstOffset < 0 || b.lastOffset < b.firstOffset || b.lastOffset >= offset || !ordered) {
        return `producer ${producerId}: batch ${i} (${b.firstSeq}-${b.lastSeq} at ${b.firstOffset}-${b.lastOffset}) does not fit below ${offset}`;
      }
      batches.push(b);
    }
    table.restore(producerId, { epoch, lastTimestamp, batches });
  }
  if (at !== buf.length) return `${buf.length - at} bytes after the last producer`;
  return table;
}

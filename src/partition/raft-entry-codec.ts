// Raft entries as RecordBatches (docs/storage.md, "Raft entries in the partition log").
//
// - A normal entry with data IS a RecordBatch v2 (a produced batch): stored as it is.
// - A normal entry without data (a new leader's no-op) and a config entry (an encoded
//   ConfChange) are stored as Kafka control batches: attributes bit 5 set, one record,
//   key = int16 version 0 + int16 Runnel control type, value = the entry data (empty
//   for the no-op). Kafka consumers skip control batches:
//     * KafkaJS 2.2.4 (src/consumer/batch.js) drops every record of a control batch
//       (`isControlRecord`); it only looks at the key to spot an abort marker, which is
//       exactly the key 00 00 00 00 (filterAbortedMessages.js).
//     * librdkafka (rdkafka_msgset_reader.c, rd_kafka_msgset_reader_msg_v2) reads the
//       key: version != 0 is skipped; version 0 must have a 4-byte key (else a parse
//       error); types other than COMMIT (1) and ABORT (0) are logged at debug level as
//       "Unsupported ctrl message type" and ignored. The offset still advances.
//     * The Java consumer parses unknown types as ControlRecordType.UNKNOWN and skips
//       the batch.
//   So the key is version 0 with types far from Kafka's own (0 abort, 1 commit,
//   2 leader change, 3/4 snapshot header/footer, 5 kraft version, 6 kraft voters).
// - A DeleteRecords command (a normal entry the partition leader proposes, issue 12) is a control
//   batch too, value = int64 log offset of the new log start: every replica moves its log start
//   when it applies the entry, so all of them move it at the same log position. The Raft core
//   sees it as a normal entry whose data is that batch; Produce refuses control batches, so no
//   client can write one.
// - The batch timestamp is 0 so every replica encodes the same entry to the same bytes
//   (logs compare byte for byte); the term is stamped by the log as partitionLeaderEpoch.

import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  buildRecordBatch,
  decodeRecords,
  isControlBatch,
  readInt16,
} from '../protocol/record-batch.ts';
import type { Entry } from '../raft/types.ts';

/** Control record key version (Kafka's control keys are version 0). */
export const RUNNEL_CONTROL_KEY_VERSION = 0;
/** Control types: ours, well away from Kafka's 0..6. */
export const RUNNEL_CONTROL_NOOP = 0x5200;
export const RUNNEL_CONTROL_CONFIG = 0x5201;
export const RUNNEL_CONTROL_DELETE_RECORDS = 0x5202;
const DELETE_RECORDS_VALUE_BYTES = 8;
const CONTROL_KEY_BYTES = 4;
/** Control batches carry no wall-clock time, so replicas write identical bytes. */
const CONTROL_TIMESTAMP_MS = 0;

export class EntryCodecError extends Error {
  override name = 'EntryCodecError';
}

function controlKey(type: number): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(RUNNEL_CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/** The Runnel control type of a batch, or null when it is not one of ours. */
export function runnelControlType(batch: Buffer): number | null {
  return runnelControlRecord(batch)?.type ?? null;
}

/** A Runnel control batch's type and its record's value (decoded once: every restart decodes the whole log). */
function runnelControlRecord(batch: Buffer): { type: number; value: Buffer | null } | null {
  if (batch.length < BATCH_HEADER_BYTES || !isControlBatch(readInt16(batch, ATTRIBUTES_OFFSET))) return null;
  const records = decodeRecords(batch);
  if (records.length !== 1) return null;
  const key = records[0].key;
  if (key === null || key.length !== CONTROL_KEY_BYTES || key.readInt16BE(0) !== RUNNEL_CONTROL_KEY_VERSION) return null;
  const type = key.readInt16BE(2);
  return type === RUNNEL_CONTROL_NOOP || type === RUNNEL_CONTROL_CONFIG || type === RUNNEL_CONTROL_DELETE_RECORDS ? { type, value: records[0].value } : null;
}

/** The batch of a DeleteRecords command: the log start moves to log offset `logStartOffset`. */
export function deleteRecordsBatch(logStartOffset: number): Buffer {
  const value = Buffer.alloc(DELETE_RECORDS_VALUE_BYTES);
  value.writeBigInt64BE(BigInt(logStartOffset));
  return controlBatch(RUNNEL_CONTROL_DELETE_RECORDS, value);
}

/**
 * The new log start a DeleteRecords command's batch carries, or null for any other batch. Cheap
 * for the batches that are not control batches (every applied entry is asked).
 */
export function deleteRecordsTarget(batch: Uint8Array): number | null {
  const buf = Buffer.isBuffer(batch) ? batch : Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  const control = runnelControlRecord(buf);
  if (control?.type !== RUNNEL_CONTROL_DELETE_RECORDS) return null;
  const value = control.value;
  if (value === null || value.length !== DELETE_RECORDS_VALUE_BYTES) throw new EntryCodecError('a DeleteRecords command without an 8-byte offset');
  return Number(value.readBigInt64BE(0));
}

/** True for a batch only the Raft layer may write; a Produce path must refuse such batches. */
export function isRunnelControlBatch(batch: Buffer): boolean {
  return runnelControlType(batch) !== null;
}

/** The batch that stores `e` (a fresh buffer: the log stamps offsets into it). */
export function encodeEntry(e: Entry): Buffer {
  if (e.type === 'config') return controlBatch(RUNNEL_CONTROL_CONFIG, e.data);
  if (e.data.length === 0) return controlBatch(RUNNEL_CONTROL_NOOP, e.data);
  const batch = Buffer.from(e.data);
  if (
    batch.length < BATCH_HEADER_BYTES ||
    batch[MAGIC_OFFSET] !== CURRENT_MAGIC ||
    LOG_OVERHEAD_BYTES + batch.readInt32BE(BATCH_LENGTH_OFFSET) !== batch.length
  ) {
    throw new EntryCodecError(`entry ${e.index}: normal entry data is not exactly one RecordBatch v2`);
  }
  // Otherwise it would read back as a config entry or a no-op: a client must never be
  // able to write a membership change. A DeleteRecords command is the one control batch that
  // is a normal entry (decodeEntry gives it back as one).
  const type = runnelControlType(batch);
  if (type !== null && type !== RUNNEL_CONTROL_DELETE_RECORDS) throw new EntryCodecError(`entry ${e.index}: normal entry data is a Runnel control batch`);
  return batch;
}

function controlBatch(type: number, data: Uint8Array): Buffer {
  return buildRecordBatch({
    records: [{ key: controlKey(type), value: Buffer.from(data), timestamp: CONTROL_TIMESTAMP_MS }],
    isControl: true,
  });
}

/** The entry a stored batch stands for. */
export function decodeEntry(index: number, term: number, batch: Buffer): Entry {
  const control = runnelControlRecord(batch);
  if (control === null || control.type === RUNNEL_CONTROL_DELETE_RECORDS) return { index, term, type: 'normal', data: batch };
  if (control.type === RUNNEL_CONTROL_NOOP) return { index, term, type: 'normal', data: new Uint8Array(0) };
  return { index, term, type: 'config', data: new Uint8Array(control.value ?? Buffer.alloc(0)) };
}

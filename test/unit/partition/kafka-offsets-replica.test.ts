// Issue 12, "Kafka offsets are contiguous" (docs/storage.md, "Kafka offsets"): what clients read of
// a replicated partition leaves out the Raft-only batches and carries Kafka offsets, with valid
// batch CRCs; a replica restored from a snapshot translates as the sender does.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { KafkaLogView } from '../../../src/partition/kafka-offsets-replica.ts';
import { decodeSnapshotData, RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { encodeEntry } from '../../../src/partition/raft-entry-codec.ts';
import { batchCrcIsValid, buildRecordBatch, LOG_OVERHEAD_BYTES, readBatchHeader } from '../../../src/protocol/record-batch.ts';
import type { RaftIndexedLog } from '../../../src/storage/log.ts';

const noop = () => encodeEntry({ index: 0, term: 0, type: 'normal', data: new Uint8Array(0) });
const config = () => encodeEntry({ index: 0, term: 0, type: 'config', data: new TextEncoder().encode('{"type":"addVoter","nodeId":1}') });
const records = (...values: string[]) => buildRecordBatch({ records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: 1_000 + i })) });

/** Founding (3 config entries), a no-op, [a b], [c], a new term's no-op, [d e]: Kafka offsets 0..4. */
function fill(log: RaftIndexedLog): void {
  for (let i = 0; i < 3; i++) log.append(config(), 1);
  log.append(noop(), 2);
  log.append(records('a', 'b'), 2);
  log.append(records('c'), 2);
  log.append(noop(), 3);
  log.append(records('d', 'e'), 3);
}

/** [baseOffset, values] per batch, checking each batch's CRC-32C. */
function batches(buf: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let pos = 0; pos < buf.length; ) {
    const h = readBatchHeader(buf, pos);
    const size = LOG_OVERHEAD_BYTES + h.batchLength;
    assert.ok(batchCrcIsValid(buf, pos, size), `batch at ${pos} keeps a valid CRC`);
    out.push([h.baseOffset, h.lastOffsetDelta + 1]);
    pos += size;
  }
  return out;
}

test('issue 12: a fetch in Kafka offsets returns the user batches only, baseOffsets rewritten, CRCs valid', () => {
  const log = new MemoryLog();
  fill(log);
  const view = new KafkaLogView(log);
  const end = log.kafkaOffsets.toKafka(log.logEndOffset);
  assert.equal(end, 5);
  const all = view.read(0, 1 << 20, end);
  assert.deepEqual(batches(all.records), [
    [0, 2],
    [2, 1],
    [3, 2],
  ]);
  assert.equal(all.nextOffset, 5);
  // From inside the second batch's neighbour: Kafka 3 is record d, after the term-3 no-op.
  assert.deepEqual(batches(view.read(3, 1 << 20, end).records), [[3, 2]]);
  // The high watermark bounds it in Kafka offsets: below 3, [d e] is not committed.
  const committed = view.read(0, 1 << 20, 3);
  assert.deepEqual(batches(committed.records), [
    [0, 2],
    [2, 1],
  ]);
  assert.equal(committed.nextOffset, 3);
  assert.equal(view.read(3, 1 << 20, 3).records.length, 0, 'nothing past the bound, though a no-op lies below it in the log');
  // The log's own bytes are untouched (other replicas and Raft read them).
  assert.equal(readBatchHeader(log.entryAt(5).batch, 0).baseOffset, 4);
});

test('issue 12: a read that meets only Raft-only batches below the bound answers empty at the asked offset', () => {
  const log = new MemoryLog();
  log.append(records('a'), 1);
  for (let i = 0; i < 5; i++) log.append(noop(), 2 + i);
  const view = new KafkaLogView(log);
  const end = log.kafkaOffsets.toKafka(log.logEndOffset);
  assert.equal(end, 1);
  const r = view.read(1, 1 << 20, end);
  assert.equal(r.records.length, 0);
  assert.equal(r.nextOffset, 1);
});

test('issue 12: InstallSnapshot carries the translation base; the receiver translates as the sender', () => {
  const leader = RaftLogStorage.inMemory('leader-disk');
  fill(leader.log);
  // The log start moves past the founding entries and the first no-op (retention / compaction).
  leader.log.deleteRecordsBefore(leader.log.kafkaOffsets.toLog(2));
  const snap = leader.logStartSnapshot();
  const data = decodeSnapshotData(snap.data);
  assert.equal(data.raftOnlyBefore, leader.log.kafkaOffsets.deltaAt(data.offset));
  const follower = RaftLogStorage.inMemory('follower-disk');
  follower.applySnapshot(snap);
  assert.equal(follower.log.logStartOffset, data.offset);
  assert.equal(follower.log.kafkaOffsets.toKafka(data.offset), leader.log.kafkaOffsets.toKafka(data.offset));
  // The rest of the log, replicated entry by entry, has the same Kafka offsets on both.
  for (let i = follower.log.lastRaftIndex + 1; i <= leader.log.lastRaftIndex; i++) {
    const e = leader.log.entryAt(i);
    follower.log.append(Buffer.from(e.batch), e.term);
  }
  assert.equal(follower.log.kafkaOffsets.toKafka(follower.log.logEndOffset), 5);
  assert.equal(follower.log.kafkaOffsets.toLog(3), leader.log.kafkaOffsets.toLog(3));
});

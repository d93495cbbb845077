// OffsetForLeaderEpoch (KIP-101/KIP-320) answers from Kafka's leader-epoch cache rules
// (LeaderEpochFileCache.endOffsetFor, Kafka 3.7), over a log's terms: src/storage/leader-epoch-cache.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endOffsetForEpoch, leaderEpochCache } from '../../../src/storage/leader-epoch-cache.ts';
import { currentEpochError } from '../../../src/broker/handlers/offset-for-leader-epoch.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { encodeEntry } from '../../../src/partition/raft-entry-codec.ts';

const cache = [
  { epoch: 2, startOffset: 0 },
  { epoch: 5, startOffset: 10 },
  { epoch: 7, startOffset: 25 },
];

test('KIP-101 endOffsetFor: the current epoch ends at the log end offset', () => {
  assert.deepEqual(endOffsetForEpoch(cache, 7, 40), { leaderEpoch: 7, endOffset: 40 });
});

test('KIP-101 endOffsetFor: a known older epoch ends where the next higher one starts', () => {
  assert.deepEqual(endOffsetForEpoch(cache, 2, 40), { leaderEpoch: 2, endOffset: 10 });
  assert.deepEqual(endOffsetForEpoch(cache, 5, 40), { leaderEpoch: 5, endOffset: 25 });
});

test('KIP-101 endOffsetFor: an unknown epoch between two known ones answers the largest epoch below it', () => {
  assert.deepEqual(endOffsetForEpoch(cache, 3, 40), { leaderEpoch: 2, endOffset: 10 });
  assert.deepEqual(endOffsetForEpoch(cache, 6, 40), { leaderEpoch: 5, endOffset: 25 });
});

test('KIP-101 endOffsetFor: below every epoch the epoch itself and the first start; above every epoch, -1 and -1; -1 asked, -1 and -1', () => {
  assert.deepEqual(endOffsetForEpoch(cache, 1, 40), { leaderEpoch: 1, endOffset: 0 });
  assert.deepEqual(endOffsetForEpoch(cache, 8, 40), { leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(endOffsetForEpoch(cache, -1, 40), { leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(endOffsetForEpoch([], 0, 0), { leaderEpoch: -1, endOffset: -1 });
});

test('KIP-320 current_leader_epoch: older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, -1 is not checked', () => {
  assert.equal(currentEpochError(4, 5), ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal(currentEpochError(6, 5), ErrorCode.UNKNOWN_LEADER_EPOCH);
  assert.equal(currentEpochError(5, 5), ErrorCode.NONE);
  assert.equal(currentEpochError(-1, 5), ErrorCode.NONE);
});

const records = (n: number) =>
  buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1_000 + i })) });
const noop = () => encodeEntry({ index: 0, term: 0, type: 'normal', data: new Uint8Array(0) });

test('issue 12: the cache from a Raft log, in Kafka offsets: no-op-only epochs left out, the start clamped to the log start, the current epoch added at the log end', () => {
  const log = new MemoryLog();
  log.append(noop(), 1); // log 0
  log.append(records(3), 1); // log 1-3, Kafka 0-2
  log.append(noop(), 2); // log 4: term 2 wrote nothing else
  log.append(noop(), 3); // log 5
  log.append(records(2), 3); // log 6-7, Kafka 3-4
  assert.deepEqual(log.leaderEpochs(), [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 4 },
    { epoch: 3, startOffset: 5 },
  ]);
  const toKafka = (o: number) => log.kafkaOffsets.toKafka(o);
  assert.deepEqual(leaderEpochCache(log, 3, toKafka), [
    { epoch: 1, startOffset: 0 },
    { epoch: 3, startOffset: 3 },
  ]);
  // A new leader (term 4) that has not written yet: its epoch starts at the log end.
  assert.deepEqual(leaderEpochCache(log, 4, toKafka).at(-1), { epoch: 4, startOffset: 5 });
  // Epoch 2 asked: Kafka never saw it; the largest below it (1) ended where 3 starts.
  assert.deepEqual(endOffsetForEpoch(leaderEpochCache(log, 3, toKafka), 2, 5), { leaderEpoch: 1, endOffset: 3 });
  // DeleteRecords into epoch 3: epoch 1 is gone, 3 starts at the log start.
  log.deleteRecordsBefore(7);
  assert.deepEqual(leaderEpochCache(log, 3, toKafka), [{ epoch: 3, startOffset: 4 }]);
});

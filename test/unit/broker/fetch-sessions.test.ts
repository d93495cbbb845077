// Incremental fetch sessions (KIP-227), each rule of Kafka's FetchManager / FetchSessionCache as
// src/broker/fetch-sessions.ts keeps it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSessionCache, nextEpoch, partitionKey, type PartitionOutcome, type RequestedPartition } from '../../../src/broker/fetch-sessions.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const p = (partition: number, fetchOffset = 0): RequestedPartition => ({ topic: 't', partition, fetchOffset, partitionMaxBytes: 1024 });
const ok = (highWatermark: number, recordBytes = 0, logStartOffset = 0): PartitionOutcome => ({ errorCode: 0, highWatermark, logStartOffset, recordBytes });

function cache(slotsMax = 2, evictionMs = 1000): FetchSessionCache {
  let next = 100;
  return new FetchSessionCache({ slotsMax, evictionMs, randomId: () => next++ });
}

function open(c: FetchSessionCache, nowMs = 0, partitions = [p(0), p(1)]) {
  assert.deepEqual(c.newContext({ sessionId: 0, sessionEpoch: 0, usesTopicIds: false, partitions, forgotten: [] }, nowMs), { kind: 'full' });
  const session = c.create(
    false,
    partitions.map((requested) => ({ requested, outcome: ok(5) })),
    nowMs,
  );
  assert.ok(session);
  return session;
}

test('KIP-227: a full request (epoch 0) opens a session at epoch 1; each incremental request moves the epoch by one', () => {
  const c = cache();
  const s = open(c);
  assert.equal(s.epoch, 1);
  const ctx = c.newContext({ sessionId: s.id, sessionEpoch: 1, usesTopicIds: false, partitions: [], forgotten: [] }, 10);
  assert.equal(ctx.kind, 'incremental');
  assert.equal(s.epoch, 2);
  assert.equal(nextEpoch(0x7fffffff), 1, 'the epoch wraps to 1');
});

test('KIP-227: an unknown session id is FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH, a switch between names and ids FETCH_SESSION_TOPIC_ID_ERROR', () => {
  const c = cache();
  const s = open(c);
  assert.deepEqual(c.newContext({ sessionId: 999, sessionEpoch: 1, usesTopicIds: false, partitions: [], forgotten: [] }, 0), {
    kind: 'error',
    errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
  });
  assert.deepEqual(c.newContext({ sessionId: s.id, sessionEpoch: 3, usesTopicIds: false, partitions: [], forgotten: [] }, 0), {
    kind: 'error',
    errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH,
  });
  assert.deepEqual(c.newContext({ sessionId: s.id, sessionEpoch: 1, usesTopicIds: true, partitions: [], forgotten: [] }, 0), {
    kind: 'error',
    errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR,
  });
});

test('KIP-227: epoch -1 closes the session named and answers without a session; a full request also closes the one it names', () => {
  const c = cache();
  const s = open(c);
  assert.deepEqual(c.newContext({ sessionId: s.id, sessionEpoch: -1, usesTopicIds: false, partitions: [p(0)], forgotten: [] }, 0), { kind: 'sessionless' });
  assert.equal(c.get(s.id), undefined);
  const again = open(c);
  assert.deepEqual(c.newContext({ sessionId: again.id, sessionEpoch: 0, usesTopicIds: false, partitions: [p(0)], forgotten: [] }, 0), { kind: 'full' });
  assert.equal(c.get(again.id), undefined);
});

test('KIP-227: incremental requests add and update partitions, forgotten_topics_data removes them, an emptied session is closed', () => {
  const c = cache();
  const s = open(c);
  c.newContext({ sessionId: s.id, sessionEpoch: 1, usesTopicIds: false, partitions: [p(1, 7), p(2, 3)], forgotten: [{ topic: 't', partition: 0 }] }, 0);
  assert.deepEqual(
    [...s.partitions.values()].map((x) => [x.partition, x.fetchOffset]),
    [
      [1, 7],
      [2, 3],
    ],
  );
  const ctx = c.newContext(
    {
      sessionId: s.id,
      sessionEpoch: 2,
      usesTopicIds: false,
      partitions: [],
      forgotten: [
        { topic: 't', partition: 1 },
        { topic: 't', partition: 2 },
      ],
    },
    0,
  );
  assert.deepEqual(ctx, { kind: 'sessionless' });
  assert.equal(c.size, 0);
});

test('KIP-227: an incremental answer carries a partition only with records, an error, or a changed high watermark or log start', () => {
  const c = cache();
  const s = open(c);
  const key = partitionKey('t', 0);
  assert.equal(s.mustRespond(key, ok(5)), false, 'nothing changed');
  assert.equal(s.mustRespond(key, ok(5, 100)), true, 'records');
  assert.equal(s.mustRespond(key, ok(6)), true, 'high watermark moved');
  assert.equal(s.mustRespond(key, ok(6)), false, 'and is now known');
  assert.equal(s.mustRespond(key, ok(6, 0, 2)), true, 'log start moved');
  assert.equal(s.mustRespond(key, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, logStartOffset: -1, recordBytes: 0 }), true);
  assert.equal(s.mustRespond(key, ok(6, 0, 2)), true, 'after an error the partition is sent again');
});

test('KIP-227: the cache is bounded; a new session takes the least recently used one only once it is idle for evictionMs', () => {
  const c = cache(2, 1000);
  const a = open(c, 0);
  const b = open(c, 100);
  // a is used at 500: b is now the least recently used.
  c.newContext({ sessionId: a.id, sessionEpoch: 1, usesTopicIds: false, partitions: [], forgotten: [] }, 500);
  assert.equal(c.create(false, [{ requested: p(0), outcome: ok(1) }], 900), null, 'full, and nobody idle long enough: no session');
  const d = c.create(false, [{ requested: p(0), outcome: ok(1) }], 1100);
  assert.ok(d);
  assert.equal(c.get(b.id), undefined, 'b (idle since 100) was evicted');
  assert.ok(c.get(a.id));
  assert.equal(c.size, 2);
  assert.equal(
    new FetchSessionCache({ slotsMax: 0, evictionMs: 0, randomId: () => 1 }).create(false, [{ requested: p(0), outcome: ok(1) }], 0),
    null,
    '0 slots: sessions off',
  );
});

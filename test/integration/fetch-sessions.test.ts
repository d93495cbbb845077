// Incremental fetch sessions (KIP-227) over the wire, on one broker with a raw client: a full
// request opens a session, incremental requests get only the partitions with news, forgotten
// partitions leave it, and the session errors are Kafka's. (KafkaJS and librdkafka 2.0 send
// sessionless requests, epoch -1: their compatibility tests cover that path.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';

let broker: InProcessBroker;
const TOPIC = 'sessions';
let topicId: Buffer;

before(async () => {
  broker = await startInProcessBroker('fetch-sessions', (c) => {
    c.limits.max_incremental_fetch_session_cache_slots = 2;
  });
  const created = await broker.client.request(apiByKey.get(ApiKey.CreateTopics)!, 7, {
    topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  topicId = created.topics[0].topicId;
});

after(() => broker.close());

const produce = (partition: number, value: string) =>
  broker.client.produce(TOPIC, partition, buildRecordBatch({ records: [{ key: null, value: Buffer.from(value), timestamp: 1_000 }] }), -1);

interface Ask {
  sessionId: number;
  sessionEpoch: number;
  partitions?: Array<[number, number]>;
  forgotten?: number[];
  version?: number;
}

/** A Fetch (v12 by name, v13 by id) answering at once; returns the top level and [partition, records bytes, hw] per answered partition. */
async function fetch({ sessionId, sessionEpoch, partitions = [], forgotten = [], version = 12 }: Ask) {
  const res = await broker.client.request(apiByKey.get(ApiKey.Fetch)!, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics:
      partitions.length === 0
        ? []
        : [{ topic: TOPIC, topicId, partitions: partitions.map(([partition, fetchOffset]) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: forgotten.length === 0 ? [] : [{ topic: TOPIC, topicId, partitions: forgotten }],
    rackId: '',
  });
  const answered = (res.responses as any[]).flatMap((t) => t.partitions.map((p: any) => [p.partitionIndex, p.records?.length ?? 0, Number(p.highWatermark)]));
  return { errorCode: res.errorCode as number, sessionId: res.sessionId as number, answered: answered.sort() };
}

test('KIP-227: a session answers only partitions with news; forgotten partitions leave it; epoch -1 closes it', async () => {
  await produce(0, 'a');
  await produce(1, 'b');
  // Full request (epoch 0): every partition, and a session id.
  const full = await fetch({
    sessionId: 0,
    sessionEpoch: 0,
    partitions: [
      [0, 1],
      [1, 1],
    ],
  });
  assert.equal(full.errorCode, ErrorCode.NONE);
  assert.notEqual(full.sessionId, 0);
  assert.deepEqual(full.answered, [
    [0, 0, 1],
    [1, 0, 1],
  ]);
  const id = full.sessionId;
  // Nothing new: an empty answer in the same session.
  assert.deepEqual(await fetch({ sessionId: id, sessionEpoch: 1 }), { errorCode: 0, sessionId: id, answered: [] });
  // A record on partition 1: only it is answered, from the fetch offset the session keeps.
  await produce(1, 'c');
  const news = await fetch({ sessionId: id, sessionEpoch: 2 });
  assert.equal(news.answered.length, 1);
  assert.equal(news.answered[0][0], 1);
  assert.ok(news.answered[0][1] > 0, 'with its records');
  // The client moves partition 1's offset: nothing new again.
  assert.deepEqual((await fetch({ sessionId: id, sessionEpoch: 3, partitions: [[1, 2]] })).answered, []);
  // Partition 0 forgotten: a record there is not answered.
  await fetch({ sessionId: id, sessionEpoch: 4, forgotten: [0] });
  await produce(0, 'd');
  assert.deepEqual((await fetch({ sessionId: id, sessionEpoch: 5 })).answered, []);
  // Errors: a wrong epoch, an unknown id, topic ids in a session of names.
  assert.deepEqual(await fetch({ sessionId: id, sessionEpoch: 9 }), { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, answered: [] });
  assert.equal((await fetch({ sessionId: id + 1, sessionEpoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  assert.equal((await fetch({ sessionId: id, sessionEpoch: 6, version: 13 })).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  // Epoch -1 closes it: a sessionless answer with every partition asked, and the id is gone.
  const final = await fetch({ sessionId: id, sessionEpoch: -1, partitions: [[0, 0]] });
  assert.deepEqual(final.sessionId, 0);
  assert.equal(final.answered.length, 1);
  assert.equal((await fetch({ sessionId: id, sessionEpoch: 6 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
});

test('KIP-227: sessions by topic id (v13+); the cache is bounded (2 slots here), a full cache answers session id 0', async () => {
  // At the log end of partition 0 (records a and d), so nothing is new afterwards.
  const a = await fetch({ sessionId: 0, sessionEpoch: 0, partitions: [[0, 2]], version: 13 });
  assert.notEqual(a.sessionId, 0);
  assert.equal(a.answered.length, 1);
  assert.deepEqual((await fetch({ sessionId: a.sessionId, sessionEpoch: 1, version: 13 })).answered, []);
  const b = await fetch({ sessionId: 0, sessionEpoch: 0, partitions: [[1, 0]], version: 13 });
  assert.notEqual(b.sessionId, 0);
  // Both slots are taken by sessions used within min_incremental_fetch_session_eviction_ms.
  const c = await fetch({ sessionId: 0, sessionEpoch: 0, partitions: [[1, 0]], version: 13 });
  assert.equal(c.sessionId, 0);
  assert.equal(c.answered.length, 1, 'still answered in full');
});

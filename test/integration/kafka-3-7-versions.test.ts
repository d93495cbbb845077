// Issue 12, "raise every API to the newest version Kafka 3.7 offers where its fields have a
// meaning here": the versions added besides Fetch's (topic-ids.test.ts), on one in-process broker.
// Before, each of these versions closed the connection ("... is not supported").

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import type { RawClient } from '../../bench/lib/raw-client.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';

let broker: InProcessBroker;
let client: RawClient;

before(async () => {
  broker = await startInProcessBroker('kafka-3-7');
  client = broker.client;
});

after(() => broker.close());

const api = (key: number) => apiByKey.get(key)!;

async function listOffset(version: number, topic: string, timestamp: number): Promise<{ errorCode: number; offset: number }> {
  const res = await client.request(api(ApiKey.ListOffsets), version, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  return res.topics[0].partitions[0];
}

test('Produce v10 appends; ListOffsets v8 answers -4 (earliest local, KIP-405) with the log start offset', async () => {
  const topic = 'v37';
  await client.createTopics([{ name: topic, numPartitions: 1 }]);
  await waitFor(() => broker.node.services.replicas.partition(topic, 0) !== undefined, `${topic}-0 to be hosted`);
  const records = buildRecordBatch({ records: ['a', 'b', 'c'].map((v, i) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 1000 + i })) });
  const produced = await client.request(api(ApiKey.Produce), 10, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const p = produced.responses[0].partitionResponses[0];
  assert.equal(p.errorCode, ErrorCode.NONE);
  assert.equal(p.baseOffset, 0);
  assert.deepEqual(p.currentLeader, { leaderId: -1, leaderEpoch: -1 }, 'no leader hint on success');
  assert.deepEqual(produced.nodeEndpoints, []);

  const deleted = await client.request(api(ApiKey.DeleteRecords), 2, {
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1 }] }],
    timeoutMs: 5000,
  });
  assert.equal(deleted.topics[0].partitions[0].errorCode, ErrorCode.NONE);
  assert.equal((await listOffset(8, topic, -4)).offset, 1, 'every record is local: the earliest local offset is the log start');
  assert.equal((await listOffset(8, topic, -2)).offset, 1);
  // Before v8 a client cannot mean -4; Kafka answers such a request as unsupported.
  assert.equal((await listOffset(7, topic, -4)).errorCode, ErrorCode.UNSUPPORTED_VERSION);
});

// Issue 12, "support topic ids end to end (KIP-516)": Metadata v10+ names each topic's id, Fetch
// v13+ reads by id and answers UNKNOWN_TOPIC_ID for an id no topic has (also the id of a topic
// deleted and created again under the same name), DeleteTopics v6 deletes by id. One in-process
// broker; the raw client sends each version exactly. Before this change Fetch stopped at v12, so
// every v13+ request here closed the connection ("Fetch v13 is not supported").

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch, decodeBatches } from '../../src/protocol/record-batch.ts';
import type { RawClient } from '../../bench/lib/raw-client.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';

/** KIP-430: "not requested". */
const NOT_REQUESTED = -2147483648;
/** Every AclOperation Kafka defines for a topic (READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS). */
const ALL_TOPIC_OPERATIONS = 0b1101_1111_1000;
/** ... and for the cluster (CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE). */
const ALL_CLUSTER_OPERATIONS = 0b1_1111_1010_0000;
let broker: InProcessBroker;
let client: RawClient;

before(async () => {
  broker = await startInProcessBroker('topic-ids');
  client = broker.client;
});

after(() => broker.close());

const api = (key: number) => apiByKey.get(key)!;

async function createTopic(name: string): Promise<Buffer> {
  const res = await client.request(api(ApiKey.CreateTopics), 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(res.topics[0].errorCode, ErrorCode.NONE);
  await waitFor(() => broker.node.services.replicas.partition(name, 0) !== undefined, `${name}-0 to be hosted`);
  return res.topics[0].topicId;
}

async function metadataV12(name: string, includeTopicAuthorizedOperations = false): Promise<any> {
  const res = await client.request(api(ApiKey.Metadata), 12, {
    topics: [{ topicId: Buffer.alloc(16), name }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations,
  });
  return res.topics[0];
}

async function fetchById(version: number, topicId: Buffer): Promise<any> {
  const res = await client.request(api(ApiKey.Fetch), version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.equal(res.responses.length, 1);
  assert.deepEqual(res.responses[0].topicId, topicId, 'the response names the topic by the id asked for');
  return res.responses[0].partitions[0];
}

function values(records: Buffer | null): string[] {
  return decodeBatches(records ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value!.toString()));
}

test('Metadata v10+ gives each topic its id (the one CreateTopics answered) and the authorized operations asked for', async () => {
  const id = await createTopic('ids-meta');
  assert.notDeepEqual(id, Buffer.alloc(16));
  const topic = await metadataV12('ids-meta');
  assert.equal(topic.errorCode, ErrorCode.NONE);
  assert.deepEqual(topic.topicId, id);
  // KIP-430, as a Kafka 3.7 broker without an authorizer answers (AuthHelper.authorizedOperations):
  // INT32_MIN when not asked for; asked for, every operation the resource type defines.
  assert.equal(topic.topicAuthorizedOperations, NOT_REQUESTED);
  assert.equal((await metadataV12('ids-meta', true)).topicAuthorizedOperations, ALL_TOPIC_OPERATIONS);
  const v10 = await client.request(api(ApiKey.Metadata), 10, {
    topics: [{ topicId: id, name: null }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: true,
    includeTopicAuthorizedOperations: true,
  });
  assert.equal(v10.topics[0].name, 'ids-meta', 'Metadata v10 finds a topic by its id alone');
  assert.equal(v10.clusterAuthorizedOperations, ALL_CLUSTER_OPERATIONS);
  assert.equal(v10.topics[0].topicAuthorizedOperations, ALL_TOPIC_OPERATIONS);
});

test('Fetch v13-v16 read a topic by its id', async () => {
  const id = await createTopic('ids-fetch');
  const batch = buildRecordBatch({ records: ['a', 'b'].map((v, i) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 1000 + i })) });
  assert.equal((await client.produce('ids-fetch', 0, batch, -1)).errorCode, ErrorCode.NONE);
  for (const version of [13, 14, 15, 16]) {
    const p = await fetchById(version, id);
    assert.equal(p.errorCode, ErrorCode.NONE, `v${version}`);
    assert.equal(p.highWatermark, 2);
    assert.deepEqual(values(p.records), ['a', 'b'], `v${version}`);
  }
});

test('Fetch v13+ answers UNKNOWN_TOPIC_ID for an id no topic has, also the old id of a topic created again', async () => {
  assert.equal((await fetchById(13, randomBytes(16))).errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  const oldId = await createTopic('ids-again');
  assert.deepEqual(
    (await client.deleteTopics(['ids-again'])).map((r) => r.errorCode),
    [ErrorCode.NONE],
  );
  await waitFor(() => broker.node.services.replicas.partition('ids-again', 0) === undefined, 'ids-again-0 to be dropped');
  const newId = await createTopic('ids-again');
  assert.notDeepEqual(newId, oldId, 'a topic created again gets a new id');
  assert.equal((await fetchById(16, oldId)).errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  assert.equal((await fetchById(16, newId)).errorCode, ErrorCode.NONE);
});

test('DeleteTopics v6 deletes by id; an unknown id answers UNKNOWN_TOPIC_ID', async () => {
  const id = await createTopic('ids-delete');
  const unknown = randomBytes(16);
  const res = await client.request(api(ApiKey.DeleteTopics), 6, {
    topics: [
      { name: null, topicId: id },
      { name: null, topicId: unknown },
    ],
    timeoutMs: 5000,
  });
  assert.deepEqual(
    res.responses.map((r: any) => [r.name, r.errorCode]),
    [
      ['ids-delete', ErrorCode.NONE],
      [null, ErrorCode.UNKNOWN_TOPIC_ID],
    ],
  );
  assert.deepEqual(res.responses[0].topicId, id);
  assert.equal((await metadataV12('ids-delete')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('DescribeCluster and DescribeGroups answer the authorized operations asked for (KIP-430)', async () => {
  const cluster = await client.request(api(ApiKey.DescribeCluster), 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
  assert.equal(cluster.errorCode, ErrorCode.NONE);
  assert.equal(cluster.clusterAuthorizedOperations, ALL_CLUSTER_OPERATIONS);
  const notAsked = await client.request(api(ApiKey.DescribeCluster), 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  assert.equal(notAsked.clusterAuthorizedOperations, NOT_REQUESTED);
  const groups = await client.request(api(ApiKey.DescribeGroups), 5, { groups: ['ids-group'], includeAuthorizedOperations: true });
  // READ, DELETE and DESCRIBE: every operation Kafka defines for a group.
  assert.equal(groups.groups[0].authorizedOperations, 0b1_0100_1000);
});

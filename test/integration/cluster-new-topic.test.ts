// Issue 12, "right after a topic is created, a broker that already knows the topic from the
// metadata but is still starting its replica must answer a retriable error
// (LEADER_NOT_AVAILABLE / NOT_LEADER_OR_FOLLOWER), never UNKNOWN_TOPIC_OR_PARTITION": a consumer
// of an auto-created topic on three brokers failed to query its beginning offset with
// UNKNOWN_TOPIC_OR_PARTITION.
//
// Three brokers. A client auto-creates a topic through one broker's Metadata and at once asks
// every broker, over and over, what a consumer and a producer ask: Metadata, ListOffsets
// (earliest), Fetch and Produce. Once a broker has described the topic in a Metadata answer it
// knows the topic, and from then on it must never call it unknown. Then, with leaders settled,
// Produce v10 and Fetch v16 sent to a follower name the leader and its address (KIP-951).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';

const TOPICS = ['fresh-a', 'fresh-b', 'fresh-c'];
/** How long each topic is probed after its creation: the window in which replicas start. */
const PROBE_MS_MAX = 15_000;

let cluster: TestCluster;
const clients = new Map<number, RawClient>();

before(async () => {
  cluster = await startCluster();
  for (const m of cluster.members) clients.set(m.nodeId, await RawClient.connect({ port: m.broker.port, clientId: 'new-topic-test' }));
});

after(async () => {
  for (const c of clients.values()) c.close();
  await cluster?.stop();
});

const api = (key: number) => apiByKey.get(key)!;

function metadata(client: RawClient, topic: string, allowAutoTopicCreation: boolean): Promise<any> {
  return client.request(api(ApiKey.Metadata), 12, {
    topics: [{ topicId: Buffer.alloc(16), name: topic }],
    allowAutoTopicCreation,
    includeTopicAuthorizedOperations: false,
  });
}

async function listEarliest(client: RawClient, topic: string): Promise<number> {
  const res = await client.request(api(ApiKey.ListOffsets), 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
  });
  return res.topics[0].partitions[0].errorCode;
}

async function fetchV12(client: RawClient, topic: string): Promise<number> {
  const res = await client.request(api(ApiKey.Fetch), 12, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  });
  return res.responses[0].partitions[0].errorCode;
}

function produceV10(client: RawClient, topic: string): Promise<any> {
  const records = buildRecordBatch({ records: [{ key: null, value: Buffer.from('x'), headers: [], timestamp: Date.now() }] });
  return client.request(api(ApiKey.Produce), 10, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
}

interface Answer {
  broker: number;
  api: string;
  errorCode: number;
  /** Whether this broker had described the topic in a Metadata answer before this request. */
  knew: boolean;
}

/** Probes every broker until each has answered ListOffsets without error or with NOT_LEADER_OR_FOLLOWER (another leads). */
async function probe(topic: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  const knows = new Set<number>();
  const settled = new Set<number>();
  const deadline = Date.now() + PROBE_MS_MAX;
  while (settled.size < clients.size && Date.now() < deadline) {
    await Promise.all(
      [...clients].map(async ([broker, client]) => {
        const knew = knows.has(broker);
        const meta = await metadata(client, topic, false);
        const t = meta.topics[0];
        answers.push({ broker, api: 'Metadata', errorCode: t.errorCode, knew });
        if (t.errorCode === ErrorCode.NONE || t.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) knows.add(broker);
        const listed = await listEarliest(client, topic);
        answers.push({ broker, api: 'ListOffsets', errorCode: listed, knew });
        answers.push({ broker, api: 'Fetch', errorCode: await fetchV12(client, topic), knew });
        const produced = await produceV10(client, topic);
        answers.push({ broker, api: 'Produce', errorCode: produced.responses[0].partitionResponses[0].errorCode, knew });
        if (knew && (listed === ErrorCode.NONE || listed === ErrorCode.NOT_LEADER_OR_FOLLOWER)) settled.add(broker);
      }),
    );
  }
  assert.equal(settled.size, clients.size, `every broker answered ListOffsets within ${PROBE_MS_MAX} ms: ${summary(answers)}`);
  return answers;
}

function summary(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const k = `broker ${a.broker} ${a.api} ${errorName(a.errorCode)}${a.knew ? '' : ' (before it knew)'}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join('; ');
}

test('a broker that knows a just-created topic never calls it unknown while its replica starts', { timeout: 120_000 }, async () => {
  for (const [i, topic] of TOPICS.entries()) {
    // Each topic through another broker: the creating broker is a step ahead of the others.
    const creator = clients.get(cluster.members[i % cluster.members.length].nodeId)!;
    const created = await metadata(creator, topic, true);
    assert.ok(
      [ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE].includes(created.topics[0].errorCode),
      `auto-create ${topic}: ${errorName(created.topics[0].errorCode)}`,
    );
    const answers = await probe(topic);
    const unknown = answers.filter((a) => a.knew && a.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(unknown, [], `${topic}: ${summary(answers)}`);
    // Whatever else was answered is what clients retry.
    const allowed = new Set<number>([ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.deepEqual(
      answers.filter((a) => !allowed.has(a.errorCode)),
      [],
      `${topic}: ${summary(answers)}`,
    );
  }
});

test('Produce v10 and Fetch v16 at a follower name the leader and its address (KIP-951)', { timeout: 60_000 }, async () => {
  const topic = TOPICS[0];
  // The test above left every broker knowing the topic and partition 0 led.
  const meta = await metadata(clients.get(1)!, topic, false);
  const p0 = meta.topics[0].partitions[0];
  assert.equal(p0.errorCode, ErrorCode.NONE);
  const leader = cluster.member(p0.leaderId);
  const follower = cluster.members.find((m) => m.nodeId !== p0.leaderId)!;
  const client = clients.get(follower.nodeId)!;

  const produced = await produceV10(client, topic);
  assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(produced.responses[0].partitionResponses[0].currentLeader, { leaderId: p0.leaderId, leaderEpoch: p0.leaderEpoch });
  assert.deepEqual(
    produced.nodeEndpoints.map((e: any) => [e.nodeId, e.port]),
    [[leader.nodeId, leader.broker.port]],
  );

  const fetched = await client.request(api(ApiKey.Fetch), 16, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topicId: meta.topics[0].topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  });
  const part = fetched.responses[0].partitions[0];
  assert.equal(part.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.deepEqual(part.currentLeader, { leaderId: p0.leaderId, leaderEpoch: p0.leaderEpoch });
  assert.deepEqual(
    fetched.nodeEndpoints.map((e: any) => [e.nodeId, e.port]),
    [[leader.nodeId, leader.broker.port]],
  );
});

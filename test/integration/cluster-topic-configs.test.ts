// issue 12 in cluster mode (three real brokers): config changes are metadata commands, so one sent
// to a broker that is not the controller is forwarded and every broker applies it; and
// min.insync.replicas bounds acks=all by the replicas in sync (Kafka's ISR, read off Raft): with
// one replica down, a topic that needs 3 refuses acks=all with NOT_ENOUGH_REPLICAS, and takes it
// again once lowered to 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';

const api = (key: number) => apiByKey.get(key)!;
const TOPIC = 2;
const batch = () => buildRecordBatch({ records: [{ value: 'v', timestamp: Date.now() }] });

test('issue 12: alterConfigs is forwarded to the controller and applied on every broker; min.insync.replicas refuses acks=all with a replica down', {
  timeout: 120_000,
}, async () => {
  const cluster = await startCluster();
  const clients: RawClient[] = [];
  const connect = async (nodeId: number) => {
    const c = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
    clients.push(c);
    return c;
  };
  try {
    await cluster.waitFor('a metadata leader', async () => (await cluster.leaderOf('__metadata')) > 0);
    const controller = await cluster.leaderOf('__metadata');
    const other = cluster.members.find((m) => m.nodeId !== controller)!.nodeId;
    const admin = await connect(other);
    const created = await admin.request(api(ApiKey.CreateTopics), 7, {
      topics: [{ name: 'isr', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '3' }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE, created.topics[0].errorMessage);
    await cluster.waitFor('a leader of isr-0', async () => (await cluster.leaderOf('isr-0')) > 0);
    const leader = await cluster.leaderOf('isr-0');
    const producer = await connect(leader);
    await cluster.waitFor('acks=all with every replica in sync', async () => (await producer.produce('isr', 0, batch(), -1)).errorCode === ErrorCode.NONE);

    // A follower of the partition goes down: the leader's in-sync set shrinks to two.
    const victim = cluster.members.find((m) => m.nodeId !== leader)!;
    await victim.broker.kill9();
    await cluster.waitFor(
      'acks=all refused with NOT_ENOUGH_REPLICAS',
      async () => (await producer.produce('isr', 0, batch(), -1)).errorCode === ErrorCode.NOT_ENOUGH_REPLICAS,
    );
    assert.equal((await producer.produce('isr', 0, batch(), 1)).errorCode, ErrorCode.NONE, 'acks=1 does not need the in-sync replicas');

    // Lowered through a broker that is alive and (if possible) not the controller: forwarded.
    const alive = cluster.members.filter((m) => m.broker.alive()).map((m) => m.nodeId);
    const controllerNow = await cluster.leaderOf('__metadata', [victim.nodeId]);
    const via = await connect(alive.find((id) => id !== controllerNow) ?? alive[0]);
    const altered = await via.request(api(ApiKey.IncrementalAlterConfigs), 1, {
      resources: [{ resourceType: TOPIC, resourceName: 'isr', configs: [{ name: 'min.insync.replicas', configOperation: 0, value: '2' }] }],
      validateOnly: false,
    });
    assert.equal(altered.responses[0].errorCode, ErrorCode.NONE, altered.responses[0].errorMessage);
    await cluster.waitFor(
      'acks=all accepted with min.insync.replicas=2',
      async () => (await producer.produce('isr', 0, batch(), -1)).errorCode === ErrorCode.NONE,
    );
    for (const id of alive) {
      const c = await connect(id);
      await cluster.waitFor(`broker ${id} shows min.insync.replicas=2`, async () => {
        const res = await c.request(api(ApiKey.DescribeConfigs), 4, {
          resources: [{ resourceType: TOPIC, resourceName: 'isr', configurationKeys: ['min.insync.replicas'] }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        return res.results[0].configs[0]?.value === '2';
      });
    }
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
});

// issue 13, SDK routing against a real broker process: the Cluster negotiates versions with
// Runnel's ApiVersions, finds a new topic's leaders in its metadata, and finds a group's
// coordinator; a bootstrap list whose first address is dead still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/client/cluster.ts';
import { createTopics, metadata } from '../../src/protocol/apis/index.ts';
import { freePort } from '../helpers/broker-process.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const sdk = useSdkBroker();

test('a Cluster bootstraps past a dead address, finds a new topic leader and a group coordinator on a real broker', async (t) => {
  const cluster = new Cluster({ bootstrap: [`127.0.0.1:${await freePort()}`, sdk.bootstrap] });
  t.after(() => cluster.close());
  assert.equal(await cluster.versionOf('any', metadata), metadata.maxVersion, 'Runnel speaks every Metadata version our codec does');
  const created = await cluster.request('any', createTopics, {
    topics: [{ name: 'routing', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
  });
  assert.equal(created.topics[0]!.errorCode, 0);
  const meta = await cluster.metadata(['routing']);
  assert.equal(meta.topics[0]!.partitions.length, 3);
  assert.equal(meta.topics[0]!.topicId.length, 16);
  assert.notDeepEqual(meta.topics[0]!.topicId, Buffer.alloc(16), 'Metadata v10+ carries the topic id');
  const [nodeId] = meta.brokers.map((b) => b.nodeId);
  for (const p of [0, 1, 2]) assert.equal(await cluster.leaderFor('routing', p), nodeId);
  assert.equal(await cluster.coordinator('routing-group'), nodeId);
});

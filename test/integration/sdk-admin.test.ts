// issue 13: the SDK admin client against a real broker process: topics (create with configs,
// list, describe, add partitions, delete), configs (describe, incremental alter), records
// (delete before an offset), groups (reset offsets of an empty group to earliest, latest,
// a timestamp and an offset; describe with lag; list; delete) and the cluster's description.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../src/client/admin/admin.ts';
import { KafkaError } from '../../src/client/errors.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

let admin: Admin;
const sdk = useSdkBroker({
  onStart: () => {
    // Shares the fixture's Cluster, which the fixture closes.
    admin = new Admin({ cluster: sdk.cluster });
  },
});

test('topics: create with configs, list, describe, add partitions, delete', async () => {
  await admin.createTopics([{ name: 'adm-a', partitions: 2, configs: { 'retention.ms': '3600000' } }, { name: 'adm-b' }]);
  await assert.rejects(admin.createTopics([{ name: 'adm-a' }]), (e: unknown) => e instanceof KafkaError && e.errorName === 'TOPIC_ALREADY_EXISTS');
  const names = await admin.listTopics();
  assert.ok(names.includes('adm-a') && names.includes('adm-b'), names.join());
  const [a] = await admin.describeTopics(['adm-a']);
  assert.equal(a!.partitions.length, 2);
  assert.match(a!.topicId, /^[0-9a-f]{32}$/);
  assert.ok(a!.partitions.every((p) => p.leader >= 0 && p.replicas.length === 1));
  await admin.createPartitions('adm-a', 4);
  assert.equal((await admin.describeTopics(['adm-a']))[0]!.partitions.length, 4);
  await assert.rejects(admin.createPartitions('adm-a', 2), (e: unknown) => e instanceof KafkaError && e.errorName === 'INVALID_PARTITIONS');
  await admin.deleteTopics(['adm-b']);
  assert.ok(!(await admin.listTopics()).includes('adm-b'));
  await assert.rejects(admin.describeTopics(['adm-b']), (e: unknown) => e instanceof KafkaError && e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION');
});

test('configs: describe, then alter one incrementally without touching the others', async () => {
  await admin.createTopics([{ name: 'adm-configs', configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' } }]);
  const before = await admin.describeConfigs({ type: 'topic', name: 'adm-configs' }, ['retention.ms', 'cleanup.policy']);
  assert.deepEqual(
    before.map((c) => [c.name, c.value]),
    [
      ['cleanup.policy', 'delete'],
      ['retention.ms', '3600000'],
    ],
  );
  await admin.alterConfigs({ type: 'topic', name: 'adm-configs' }, [{ name: 'retention.ms', op: 'set', value: '7200000' }]);
  const afterAlter = await admin.describeConfigs({ type: 'topic', name: 'adm-configs' }, ['retention.ms', 'cleanup.policy']);
  assert.deepEqual(
    afterAlter.map((c) => [c.name, c.value]),
    [
      ['cleanup.policy', 'delete'],
      ['retention.ms', '7200000'],
    ],
  );
  assert.deepEqual(
    afterAlter.map((c) => c.isDefault),
    [false, false],
  );
  await admin.alterConfigs({ type: 'topic', name: 'adm-configs' }, [{ name: 'cleanup.policy', op: 'delete' }]);
  const [policy] = await admin.describeConfigs({ type: 'topic', name: 'adm-configs' }, ['cleanup.policy']);
  assert.equal(policy!.isDefault, true, 'deleted: back to the default');
  await assert.rejects(
    admin.alterConfigs({ type: 'topic', name: 'adm-configs' }, [{ name: 'retention.ms', op: 'set', value: 'soon' }]),
    (e: unknown) => e instanceof KafkaError && e.errorName === 'INVALID_CONFIG',
  );
});

test('groups: reset offsets of an empty group, describe it with lag, list it, delete it; records deleted before an offset', async () => {
  await admin.createTopics([{ name: 'adm-g', partitions: 2 }]);
  const producer = new Producer({ cluster: admin.cluster });
  const t0 = Date.now();
  for (let i = 0; i < 10; i++) await producer.send({ topic: 'adm-g', partition: 0, value: `r${i}`, timestamp: t0 + i * 1000 });
  await producer.flush();
  assert.deepEqual(await admin.resetOffsets('adm-group', 'adm-g', { to: 'earliest' }), [
    { partition: 0, offset: 0 },
    { partition: 1, offset: 0 },
  ]);
  let [g] = await admin.describeGroups(['adm-group']);
  assert.deepEqual(
    g!.offsets.map((o) => [o.partition, o.committed, o.highWatermark, o.lag]),
    [
      [0, 0, 10, 10],
      [1, 0, 0, 0],
    ],
  );
  assert.equal(g!.members.length, 0);
  assert.deepEqual(await admin.resetOffsets('adm-group', 'adm-g', { to: 'timestamp', timestamp: t0 + 4_000 }, [0]), [{ partition: 0, offset: 4 }]);
  assert.deepEqual(await admin.resetOffsets('adm-group', 'adm-g', { to: 'offset', offset: 7 }, [0]), [{ partition: 0, offset: 7 }]);
  [g] = await admin.describeGroups(['adm-group']);
  assert.equal(g!.offsets[0]!.lag, 3);
  assert.deepEqual(await admin.resetOffsets('adm-group', 'adm-g', { to: 'latest' }, [0]), [{ partition: 0, offset: 10 }]);
  assert.ok((await admin.listGroups()).some((l) => l.groupId === 'adm-group'));
  await admin.deleteGroups(['adm-group']);
  assert.ok(!(await admin.listGroups()).some((l) => l.groupId === 'adm-group'));

  assert.deepEqual(await admin.deleteRecords('adm-g', { 0: 6 }), [{ partition: 0, lowWatermark: 6 }]);
  assert.deepEqual(await admin.resetOffsets('adm-group-2', 'adm-g', { to: 'earliest' }, [0]), [{ partition: 0, offset: 6 }]);
});

test('the cluster: its id, controller and brokers', async () => {
  const description = await admin.describeCluster();
  assert.deepEqual(
    description.brokers.map((b) => b.port),
    [sdk.broker.port],
  );
  assert.ok(description.clusterId);
});

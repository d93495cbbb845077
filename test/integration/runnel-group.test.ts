// issue 13: `runnel group list|describe|reset-offsets|delete` against one real broker (run
// in-process through runRunnel, as ./runnel runs it): a group that committed offsets through the
// SDK Consumer is listed, described with its lag, reset (--dry-run changes nothing), refused a
// reset and a delete while a member is active, and deleted. Exit codes as docs/cli.md documents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../src/client/admin/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';
import { type BrokerHandle, startBroker } from '../helpers/broker-process.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TOPIC = 'grp-t';
let broker: BrokerHandle;
let cluster: Cluster;
let admin: Admin;
before(async () => {
  broker = await startBroker();
  cluster = new Cluster({ bootstrap: [broker.bootstrap] });
  admin = new Admin({ cluster });
  await createTopic(cluster, TOPIC, 2);
  await createTopic(cluster, 'grp-u', 1);
  await produceTo(cluster, TOPIC, 0, [
    { key: 'a', value: '1', timestamp: 1_000 },
    { key: 'b', value: '2', timestamp: 2_000 },
    { key: 'c', value: '3', timestamp: 3_000 },
  ]);
  await produceTo(cluster, TOPIC, 1, [
    { key: 'd', value: '4', timestamp: 1_000 },
    { key: 'e', value: '5', timestamp: 5_000 },
  ]);
  // The group commits 1 of 3 records on partition 0 and both of partition 1: lag 2 and 0.
  const committer = new Consumer({ cluster, groupId: 'billing', onError: () => {} });
  await committer.commit([
    { topic: TOPIC, partition: 0, offset: 1 },
    { topic: TOPIC, partition: 1, offset: 2 },
  ]);
  await committer.close();
});
after(async () => {
  await admin?.close();
  await cluster?.close();
  await broker?.stop();
});

const runnel = (...args: string[]) => runnelInProcess(args, { ...process.env, RUNNEL_BOOTSTRAP: broker.bootstrap });

async function committed(group: string): Promise<[number, number][]> {
  const [g] = await admin.describeGroups([group]);
  return g!.offsets.filter((o) => o.topic === TOPIC).map((o) => [o.partition, o.committed]);
}

test('group list shows the group that committed; describe shows its lag per partition', async () => {
  const list = await runnel('group', 'list');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^billing\s+Empty\s/m);
  const listJson = await runnel('group', 'list', '--json');
  assert.ok(JSON.parse(listJson.stdout).some((g: { groupId: string }) => g.groupId === 'billing'));

  const describe = await runnel('group', 'describe', 'billing');
  assert.equal(describe.code, 0, describe.stderr);
  assert.match(describe.stdout, /group billing {2}state Empty .* 0 members {2}lag 2/);
  assert.match(describe.stdout, /^grp-t\s+0\s+1\s+3\s+2$/m);
  assert.match(describe.stdout, /^grp-t\s+1\s+2\s+2\s+0$/m);
  const json = JSON.parse((await runnel('group', 'describe', 'billing', '--json')).stdout);
  assert.deepEqual(
    json.offsets.map((o: { partition: number; committed: number; highWatermark: number; lag: number }) => [o.partition, o.committed, o.highWatermark, o.lag]),
    [
      [0, 1, 3, 2],
      [1, 2, 2, 0],
    ],
  );

  const missing = await runnel('group', 'describe', 'nobody');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /group nobody does not exist: see the groups with `runnel group list`/);
});

test('reset-offsets --dry-run prints the plan and changes nothing; without it the commits move', async () => {
  const dry = await runnel('group', 'reset-offsets', 'billing', '--topic', TOPIC, '--to-earliest', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^grp-t\s+0\s+1\s+0$/m);
  assert.match(dry.stdout, /^grp-t\s+1\s+2\s+0$/m);
  assert.match(dry.stdout, /dry run: nothing changed/);
  assert.deepEqual(await committed('billing'), [
    [0, 1],
    [1, 2],
  ]);

  // The first record at or after 2 s: offset 1 of partition 0, offset 1 (5 s) of partition 1.
  const byTime = JSON.parse(
    (await runnel('group', 'reset-offsets', 'billing', '--topic', TOPIC, '--to-datetime', '1970-01-01T00:00:02', '--dry-run', '--json')).stdout,
  );
  assert.deepEqual(
    byTime.offsets.map((o: { partition: number; new: number }) => [o.partition, o.new]),
    [
      [0, 1],
      [1, 1],
    ],
  );
  // --topic repeatable or a comma list, the same.
  const both = await runnel('group', 'reset-offsets', 'billing', '--topic', TOPIC, '--topic', 'grp-u', '--to-latest', '--dry-run', '--json');
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(
    JSON.parse(both.stdout).offsets.map((o: { topic: string; partition: number; new: number }) => `${o.topic}/${o.partition}=${o.new}`),
    ['grp-t/0=3', 'grp-t/1=2', 'grp-u/0=0'],
  );
  assert.deepEqual(await committed('billing'), [
    [0, 1],
    [1, 2],
  ]);

  const reset = await runnel('group', 'reset-offsets', 'billing', '--topic', TOPIC, '--to-earliest');
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /reset group billing: 2 partitions/);
  assert.deepEqual(await committed('billing'), [
    [0, 0],
    [1, 0],
  ]);

  const toOffset = await runnel('group', 'reset-offsets', 'billing', '--topic', `${TOPIC},grp-u`, '--to-offset', '1', '--json');
  assert.equal(toOffset.code, 0, toOffset.stderr);
  assert.equal(JSON.parse(toOffset.stdout).offsets.length, 3);
  assert.deepEqual(await committed('billing'), [
    [0, 1],
    [1, 1],
  ]);
});

test('reset-offsets and delete are refused while a member is active (exit 1, saying what to do)', async () => {
  const member = new Consumer({ cluster, groupId: 'live', autoOffsetReset: 'earliest', onError: () => {} });
  try {
    member.subscribe([TOPIC]);
    await waitFor(async () => ((await admin.describeGroups(['live']))[0]?.members.length ?? 0) > 0, 'the consumer to join group live', 30_000, 100);
    const reset = await runnel('group', 'reset-offsets', 'live', '--topic', TOPIC, '--to-earliest');
    assert.equal(reset.code, 1);
    assert.match(reset.stderr, /group live has 1 active member: stop them before resetting offsets/);
    const del = await runnel('group', 'delete', 'live');
    assert.equal(del.code, 1);
    assert.match(del.stderr, /NON_EMPTY_GROUP.*stop its consumers first/);
    const described = await runnel('group', 'describe', 'live');
    assert.match(described.stdout, /1 member/);
    assert.match(described.stdout, /MEMBER\s+CLIENT\s+HOST/);
  } finally {
    await member.close();
  }
});

test('group delete removes the group and its commits', async () => {
  const del = await runnel('group', 'delete', 'billing');
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'deleted group billing\n');
  const list = JSON.parse((await runnel('group', 'list', '--json')).stdout);
  assert.ok(!list.some((g: { groupId: string }) => g.groupId === 'billing'));
  const again = await runnel('group', 'delete', 'billing');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /runnel group list/);
});

test('usage mistakes exit 2; an unknown topic exits 1 saying where to look', async () => {
  for (const argv of [
    ['group', 'reset-offsets', 'g', '--topic', TOPIC],
    ['group', 'reset-offsets', 'g', '--topic', TOPIC, '--to-earliest', '--to-latest'],
    ['group', 'reset-offsets', 'g', '--to-earliest'],
    ['group', 'reset-offsets', 'g', '--topic', TOPIC, '--to-datetime', 'yesterday'],
    ['group', 'reset-offsets', 'g', '--topic', TOPIC, '--to-offset', '-1'],
    ['cluster', 'list-reassignments', '--topic', 'a', '--topic', 'b'],
  ]) {
    const r = await runnel(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
  }
  const unknown = await runnel('group', 'reset-offsets', 'g', '--topic', 'nope', '--to-earliest');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /topic nope does not exist: see the topics with `runnel topic list`/);
  const help = await runnel('group', 'reset-offsets', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /runnel group reset-offsets billing --topic orders --to-earliest --dry-run/);
});

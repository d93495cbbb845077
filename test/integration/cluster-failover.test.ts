// Cluster mode with three real brokers (issue 4): a leader killed under acks=all load loses no
// acknowledged record and, with the idempotent producer (KIP-98), writes none twice; a leader
// stopped past the election timeout acknowledges nothing when it wakes (Raft §5.1: a stale term
// loses); all three killed at once lose nothing acknowledged; after restarts the replicas hold
// byte-identical logs (Raft §5.3, log matching).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor, produceNumbered, readAll } from '../helpers/cluster-clients.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { parseProduceV3, produceRequestV3 } from '../helpers/wire.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

test('kill -9 of the partition leader under acks=all load: nothing acknowledged lost, no duplicates (idempotent), replicas identical', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'orders');
    const victim = await cluster.leaderOf('orders-0');
    assert.ok(victim > 0);
    const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let killed: Promise<unknown> | null = null;
    const acked = await produceNumbered(producer, 'orders', 4_000, 20, (count) => {
      if (count >= 1_000 && killed === null) killed = cluster.member(victim).broker.kill9();
    });
    await producer.disconnect();
    await killed;
    const newLeader = await cluster.leaderOf('orders-0', [victim]);
    assert.ok(newLeader > 0 && newLeader !== victim, 'another broker leads');

    await cluster.member(victim).broker.restart();
    await cluster.waitCaughtUp('orders-0');
    const values = await readAll(cluster, 'orders');
    assert.equal(new Set(values).size, values.length, 'no record was written twice');
    const stored = new Set(values);
    const lost = acked.filter((v) => !stored.has(v));
    assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged records lost`);
    assert.equal(values.length, acked.length);
    await cluster.assertReplicasIdentical([['orders', 0]]);
  } finally {
    await cluster.stop();
  }
});

test('a leader stopped (SIGSTOP) past the election timeout acknowledges nothing when it continues', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'stale');
    const producer = kafkaFor(cluster).producer({ idempotent: false });
    await producer.connect();
    await produceNumbered(producer, 'stale', 100, 10);
    await producer.disconnect();
    const stale = await cluster.leaderOf('stale-0');
    const broker = cluster.member(stale).broker;
    const client = await RawConnection.connect(broker.port);
    try {
      process.kill(broker.pid, 'SIGSTOP');
      try {
        // The others elect a new leader once the election timeout passes without heartbeats.
        await cluster.waitFor('a new leader among the others', async () => (await cluster.leaderOf('stale-0', [stale])) > 0, 20_000);
        // This request waits in the stopped broker's socket until it continues.
        const batch = buildRecordBatch({ records: [{ key: null, value: Buffer.from('written-to-a-stale-leader'), timestamp: Date.now() }] });
        await client.send(produceRequestV3(1, 'stale', 0, batch, -1, 5_000));
        await new Promise((r) => setTimeout(r, 200));
        process.kill(broker.pid, 'SIGCONT');
        const response = parseProduceV3(await client.readFrame(15_000));
        const errorCode = response.topics[0].partitions[0].errorCode;
        assert.notEqual(errorCode, ErrorCode.NONE, 'the stale leader must not acknowledge the write');
      } finally {
        try {
          process.kill(broker.pid, 'SIGCONT');
        } catch {
          // Already running or gone.
        }
      }
    } finally {
      client.close();
    }
    await cluster.waitCaughtUp('stale-0');
    const values = await readAll(cluster, 'stale');
    assert.equal(values.length, 100);
    assert.ok(!values.includes('written-to-a-stale-leader'), 'the unacknowledged write never became visible');
  } finally {
    await cluster.stop();
  }
});

test('all three brokers killed at once and restarted: nothing acknowledged is lost', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'everything', 3);
    const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = await produceNumbered(producer, 'everything', 1_500, 25, undefined, 3);
    await producer.disconnect();
    await Promise.all(cluster.members.map((m) => m.broker.kill9()));
    await Promise.all(cluster.members.map((m) => m.broker.restart()));
    const values: string[] = [];
    for (let p = 0; p < 3; p++) {
      await cluster.waitFor(`everything-${p} has a leader`, async () => (await cluster.leaderOf(`everything-${p}`)) > 0);
      values.push(...(await readAll(cluster, 'everything', p)));
    }
    const stored = new Set(values);
    assert.deepEqual(
      acked.filter((v) => !stored.has(v)),
      [],
      'every acknowledged record survived',
    );
    assert.equal(values.length, acked.length, 'and none was written twice');
  } finally {
    await cluster.stop();
  }
});

test('a broker restarted with a wiped data dir never counts as its old self, is replaced by the leaders and catches up', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'wiped');
    const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = await produceNumbered(producer, 'wiped', 500, 25);
    const leader = await cluster.leaderOf('wiped-0');
    const victim = cluster.members.find((m) => m.nodeId !== leader)!;
    await victim.broker.kill9();
    rmSync(victim.broker.dataDir, { recursive: true, force: true });
    await victim.broker.restart();
    // Raft thesis §4.1, one change at a time: the leaders remove the old disk's identity, then
    // add the new one as a learner, which catches up from the log and is then promoted (§4.2.1;
    // the partition reconciler logs each step as a partition membership change).
    const replaced = () =>
      cluster.members.some((m) =>
        m.broker.logs().some((l) => l.includes('partition membership change') && l.includes('"group":"wiped-0@') && l.includes('"change":"addVoter"')),
      );
    await cluster.waitFor('the leader added the new disk to wiped-0', replaced);
    assert.ok(
      victim.broker.logs().some((l) => l.includes('founding configuration does not name this disk')),
      'it did not found the group again',
    );
    acked.push(...(await produceNumbered(producer, 'wiped', 100, 25)));
    await producer.disconnect();
    await cluster.waitCaughtUp('wiped-0');
    const values = await readAll(cluster, 'wiped');
    assert.equal(values.length, 600);
    await cluster.assertReplicasIdentical([['wiped', 0]]);
  } finally {
    await cluster.stop();
  }
});

/** The storage id a broker's group runs under, from its /status. */
async function groupStorageId(cluster: TestCluster, nodeId: number, group: string): Promise<string> {
  const g = (await cluster.status(nodeId)).groups.find((x) => x.group === group);
  if (!g) throw new Error(`broker ${nodeId} does not host ${group}`);
  return g.storageId;
}

/** Whether `group`'s leader names `nodeId` as a voter with the identity it answers with, and that identity is `storageId`. */
async function memberUnder(cluster: TestCluster, group: string, nodeId: number, storageId: string): Promise<boolean> {
  const leader = await cluster.leaderOf(group);
  if (leader <= 0) return false;
  const g = (await cluster.status(leader)).groups.find((x) => x.group === group);
  const f = g?.followers.find((x) => x.id === nodeId);
  return !!g && g.voters.includes(nodeId) && !!f && f.identityOk && f.storageId === storageId;
}

test('issue 9 item 2: a replica whose partition directory was removed never votes as its old self; the acknowledged records survive', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'lost');
    const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = await produceNumbered(producer, 'lost', 200, 25);
    const a = await cluster.leaderOf('lost-0');
    const [b, c] = cluster.members.filter((m) => m.nodeId !== a).map((m) => m.nodeId);
    const nodeStorageC = await groupStorageId(cluster, c, '__metadata');
    await cluster.member(b).broker.kill9();
    // Acknowledged by the leader A and the follower C only: B never has them.
    acked.push(...(await produceNumbered(producer, 'lost', 500, 25)));
    await producer.disconnect();
    await Promise.all([cluster.member(a).broker.kill9(), cluster.member(c).broker.kill9()]);
    rmSync(join(cluster.member(c).broker.dataDir, 'lost-0'), { recursive: true, force: true });

    await Promise.all([cluster.member(b).broker.restart(), cluster.member(c).broker.restart()]);
    // B lacks the 500 acknowledged records, and C no longer has them. C must not vote for B as
    // its old self (Raft §5.4.1, election restriction; a correct cluster waits for A). Polled
    // for several election timeouts (10 ticks of 50 ms each, randomised up to twice that).
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      assert.equal(await cluster.leaderOf('lost-0'), 0, 'B and C elected a leader without the acknowledged records');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(
      cluster
        .member(c)
        .broker.logs()
        .some((l) => l.includes('lost its Raft state') && l.includes('"group":"lost-0@')),
      'C says it lost its state',
    );
    const newStorageC = await groupStorageId(cluster, c, 'lost-0');
    assert.ok(newStorageC.startsWith(`${nodeStorageC}/`), `C runs lost-0 under a new identity (${newStorageC})`);

    await cluster.member(a).broker.restart();
    await cluster.waitFor('lost-0 has a leader', async () => (await cluster.leaderOf('lost-0')) > 0);
    const values = await readAll(cluster, 'lost');
    assert.deepEqual(values, acked, 'all 700 acknowledged records, in order');
    // Raft thesis §4.1: the old identity is removed, then C is added back under the new one.
    await cluster.waitFor('C is a voter of lost-0 again under its new identity', () => memberUnder(cluster, 'lost-0', c, newStorageC));
    await cluster.assertReplicasIdentical([['lost', 0]]);
  } finally {
    await cluster.stop();
  }
});

test('issue 9 item 2: a broker whose metadata directory was lost (runnel.db kept) rejoins the metadata group under a new identity, never as its old self', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'before');
    const controller = await cluster.leaderOf('__metadata');
    const victim = cluster.members.find((m) => m.nodeId !== controller)!;
    const nodeStorage = await groupStorageId(cluster, victim.nodeId, '__metadata');
    await victim.broker.kill9();
    rmSync(join(victim.broker.dataDir, 'cluster', 'metadata'), { recursive: true, force: true });
    await victim.broker.restart();
    assert.ok(
      victim.broker.logs().some((l) => l.includes('lost its Raft state') && l.includes('"group":"__metadata"')),
      'it says it lost its state',
    );
    const logs = victim.broker.logs();
    const sinceRestart = logs.slice(logs.map((l) => l.startsWith('[harness] restart')).lastIndexOf(true));
    assert.ok(!sinceRestart.some((l) => l.includes('bootstrapping group __metadata')), 'it did not bootstrap the group again');
    const newStorage = await groupStorageId(cluster, victim.nodeId, '__metadata');
    assert.ok(newStorage.startsWith(`${nodeStorage}/`), `a new group identity (${newStorage})`);
    await cluster.waitFor('it is a member of __metadata again under its new identity', () => memberUnder(cluster, '__metadata', victim.nodeId, newStorage));
    // The metadata still works through it: a topic created now is hosted on every broker.
    await createTopic(cluster, 'after');
    await cluster.waitCaughtUp('__metadata');
    await cluster.waitFor('the new broker hosts after-0', async () => (await cluster.status(victim.nodeId)).groups.some((g) => g.group === 'after-0'));
  } finally {
    await cluster.stop();
  }
});

// Cluster mode with three real brokers (issue 4): a leader killed under acks=all load loses no
// acknowledged record and, with the idempotent producer (KIP-98), writes none twice; a leader
// stopped past the election timeout acknowledges nothing when it wakes (Raft §5.1: a stale term
// loses); all three killed at once lose nothing acknowledged; after restarts the replicas hold
// byte-identical logs (Raft §5.3, log matching).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Producer } from 'kafkajs';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor, readAll } from '../helpers/cluster-clients.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { parseProduceV3, produceRequestV3 } from '../helpers/wire.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

/** Produces `total` numbered records in batches of `batch`, one request at a time; returns the acknowledged values. */
async function produceNumbered(producer: Producer, topic: string, total: number, batch: number, onProgress?: (acked: number) => void): Promise<string[]> {
  const acked: string[] = [];
  // Bounded by the record count; each send has the client's own retries and timeout.
  for (let n = 0; n < total; n += batch) {
    const values = Array.from({ length: Math.min(batch, total - n) }, (_, i) => `v-${n + i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    acked.push(...values);
    onProgress?.(acked.length);
  }
  return acked;
}

async function assertReplicasIdentical(cluster: TestCluster, topic: string, partition = 0): Promise<void> {
  await cluster.waitCaughtUp(`${topic}-${partition}`);
  const ids = cluster.members.map((m) => m.nodeId);
  // Segments are flushed and closed on SIGTERM; compare what is on disk then.
  await Promise.all(cluster.members.map((m) => m.broker.stop()));
  const bytes = ids.map((id) => cluster.partitionBytes(id, topic, partition));
  assert.ok(bytes[0].length > 0, 'the partition has data');
  for (let i = 1; i < bytes.length; i++) assert.ok(bytes[i].equals(bytes[0]), `broker ${ids[i]}'s log equals broker ${ids[0]}'s`);
}

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
    await assertReplicasIdentical(cluster, 'orders');
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
    const acked = await produceNumbered(producer, 'everything', 1_500, 25);
    await producer.disconnect();
    await Promise.all(cluster.members.map((m) => m.broker.kill9()));
    await Promise.all(cluster.members.map((m) => m.broker.restart()));
    const values: string[] = [];
    for (let p = 0; p < 3; p++) {
      await cluster.waitFor(`everything-${p} has a leader`, async () => (await cluster.leaderOf(`everything-${p}`)) > 0);
      values.push(...(await readAll(cluster, 'everything', p)));
    }
    const stored = new Set(values);
    assert.deepEqual(acked.filter((v) => !stored.has(v)), [], 'every acknowledged record survived');
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
    // add the new one, and the new replica catches up from the log.
    const replaced = () => cluster.members.some((m) => m.broker.logs().some((l) => l.includes('replacing a member whose disk changed') && l.includes('"group":"wiped-0@') && l.includes('addVoter')));
    await cluster.waitFor('the leader added the new disk to wiped-0', replaced);
    assert.ok(victim.broker.logs().some((l) => l.includes('founding configuration does not name this disk')), 'it did not found the group again');
    acked.push(...(await produceNumbered(producer, 'wiped', 100, 25)));
    await producer.disconnect();
    await cluster.waitCaughtUp('wiped-0');
    const values = await readAll(cluster, 'wiped');
    assert.equal(values.length, 600);
    await assertReplicasIdentical(cluster, 'wiped');
  } finally {
    await cluster.stop();
  }
});

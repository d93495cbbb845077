// issue 11 (join): brokers join a running cluster. Three founders (metadata_voters 4) and two
// joiners: broker 4 with static discovery (a copy of founder 1's config: initial_members names
// the founders, initial_cluster_state "existing"), broker 5 in manual mode, joined with
// POST /cluster/join. Each appears in Metadata on every broker, joins __metadata (4 becomes the
// fourth voter, 5 stays a learner), a topic created afterwards has replicas on both, records
// produced with acks=all are read back, and both joiners come back after a restart.
// Also: founders started in random order with static discovery form one cluster.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { kafkaFor, readAllRecords } from '../helpers/cluster-clients.ts';
import { everyBrokerLists, metadataOf } from '../helpers/cluster-metadata.ts';

async function metadataGroup(cluster: TestCluster, nodeId: number): Promise<{ voters: number[]; learners: number[] }> {
  const g = (await cluster.status(nodeId)).groups.find((x) => x.group === '__metadata');
  assert.ok(g, `broker ${nodeId} hosts __metadata`);
  return { voters: [...g.voters].sort(), learners: [...g.learners].sort() };
}

async function produce(cluster: TestCluster, topic: string, from: number, count: number): Promise<void> {
  const producer = kafkaFor(cluster).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = from; i < from + count; i++) await producer.send({ topic, acks: -1, messages: [{ key: `k${i}`, value: `v${i}` }] });
  } finally {
    await producer.disconnect();
  }
}

async function readValues(cluster: TestCluster, topic: string, partitions: number): Promise<string[]> {
  const values: string[] = [];
  for (let p = 0; p < partitions; p++) for (const r of await readAllRecords(cluster, topic, p)) values.push(r.value!.toString());
  return values.sort();
}

test('issue 11 (join): a static joiner and a manual joiner join a running cluster, get replicas of new topics, serve clients and survive a restart', {
  timeout: 240_000,
}, async () => {
  const cluster = await startCluster({ size: 3, env: { RUNNEL_CLUSTER__METADATA_VOTERS: '4' } });
  try {
    assert.deepEqual(await metadataGroup(cluster, 1), { voters: [1, 2, 3], learners: [] });

    // Broker 4: static discovery, a copy of founder 1's config. Nothing else changes anywhere.
    const started4 = Date.now();
    await cluster.addJoiner({ nodeId: 4, discovery: 'static' });
    await cluster.waitFor('broker 4 in Metadata on every broker', () => everyBrokerLists(cluster, [1, 2, 3, 4]), 30_000);
    const listed4Ms = Date.now() - started4;
    // Raft thesis §4.2.1: added as a learner, promoted once caught up, since voters (3) < metadata_voters (4).
    await cluster.waitFor('broker 4 a voter of __metadata', async () => (await metadataGroup(cluster, 1)).voters.join() === '1,2,3,4', 30_000);
    const voter4Ms = Date.now() - started4;
    console.log(`# broker 4 (static): in Metadata on every broker ${listed4Ms} ms after its start, a voter of __metadata after ${voter4Ms} ms`);

    // Broker 5: manual mode; it finds nobody until an operator names a member's Raft address.
    const started5 = Date.now();
    let answer: { status: number; body: unknown } | undefined;
    await cluster.addJoiner({
      nodeId: 5,
      discovery: 'manual',
      whileStarting: async (httpPort) => {
        // Not registered yet: it knows no member, so it cannot have joined by itself.
        assert.equal(((await fetch(`http://127.0.0.1:${httpPort}/status`).then((r) => r.json())) as { brokers: unknown[] }).brokers.length, 0);
        const res = await fetch(`http://127.0.0.1:${httpPort}/cluster/join`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ address: cluster.member(2).raftAddress }),
        });
        answer = { status: res.status, body: await res.json() };
      },
    });
    assert.deepEqual(answer, { status: 202, body: { address: cluster.member(2).raftAddress, member: false } });
    await cluster.waitFor('broker 5 in Metadata on every broker', () => everyBrokerLists(cluster, [1, 2, 3, 4, 5]), 30_000);
    await cluster.waitFor('broker 5 a learner of __metadata', async () => (await metadataGroup(cluster, 1)).learners.join() === '5', 30_000);
    console.log(`# broker 5 (manual): in Metadata on every broker ${Date.now() - started5} ms after its start`);
    // The voters stay at metadata_voters: 5 is not promoted.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await metadataGroup(cluster, 3), { voters: [1, 2, 3, 4], learners: [5] });
    // Joining again is answered as done.
    const again = await fetch(`http://127.0.0.1:${cluster.member(5).httpPort}/cluster/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address: cluster.member(1).raftAddress }),
    });
    assert.equal(again.status, 200);

    // A topic created now places replicas on the joined brokers (round robin over registered brokers).
    const topic = 'after-join';
    const admin = kafkaFor(cluster).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 5, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const placed = new Set<number>();
    for (const p of (await metadataOf(cluster, 5, [topic])).topics[0]!.partitions) for (const r of p.replicas) placed.add(r);
    assert.ok(placed.has(4) && placed.has(5), `replicas on the joiners (placed on ${[...placed].join(',')})`);
    // Every broker answers the same Metadata for it, the joiners included.
    await cluster.waitFor('every broker knows the topic', async () => {
      for (const m of cluster.members) if ((await metadataOf(cluster, m.nodeId, [topic])).topics[0]?.partitions.length !== 5) return false;
      return true;
    });

    await produce(cluster, topic, 0, 50);
    const expected = Array.from({ length: 50 }, (_, i) => `v${i}`).sort();
    assert.deepEqual(await readValues(cluster, topic, 5), expected);

    // Both joiners restart from their disks: no discovery needed, same roles, same data.
    await cluster.member(4).broker.restart();
    await cluster.member(5).broker.restart();
    await cluster.waitFor('all five listed after the restarts', () => everyBrokerLists(cluster, [1, 2, 3, 4, 5]), 30_000);
    await cluster.waitFor('metadata roles after the restarts', async () => {
      const g = await metadataGroup(cluster, 4);
      return g.voters.join() === '1,2,3,4' && g.learners.join() === '5';
    });
    await produce(cluster, topic, 50, 50);
    assert.deepEqual(await readValues(cluster, topic, 5), Array.from({ length: 100 }, (_, i) => `v${i}`).sort());
  } finally {
    await cluster.stop();
  }
});

test('issue 11 (join): founders with static discovery started in random order, seconds apart, form one cluster', { timeout: 120_000 }, async () => {
  // A shuffled order, so no founder can rely on a peer being up before it.
  const order = [1, 2, 3].sort(() => Math.random() - 0.5);
  const cluster = await startCluster({ size: 3, startDelayMs: (id) => order.indexOf(id) * 1_500 });
  try {
    const controllers = new Set<number>();
    for (const m of cluster.members) {
      const s = await cluster.status(m.nodeId);
      assert.equal(s.brokers.length, 3, `broker ${m.nodeId} lists all three (order ${order.join(',')})`);
      controllers.add(s.controllerId);
    }
    await cluster.waitFor('one controller', async () => {
      const ids = await Promise.all(cluster.members.map(async (m) => (await cluster.status(m.nodeId)).controllerId));
      return ids.every((id) => id > 0 && id === ids[0]);
    });
    const clusterIds = new Set(await Promise.all(cluster.members.map(async (m) => (await cluster.status(m.nodeId)).clusterId)));
    assert.equal(clusterIds.size, 1, 'one cluster id');
    const admin = kafkaFor(cluster).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'ordered', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await produce(cluster, 'ordered', 0, 10);
    assert.equal((await readValues(cluster, 'ordered', 1)).length, 10);
  } finally {
    await cluster.stop();
  }
});

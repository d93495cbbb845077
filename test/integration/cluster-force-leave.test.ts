// Issue 11 (force-leave): a broker killed for good (kill -9) is force-left through the admin API;
// the controller gives each of its partitions a target on a live broker, the partition groups move
// one change at a time, the broker is removed from the metadata and its group, and every partition
// is back to replication factor 3 on the remaining brokers with its records intact.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { produceNumbered, readAll, withClusterClients } from '../helpers/cluster-clients.ts';

const TOPIC = 'spread';
const PARTITIONS = 4;

test('issue 11: kill -9 a broker for good, force-leave it, and every partition is back to RF 3 on the others', { timeout: 240_000 }, async () => {
  await withClusterClients(4, async (cluster, admin, producer) => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await producer.connect();
    const acked = await produceNumbered(producer, TOPIC, 400, 10, undefined, PARTITIONS);
    await producer.disconnect();

    const before = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    const gone = 2;
    assert.ok(
      before.topics[0].partitions.some((p) => p.replicas.includes(gone)),
      'broker 2 holds replicas',
    );
    await cluster.member(gone).broker.kill9();

    const http = (nodeId: number, path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${cluster.member(nodeId).httpPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Bad input: a clear 400 naming the field; a connected broker is not force-left.
    const bad = await http(1, '/cluster/force-leave', { node: 'two' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^node:/);
    const live = await http(1, '/cluster/force-leave', { node: 3 });
    assert.equal(live.status, 409);
    // The controller may still count broker 2 as connected for a moment after the kill.
    let accepted: Response | undefined;
    await cluster.waitFor('force-leave accepted', async () => {
      accepted = await http(1, '/cluster/force-leave', { node: gone });
      return accepted.status === 202 || accepted.status === 200;
    });
    assert.deepEqual(await accepted!.json(), { node: gone, state: accepted!.status === 202 ? 'leaving' : 'removed' });

    await cluster.waitFor(
      'every partition on three live brokers, broker 2 removed',
      async () => {
        const status = await cluster.status(1);
        if (status.brokers.some((b) => b.nodeId === gone)) return false;
        const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        return meta.topics[0].partitions.every((p) => p.replicas.length === 3 && !p.replicas.includes(gone));
      },
      150_000,
    );
    // The groups themselves: three voters each, none of them broker 2; it left the metadata group too.
    await cluster.waitFor(
      'groups without broker 2',
      async () => {
        const groups = (await Promise.all([1, 3, 4].map((id) => cluster.status(id)))).flatMap((s) => s.groups.filter((g) => g.leader === s.nodeId));
        const partitions = groups.filter((g) => g.group.startsWith(`${TOPIC}-`));
        const metadata = groups.find((g) => g.group === '__metadata');
        return (
          partitions.length === PARTITIONS &&
          partitions.every((g) => g.voters.length === 3 && !g.voters.includes(gone) && g.learners.length === 0) &&
          metadata !== undefined &&
          ![...metadata.voters, ...metadata.learners].includes(gone)
        );
      },
      60_000,
    );

    const read = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (const v of await readAll(cluster, TOPIC, p)) read.add(v);
    const lost = acked.filter((v) => !read.has(v));
    assert.deepEqual(lost, [], 'no acknowledged record lost');
  });
});

test("issue 11: a graceful leave moves the broker's partitions off it first, then it leaves __metadata and stops on its own", {
  timeout: 240_000,
}, async () => {
  await withClusterClients(4, async (cluster, admin, producer) => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await producer.connect();
    const acked = await produceNumbered(producer, TOPIC, 400, 10, undefined, PARTITIONS);
    const leaving = 4;
    // Asked of broker 4 itself, with the node left out: "this broker".
    const res = await fetch(`http://127.0.0.1:${cluster.member(leaving).httpPort}/cluster/leave`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { node: leaving, state: 'leaving' });
    // It stops by itself once it is removed (after its partitions moved: removeBroker is refused before).
    await cluster.waitFor('broker 4 stopped on its own', () => !cluster.member(leaving).broker.alive(), 150_000);
    assert.ok(
      cluster
        .member(leaving)
        .broker.logs()
        .some((l) => l.includes('this broker left the cluster and the metadata group: stopping')),
    );
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.ok(
      meta.topics[0].partitions.every((p) => p.replicas.length === 3 && !p.replicas.includes(leaving)),
      'every partition on 1, 2, 3',
    );
    await cluster.waitFor(
      'broker 4 out of __metadata',
      async () => {
        const controller = await cluster.leaderOf('__metadata', [leaving]);
        const g = (await cluster.status(controller)).groups.find((x) => x.group === '__metadata')!;
        return ![...g.voters, ...g.learners].includes(leaving);
      },
      30_000,
    );
    const read = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (const v of await readAll(cluster, TOPIC, p)) read.add(v);
    assert.deepEqual(
      acked.filter((v) => !read.has(v)),
      [],
      'no acknowledged record lost',
    );
  });
});

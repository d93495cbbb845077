// Issue 11, balancers: "restore the replication factor when a broker has been gone longer than
// cluster.replica_restore_after". Four brokers with the restore balancer on (3 s), a topic of
// four partitions at replication factor 3 with acknowledged records; broker 4 is killed (kill -9)
// and never comes back. Without any operator command, every partition that named broker 4 gets
// a live broker in its place and is back to three voters; broker 4 stays registered (unlike a
// force-leave); nothing acknowledged is lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaFor, produceNumbered, readAll } from '../helpers/cluster-clients.ts';
import { startCluster } from '../helpers/cluster.ts';

const TOPIC = 'restored';
const PARTITIONS = 4;
const RESTORE_AFTER_MS = 3_000;

test('issue 11: a broker gone longer than replica_restore_after_ms has its replicas restored on live brokers', { timeout: 240_000 }, async () => {
  const cluster = await startCluster({ size: 4, env: { RUNNEL_CLUSTER__REPLICA_RESTORE_AFTER_MS: String(RESTORE_AFTER_MS) } });
  const kafka = kafkaFor(cluster, 'restore');
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await producer.connect();
    const acked = await produceNumbered(producer, TOPIC, 400, 10, undefined, PARTITIONS);
    const gone = 4;
    const before = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.ok(
      before.topics[0].partitions.some((p) => p.replicas.includes(gone)),
      'broker 4 holds replicas',
    );

    await cluster.member(gone).broker.kill9();
    const killed = Date.now();
    await cluster.waitFor(
      'every partition on three live brokers',
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        return meta.topics[0].partitions.every((p) => p.replicas.length === 3 && !p.replicas.includes(gone));
      },
      120_000,
    );
    const restoredMs = Date.now() - killed;
    const restoreLine = cluster.members
      .filter((m) => m.nodeId !== gone)
      .flatMap((m) => m.broker.logs())
      .find((l) => l.includes('restoring the replication factor'));
    assert.ok(restoreLine, 'the controller logged the restore');
    await cluster.waitFor(
      'each partition group is three voters without broker 4',
      async () => {
        const leading = (await Promise.all([1, 2, 3].map((id) => cluster.status(id)))).flatMap((s) =>
          s.groups.filter((g) => g.leader === s.nodeId && g.group.startsWith(`${TOPIC}-`)),
        );
        return leading.length === PARTITIONS && leading.every((g) => g.voters.length === 3 && !g.voters.includes(gone) && g.learners.length === 0);
      },
      60_000,
    );
    // Unlike a force-leave, the broker stays registered: back, it would get its share again.
    assert.ok(
      (await cluster.status(1)).brokers.some((b) => b.nodeId === gone),
      'broker 4 is still registered',
    );

    const read = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (const v of await readAll(cluster, TOPIC, p)) read.add(v);
    assert.deepEqual(
      acked.filter((v) => !read.has(v)),
      [],
      'no acknowledged record lost',
    );
    console.log(
      `# replica restore: every partition back at replication factor 3 ${restoredMs} ms after the kill (replica_restore_after_ms ${RESTORE_AFTER_MS})`,
    );
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

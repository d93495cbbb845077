// Issue 9 item 1: delete a topic and create it again under the same name, on three real brokers,
// as a new user would (KafkaJS admin, no pause between the two calls).
//   Round 1, all brokers up: every broker stays up; the new topic has none of the old records and
//   takes produce and fetch.
//   Round 2, one broker killed before the delete + create and restarted after: it stays up, its
//   replicas of the new topic catch up, and they hold exactly the new incarnation's log (compared
//   byte for byte with the others), never the old records.
// What used to go wrong: partition directories and Raft groups were keyed by `<topic>-<partition>`
// only, so a re-create reopened the log of the topic being deleted (old records, then a fatal
// `log … is closed` once the deletion closed it), and a broker that missed the delete came back
// with the old group under the new topic's name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { kafkaFor, readAll } from '../helpers/cluster-clients.ts';

const TOPIC = 'reborn';
const PARTITIONS = 3;
const PER_PARTITION = 40;

async function produce(producer: Producer, prefix: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    // Bounded: PER_PARTITION records in batches of 10, each send with the client's own retries.
    for (let n = 0; n < PER_PARTITION; n += 10) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `${prefix}-${p}-${n + i}`, partition: p }));
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
  }
}

async function recreate(admin: Admin): Promise<void> {
  await admin.deleteTopics({ topics: [TOPIC] });
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
}

/** Every partition holds exactly the records produced with `prefix`, in order. */
async function assertOnly(cluster: TestCluster, prefix: string): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    const values = await readAll(cluster, TOPIC, p);
    const expected = Array.from({ length: PER_PARTITION }, (_, i) => `${prefix}-${p}-${i}`);
    assert.deepEqual(values, expected, `${TOPIC}-${p} holds only the records of the current incarnation`);
  }
}

function assertAllUp(cluster: TestCluster): void {
  for (const m of cluster.members) {
    const fatal = m.broker.logs().filter((l) => l.includes('"level":60') || l.includes('is closed'));
    assert.ok(m.broker.alive(), `broker ${m.nodeId} is up; last lines:\n${m.broker.logs().slice(-20).join('\n')}`);
    assert.deepEqual(fatal, [], `broker ${m.nodeId} logged no fatal error`);
  }
}

/** The topic id a broker's partition directory records (partition.metadata). */
function directoryTopicId(cluster: TestCluster, nodeId: number, partition: number): string | null {
  const file = join(cluster.member(nodeId).broker.dataDir, `${TOPIC}-${partition}`, 'partition.metadata');
  if (!existsSync(file)) return null;
  return /topic_id: *([0-9a-f]{32})/.exec(readFileSync(file, 'utf8'))?.[1] ?? null;
}

/**
 * Compares the replicas' segment files while the brokers run (appends are written at once;
 * stopping first would let an election among the last ones running add an entry to some logs
 * only). A leadership change right after catching up (the preferred replica taking over) also
 * adds an entry, so a comparison that fails is repeated after catching up again, a few times.
 */
async function assertReplicasIdentical(cluster: TestCluster, partition: number): Promise<void> {
  let bytes: Buffer[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await cluster.waitCaughtUp(`${TOPIC}-${partition}`);
    bytes = cluster.members.map((m) => cluster.partitionBytes(m.nodeId, TOPIC, partition));
    if (bytes.every((b) => b.equals(bytes[0]))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(bytes[0].length > 0);
  for (let i = 1; i < bytes.length; i++) {
    assert.ok(
      bytes[i].equals(bytes[0]),
      `${TOPIC}-${partition}: broker ${cluster.members[i].nodeId}'s log equals broker ${cluster.members[0].nodeId}'s${differences(cluster, partition, bytes)}`,
    );
  }
}

/** Failure context: the sizes, where the logs part, and what each broker logged about the partition. */
function differences(cluster: TestCluster, partition: number, bytes: Buffer[]): string {
  const firstDiff = bytes.map((b) => {
    let i = 0;
    while (i < b.length && i < bytes[0].length && b[i] === bytes[0][i]) i++;
    return i;
  });
  const lines = cluster.members.map(
    (m) =>
      `broker ${m.nodeId}:\n${m.broker
        .logs()
        .filter((l) => l.includes(`${TOPIC}-${partition}`) || l.includes(`"partition":${partition}`))
        .slice(-25)
        .join('\n')}`,
  );
  return `\nsizes ${bytes.map((b) => b.length).join(' ')}, equal to broker 1's up to byte ${firstDiff.join(' ')}\n${lines.join('\n')}`;
}

test('issue 9 item 1: delete + immediate re-create on three brokers, then again with one broker down during it', async () => {
  const cluster = await startCluster();
  const kafka = kafkaFor(cluster);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: false });
  try {
    await admin.connect();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await produce(producer, 'first');

    // Round 1: all brokers up.
    await recreate(admin);
    await produce(producer, 'second');
    await assertOnly(cluster, 'second');
    assertAllUp(cluster);

    // Round 2: a broker that is not the controller is killed; the topic is deleted and created
    // again without it; it comes back after.
    const controller = (await cluster.status(1)).controllerId;
    const victim = cluster.members.find((m) => m.nodeId !== controller)!;
    await victim.broker.kill9();
    await recreate(admin);
    await produce(producer, 'third');
    await victim.broker.restart();
    for (let p = 0; p < PARTITIONS; p++) await cluster.waitCaughtUp(`${TOPIC}-${p}`);
    await assertOnly(cluster, 'third');
    assertAllUp(cluster);

    // Status names the partitions as operators know them, with the incarnation's topic id.
    const hosted = (await cluster.status(victim.nodeId)).groups.filter((g) => g.group.startsWith(`${TOPIC}-`));
    assert.deepEqual(
      hosted.map((g) => g.group).sort(),
      [`${TOPIC}-0`, `${TOPIC}-1`, `${TOPIC}-2`],
      'the restarted broker hosts every partition of the new topic',
    );
    const topicIds = new Set(hosted.map((g) => g.topicId));
    assert.equal(topicIds.size, 1);
    // The restarted broker's replicas are the new incarnation's, byte for byte like the others'
    // (Raft §5.3, log matching), and every directory records that incarnation's topic id.
    for (let p = 0; p < PARTITIONS; p++) {
      await assertReplicasIdentical(cluster, p);
      const ids = cluster.members.map((m) => directoryTopicId(cluster, m.nodeId, p));
      assert.ok(
        ids.every((id) => id !== null && topicIds.has(id)),
        `every replica of ${TOPIC}-${p} records the current topic id ${[...topicIds].join()}: ${ids.join(', ')}`,
      );
    }
    await producer.disconnect();
    await admin.disconnect();
    await Promise.all(cluster.members.map((m) => m.broker.stop()));
    for (const m of cluster.members) {
      const leftovers = readdirSync(m.broker.dataDir).filter((name) => name.endsWith('-delete'));
      assert.deepEqual(leftovers, [], `broker ${m.nodeId} finished its deletions`);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

// Consumer groups in cluster mode (issue 5) with KafkaJS 2.2.4 against three real brokers:
// - a group's coordinator is the leader of its __consumer_offsets partition
//   (abs(javaHashCode(groupId)) % 16, Kafka's mapping; FindCoordinator);
// - committed offsets are replicated like acks=all records: kill -9 of the coordinator loses no
//   commit, and the new leader of the partition replays it before it answers for the group
//   (broker-mode.ts followOffsetsLeadership), so a new member of the group continues exactly at the
//   committed offsets while the old coordinator is down: nothing before them is consumed again,
//   nothing after them is skipped (Kafka's committed-position rule);
// - the restarted broker catches up on the commits made while it was down (Raft §5.3), and
//   serves them once it coordinates the group again.
// KafkaJS's own log is kept and printed on failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Consumer, Kafka } from 'kafkajs';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor } from '../helpers/cluster-clients.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS_DEFAULT, offsetsPartitionFor } from '../../src/broker/group/offsets-topic.ts';

const TOPIC = 'cg-orders';
const PARTITIONS = 3;
const TOTAL = 600;
const GROUP = 'cg-resume';
/** How many records the first member processes per partition before it stops (part of each). */
const FIRST_SHARE = [70, 100, 130];

const clientLog: string[] = [];

function context(cluster: TestCluster): string {
  const brokers = cluster.members.map((m) => `broker ${m.nodeId}:\n${m.broker.logs().slice(-15).join('\n')}`).join('\n');
  return `\nKafkaJS log:\n${clientLog.slice(-25).join('\n')}\n${brokers}`;
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs: number, cluster: TestCluster): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context(cluster)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Group settings that keep the test short: the rebalance logic is the same as with defaults. */
const fastGroup = { heartbeatInterval: 500, maxWaitTimeInMs: 300, sessionTimeout: 10_000, rebalanceTimeout: 10_000 };

interface Seen {
  offset: number;
  value: string;
}

/** Starts a member of GROUP that records what it processes per partition; `onRecord` may pause the partition. */
async function startMember(
  kafka: Kafka,
  seen: Seen[][],
  consumers: Consumer[],
  onRecord?: (partition: number, pause: () => void) => void,
  joins?: { count: number },
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: GROUP, ...fastGroup });
  consumers.push(consumer);
  if (joins) consumer.on(consumer.events.GROUP_JOIN, () => joins.count++);
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message, pause }) => {
      seen[partition].push({ offset: Number(message.offset), value: message.value!.toString() });
      onRecord?.(partition, pause);
    },
  });
  return consumer;
}

test('kill -9 of the group coordinator: the next member continues exactly at the committed offsets while it is down; the restarted broker has the new commits', async () => {
  const cluster = await startCluster();
  const kafka = kafkaFor(cluster, 'runnel-cluster-groups', clientLog);
  const admin = kafka.admin();
  const consumers: Consumer[] = [];
  try {
    await admin.connect();
    await createTopic(cluster, TOPIC, PARTITIONS);
    // Record n goes to partition n % 3, in order, so partition p holds p, p+3, p+6, ...
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let n = 0; n < TOTAL; n += 50) {
      const messages = Array.from({ length: 50 }, (_, i) => ({ partition: (n + i) % PARTITIONS, value: String(n + i) }));
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
    await producer.disconnect();
    const expected = Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: TOTAL / PARTITIONS }, (_, i) => String(p + PARTITIONS * i)));

    // First member: processes FIRST_SHARE[p] records of partition p, then pauses that partition.
    // KafkaJS commits what it processed after each batch; disconnect() leaves the group cleanly.
    const first: Seen[][] = Array.from({ length: PARTITIONS }, () => []);
    const c1 = await startMember(kafka, first, consumers, (partition, pause) => {
      if (first[partition].length >= FIRST_SHARE[partition]) pause();
    });
    await waitUntil('the first member to process its share', () => first.every((s, p) => s.length >= FIRST_SHARE[p]), 30_000, cluster);
    await c1.disconnect();

    const committedBefore = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const committed = new Map(committedBefore[0].partitions.map((p) => [p.partition, Number(p.offset)]));
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(
        first[p].map((s) => s.value),
        expected[p].slice(0, FIRST_SHARE[p]),
        `the first member processed the head of partition ${p} in order`,
      );
      // KafkaJS commits the offset after the last record it processed.
      assert.equal(committed.get(p), first[p].at(-1)!.offset + 1, `partition ${p}: the commit covers exactly what was processed${context(cluster)}`);
    }

    // FindCoordinator: the leader of the group's __consumer_offsets partition.
    const offsetsPartition = offsetsPartitionFor(GROUP, OFFSETS_TOPIC_PARTITIONS_DEFAULT);
    const raftGroup = `${OFFSETS_TOPIC}-${offsetsPartition}`;
    const coordinator = await cluster.leaderOf(raftGroup);
    assert.ok(coordinator > 0, `${raftGroup} has a leader`);
    const victim = cluster.member(coordinator);
    const killedAt = Date.now();
    // The commits are on a majority before they were acknowledged; kill -9 loses nothing.
    await victim.broker.kill9();
    await cluster.waitFor('a new coordinator among the others', async () => (await cluster.leaderOf(raftGroup, [coordinator])) > 0, 20_000);
    const newCoordinator = await cluster.leaderOf(raftGroup, [coordinator]);

    // Second member, same group, while the old coordinator is down.
    const second: Seen[][] = Array.from({ length: PARTITIONS }, () => []);
    const secondJoins = { count: 0 };
    const c2 = await startMember(kafka, second, consumers, undefined, secondJoins);
    const remaining = TOTAL - FIRST_SHARE.reduce((a, b) => a + b, 0);
    await waitUntil('the second member to process the rest', () => second.reduce((a, s) => a + s.length, 0) >= remaining, 40_000, cluster);
    // A stray record (a position before the commit) would show up now.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!victim.broker.alive(), 'the old coordinator stayed down while the second member read');
    await c2.disconnect();

    for (let p = 0; p < PARTITIONS; p++) {
      // Committed-position rule: the next member starts at the committed offset, and reads on from it.
      assert.ok(second[p].length > 0, `partition ${p} had records left`);
      assert.equal(second[p][0].offset, committed.get(p), `partition ${p}: the second member starts at the committed offset${context(cluster)}`);
      assert.ok(
        second[p].every((s) => s.offset >= committed.get(p)!),
        `partition ${p}: nothing before the commit again${context(cluster)}`,
      );
      // At-least-once: a member that joins again (its session lapsed on a loaded machine) reads
      // again from its own last commit; only then may a record after the first commit come twice.
      const values = second[p].map((s) => s.value);
      const firstSeen = secondJoins.count > 1 ? values.filter((v, i) => values.indexOf(v) === i) : values;
      assert.deepEqual(
        firstSeen,
        expected[p].slice(FIRST_SHARE[p]),
        `partition ${p}: nothing after the commit skipped, nothing twice in one generation (the second member joined ${secondJoins.count} times)`,
      );
    }
    // The new coordinator replayed the partition before it served the group.
    const loaded = cluster
      .member(newCoordinator)
      .broker.jsonLogs()
      .filter((l) => l.msg === 'loaded consumer groups' && l.partition === raftGroup && Date.parse(String(l.time)) >= killedAt - 1_000);
    assert.ok(loaded.length > 0 && Number(loaded[0].groups) >= 1, `broker ${newCoordinator} replayed ${raftGroup} after the kill${context(cluster)}`);

    // The old coordinator comes back and catches up on the second member's commits.
    await victim.broker.restart();
    await cluster.waitCaughtUp(raftGroup);
    const endOffsets = new Map(second.map((s, p) => [p, s.at(-1)!.offset + 1]));
    const after = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(new Map(after[0].partitions.map((p) => [p.partition, Number(p.offset)])), endOffsets, 'the final commits survive');

    // Kill the coordinator of the moment; whoever leads next (the restarted broker included) has every commit.
    const current = await cluster.leaderOf(raftGroup);
    await cluster.member(current).broker.kill9();
    await cluster.waitFor('another coordinator', async () => (await cluster.leaderOf(raftGroup, [current])) > 0, 20_000);
    const again = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(
      new Map(again[0].partitions.map((p) => [p.partition, Number(p.offset)])),
      endOffsets,
      `commits survive a second coordinator kill${context(cluster)}`,
    );
    await cluster.member(current).broker.restart();
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
    await admin.disconnect().catch(() => {});
    await cluster.stop();
  }
});

// Issue 12, "Kafka offsets are contiguous": in cluster mode a partition's log also holds the Raft
// entries no client wrote (the founding configuration, each new leader's no-op), stored as control
// batches that take a log offset each. Kafka offsets count user batches only (docs/storage.md,
// "Kafka offsets"), so a fresh replicated partition starts at 0 and a leader change leaves no gap:
// ListOffsets, Produce, Fetch (KafkaJS and librdkafka), and lag = high watermark - committed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Consumer } from 'kafkajs';
import { startCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor } from '../helpers/cluster-clients.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const TOPIC = 'contiguous';
const GROUP = 'contiguous-readers';

test('issue 12: a fresh RF 3 partition starts at offset 0 and a leader change leaves no gap (ListOffsets, Produce, KafkaJS and kcat consumers, lag)', async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  const cluster = await startCluster();
  const kafka = kafkaFor(cluster);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let consumer: Consumer | null = null;
  try {
    await admin.connect();
    await producer.connect();
    await createTopic(cluster, TOPIC);
    // Kafka: a new partition's earliest and latest offsets are 0 (its log holds 3 founding
    // configuration entries and the leader's no-op, none of them a record).
    assert.deepEqual(await admin.fetchTopicOffsets(TOPIC), [{ partition: 0, offset: '0', high: '0', low: '0' }]);

    const first = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'a' }] });
    const second = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'b' }] });
    assert.equal(first[0].baseOffset, '0');
    assert.equal(second[0].baseOffset, '1');
    assert.deepEqual(await admin.fetchTopicOffsets(TOPIC), [{ partition: 0, offset: '2', high: '2', low: '0' }]);

    // The leader goes (kill -9); the new leader appends its no-op, which takes no Kafka offset.
    const victim = await cluster.leaderOf(`${TOPIC}-0`);
    await cluster.member(victim).broker.kill9();
    await cluster.waitFor('another broker leads', async () => (await cluster.leaderOf(`${TOPIC}-0`, [victim])) > 0);
    const beforeThird = Date.now();
    const third = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'c' }] });
    assert.equal(third[0].baseOffset, '2');
    assert.deepEqual(await admin.fetchTopicOffsets(TOPIC), [{ partition: 0, offset: '3', high: '3', low: '0' }]);
    // ListOffsets by timestamp answers the Kafka offset of the first record at or after it.
    const byTime = await admin.fetchTopicOffsetsByTimestamp(TOPIC, beforeThird);
    assert.deepEqual(byTime, [{ partition: 0, offset: '2' }]);

    // The killed broker comes back as a follower and must agree.
    await cluster.member(victim).broker.restart();
    await cluster.waitCaughtUp(`${TOPIC}-0`);

    // KafkaJS: exactly offsets 0, 1, 2 with their values; the group commits 3: lag 3 - 3 = 0.
    const seen: Array<{ offset: string; value: string }> = [];
    consumer = kafka.consumer({ groupId: GROUP, heartbeatInterval: 500, maxWaitTimeInMs: 300, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ offset: message.offset, value: message.value!.toString() }) });
    await cluster.waitFor('the KafkaJS consumer read 3 records', () => seen.length >= 3);
    assert.deepEqual(seen, [
      { offset: '0', value: 'a' },
      { offset: '1', value: 'b' },
      { offset: '2', value: 'c' },
    ]);
    await cluster.waitFor('the group committed offset 3', async () => {
      const committed = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      return committed[0].partitions[0].offset === '3';
    });
    await consumer.disconnect();
    consumer = null;
    const [latest] = await admin.fetchTopicOffsets(TOPIC);
    assert.equal(Number(latest.high) - 3, 0, 'lag = latest - committed is exact');

    // librdkafka (kcat): the same offsets and values, through a broker that is not the leader.
    const leader = await cluster.leaderOf(`${TOPIC}-0`);
    const other = cluster.members.find((m) => m.nodeId !== leader)!.broker.bootstrap;
    const args = ['-b', other, '-t', TOPIC, '-C', '-e', '-q', '-o', 'beginning', '-f', '%o %s\\n'];
    const consumed = await run(KCAT, args, { timeoutMs: 60_000 });
    assert.equal(consumed.code, 0, describeRun(KCAT, args, consumed));
    assert.equal(consumed.stdout, '0 a\n1 b\n2 c\n', describeRun(KCAT, args, consumed));
    // kcat -o -1 (relative to the end): the last record.
    const lastArgs = ['-b', other, '-t', TOPIC, '-C', '-e', '-q', '-o', '-1', '-f', '%o %s\\n'];
    const last = await run(KCAT, lastArgs, { timeoutMs: 60_000 });
    assert.equal(last.stdout, '2 c\n', describeRun(KCAT, lastArgs, last));
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

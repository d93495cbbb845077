// Issue 12, DeleteRecords in cluster mode: the leader replicates the new log start through the
// partition's Raft group (a Raft-only entry every replica applies at the same log position), so
// followers, a restarted replica and the next leader all start the log where the request put it,
// in Kafka offsets; reads below it answer OFFSET_OUT_OF_RANGE (Kafka's DeleteRecords, KIP-107).

import { test } from 'node:test';
import type { Admin } from 'kafkajs';
import assert from 'node:assert/strict';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor } from '../helpers/cluster-clients.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const TOPIC = 'trimmed';
const GROUP = `${TOPIC}-0`;

/** The error code of a Fetch at `offset` on the partition's current leader. */
async function fetchError(cluster: TestCluster, offset: number): Promise<number> {
  const leader = await cluster.leaderOf(GROUP);
  const client = await RawClient.connect({ port: cluster.member(leader).broker.port });
  try {
    return (await client.fetch(TOPIC, 0, offset, { maxWaitMs: 0 })).errorCode;
  } finally {
    client.close();
  }
}

/**
 * admin.fetchTopicOffsets, asked again (at most 50 times) while KafkaJS still sends to a broker
 * that no longer leads: its admin does not retry NOT_LEADER_OR_FOLLOWER itself.
 */
async function offsets(admin: Admin): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(TOPIC);
    } catch (err) {
      if (attempt >= 50 || (err as { type?: string }).type !== 'NOT_LEADER_OR_FOLLOWER') throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Every live replica's first Raft index (its log start entry), once they applied the same entries. */
async function firstIndexes(cluster: TestCluster): Promise<number[]> {
  await cluster.waitCaughtUp(GROUP);
  const live = cluster.members.filter((m) => m.broker.alive());
  return Promise.all(live.map(async (m) => (await cluster.status(m.nodeId)).groups.find((g) => g.group === GROUP)!.firstIndex));
}

test('issue 12: DeleteRecords on a RF 3 partition moves the log start of every replica, in Kafka offsets, and it survives kill -9 of the leader and a restart', async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  const cluster = await startCluster();
  const kafka = kafkaFor(cluster);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await producer.connect();
    await createTopic(cluster, TOPIC);
    // One batch per record, so every Kafka offset is its own Raft entry.
    for (let i = 0; i < 6; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `r${i}` }] });
    const before = await firstIndexes(cluster);
    // (also loads the topic's metadata into the KafkaJS admin, which deleteTopicRecords needs)
    assert.deepEqual(await offsets(admin), [{ partition: 0, offset: '6', high: '6', low: '0' }]);

    // KIP-107: the answer's low watermark is the new log start (KafkaJS throws on any error code).
    await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '4' }] });
    assert.deepEqual(await offsets(admin), [{ partition: 0, offset: '6', high: '6', low: '4' }]);
    assert.equal(await fetchError(cluster, 3), ErrorCode.OFFSET_OUT_OF_RANGE, 'a read below the log start');
    assert.equal(await fetchError(cluster, 4), ErrorCode.NONE);
    // Every replica applied the same entry: their logs start at the same entry, past the old start.
    const after = await firstIndexes(cluster);
    assert.ok(
      after.every((i) => i === after[0] && i > before[0]),
      `first indexes ${after} (before ${before})`,
    );

    // The leader goes (kill -9): the new one starts its log at offset 4 too.
    const victim = await cluster.leaderOf(GROUP);
    await cluster.member(victim).broker.kill9();
    await cluster.waitFor('another broker leads', async () => (await cluster.leaderOf(GROUP, [victim])) > 0);
    assert.deepEqual(await offsets(admin), [{ partition: 0, offset: '6', high: '6', low: '4' }]);
    assert.equal(await fetchError(cluster, 3), ErrorCode.OFFSET_OUT_OF_RANGE, 'a read below the log start on the new leader');
    // Deleting below the log start changes nothing; offset -1 means the high watermark.
    await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '2' }] });
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'r6' }] });
    // librdkafka (kcat) from the beginning: ListOffsets earliest answers 4.
    const args = ['-b', cluster.bootstrap, '-t', TOPIC, '-C', '-e', '-q', '-o', 'beginning', '-f', '%o %s\\n'];
    const consumed = await run(KCAT, args, { timeoutMs: 60_000 });
    assert.equal(consumed.stdout, '4 r4\n5 r5\n6 r6\n', describeRun(KCAT, args, consumed));

    // The killed broker comes back from its own disk and agrees.
    await cluster.member(victim).broker.restart();
    const restarted = await firstIndexes(cluster);
    assert.ok(
      restarted.every((i) => i === restarted[0]),
      `first indexes after the restart ${restarted}`,
    );
    await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '-1' }] });
    assert.deepEqual(await offsets(admin), [{ partition: 0, offset: '7', high: '7', low: '7' }]);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

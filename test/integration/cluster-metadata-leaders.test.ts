// Issue 11, "every broker answers Metadata for every partition, also those it does not host, so
// clients work when there are more brokers than replicas". Three brokers, a topic of replication
// factor 2 placed on brokers 1 and 2: broker 3 hosts none of its replicas and answers from the
// leaders the replicas publish in the metadata group (docs/cluster.md, "Partition leaders in the
// metadata").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { kafkaFor } from '../helpers/cluster-clients.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { requireExecutable, run } from '../helpers/run.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/header.ts';
import { metadata as metadataApi, type MetadataResponse } from '../../src/protocol/apis/metadata.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const KCAT = '/usr/bin/kcat';
const TOPIC = 'hinted';
/** Partition 0 on brokers 1 and 2, partition 1 on brokers 2 and 1: broker 3 hosts neither. */
const ASSIGNMENT = [
  [1, 2],
  [2, 1],
];
const OUTSIDER = 3;

type PartitionAnswer = MetadataResponse['topics'][number]['partitions'][number];

/** One broker's Metadata v9 answer (v7+ carries the leader epoch) for the topic's partitions. */
async function metadataFrom(cluster: TestCluster, nodeId: number): Promise<PartitionAnswer[]> {
  const conn = await RawConnection.connect(cluster.member(nodeId).broker.port);
  try {
    const request = encodeRequest(metadataApi, 9, 1, 'leaders-test', {
      topics: [{ name: TOPIC }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const outcome = await conn.roundTrip(request);
    assert.equal(outcome.kind, 'frame');
    const { body } = decodeResponse(metadataApi, 9, (outcome as { frame: Buffer }).frame);
    const topic = body.topics.find((t) => t.name === TOPIC);
    assert.ok(topic, `broker ${nodeId} describes ${TOPIC}`);
    return [...topic.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
  } finally {
    conn.close();
  }
}

/** The leader of `topic-partition` and its term, as the leading replica itself reports them; null when none leads. */
async function liveLeader(cluster: TestCluster, partition: number): Promise<{ leaderId: number; leaderEpoch: number } | null> {
  for (const nodeId of ASSIGNMENT[partition]) {
    const member = cluster.member(nodeId);
    if (!member.broker.alive()) continue;
    const group = (await cluster.status(nodeId)).groups.find((g) => g.group === `${TOPIC}-${partition}`);
    if (group?.state === 'leader') return { leaderId: nodeId, leaderEpoch: group.term };
  }
  return null;
}

/** Whether every live broker's Metadata names each partition's live leader and its epoch. */
async function allAgree(cluster: TestCluster): Promise<boolean> {
  const live = await Promise.all(ASSIGNMENT.map((_, p) => liveLeader(cluster, p)));
  if (live.some((l) => l === null)) return false;
  for (const m of cluster.members) {
    if (!m.broker.alive()) continue;
    const answers = await metadataFrom(cluster, m.nodeId);
    for (const [p, leader] of live.entries()) {
      const a = answers[p];
      if (a.errorCode !== ErrorCode.NONE || a.leaderId !== leader!.leaderId || a.leaderEpoch !== leader!.leaderEpoch) return false;
    }
  }
  return true;
}

async function createPlacedTopic(cluster: TestCluster): Promise<void> {
  const admin = kafkaFor(cluster).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: TOPIC, replicaAssignment: ASSIGNMENT.map((replicas, partition) => ({ partition, replicas })) }],
    });
  } finally {
    await admin.disconnect();
  }
}

test('issue 11: a broker hosting no replica of a partition answers its leader, epoch and replicas; after a leader change every broker converges', async () => {
  const cluster = await startCluster();
  try {
    await createPlacedTopic(cluster);
    await cluster.waitFor('the partitions have leaders', async () => (await liveLeader(cluster, 0)) !== null && (await liveLeader(cluster, 1)) !== null);

    // The non-replica names the leader the replicas elected, with its term as the epoch.
    await cluster.waitFor(
      'the non-replica names each partition leader',
      async () => {
        const answers = await metadataFrom(cluster, OUTSIDER);
        const live = await Promise.all(ASSIGNMENT.map((_, p) => liveLeader(cluster, p)));
        return answers.every((a, p) => a.errorCode === ErrorCode.NONE && a.leaderId === live[p]?.leaderId && a.leaderEpoch === live[p]?.leaderEpoch);
      },
      15_000,
    );
    const answers = await metadataFrom(cluster, OUTSIDER);
    for (const [p, replicas] of ASSIGNMENT.entries()) {
      assert.deepEqual(answers[p].replicaNodes, replicas, `partition ${p}: replicas from the assignment`);
      assert.deepEqual(answers[p].isrNodes, replicas, `partition ${p}: ISR from the assignment`);
    }
    assert.ok(await allAgree(cluster), 'replicas and the non-replica give the same answer');

    // The leader moves: broker 1 restarts (its partitions' leadership moves, and with two
    // replicas the group elects again once it is back, in a higher term). Every broker's
    // answer converges to the new leader and epoch, bounded in time.
    const before = await liveLeader(cluster, 0);
    await cluster.member(1).broker.restart();
    await cluster.waitFor(
      'every broker names the new leaders',
      async () => {
        const now = await liveLeader(cluster, 0);
        return now !== null && now.leaderEpoch > before!.leaderEpoch && (await allAgree(cluster));
      },
      30_000,
    );
  } finally {
    await cluster.stop();
  }
});

test('issue 11: kcat produces and consumes through a broker that hosts no replica, as its only bootstrap', async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  const cluster = await startCluster();
  try {
    await createPlacedTopic(cluster);
    const only = cluster.member(OUTSIDER).broker.bootstrap;
    const lines = Array.from({ length: 100 }, (_, i) => `record-${i}`);
    const produced = await run(KCAT, ['-b', only, '-t', TOPIC, '-p', '0', '-P', '-X', 'acks=all', '-X', 'message.timeout.ms=20000'], {
      input: `${lines.join('\n')}\n`,
      timeoutMs: 30_000,
    });
    assert.equal(produced.code, 0, produced.stderr);
    assert.doesNotMatch(produced.stderr, /Delivery failed|ERROR/, produced.stderr);
    const consumed = await run(KCAT, ['-b', only, '-t', TOPIC, '-p', '0', '-C', '-e', '-q', '-o', 'beginning'], { timeoutMs: 30_000 });
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(
      consumed.stdout.split('\n').filter((l) => l !== ''),
      lines,
    );
  } finally {
    await cluster.stop();
  }
});

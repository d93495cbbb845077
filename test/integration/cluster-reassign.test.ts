// Issue 11 (reassignment) with real brokers and a real client: 4 brokers, a replication-factor-3
// partition on 1, 2, 3 under acks=all produce load; KafkaJS admin reassigns it to 4, 2, 3 (adds
// broker 4, drops broker 1, which leads it) through AlterPartitionReassignments (KIP-455) and
// watches it with ListPartitionReassignments. Checked: no acknowledged record lost (everything
// read back), broker 1's replica directory is gone, broker 4's segment files equal the others'
// byte for byte (Raft §5.3, log matching), and ElectLeaders (PREFERRED) moves leadership to the
// new first replica. A second run cancels a reassignment once the added broker votes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAll, withClusterClients } from '../helpers/cluster-clients.ts';
import type { Producer } from 'kafkajs';
import type { TestCluster } from '../helpers/cluster.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { decodeResponse, encodeRequest } from '../../src/protocol/header.ts';
import { electLeaders } from '../../src/protocol/apis/elect-leaders.ts';
import { alterPartitionReassignments } from '../../src/protocol/apis/alter-partition-reassignments.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

const TOPIC = 'moving';
const GROUP = `${TOPIC}-0`;

test('issue 11: a partition reassigned under acks=all load keeps every acknowledged record; the dropped broker removes its replica', {
  timeout: 240_000,
}, async () => {
  await withClusterClients(4, async (cluster, admin, producer) => {
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    await cluster.waitFor('broker 1 leads the partition', async () => (await cluster.leaderOf(GROUP)) === 1);
    const load = await startLoad(cluster, producer, 400);

    // KIP-455: the request is answered once the target is recorded; the move runs after it.
    const ackedAtStart = load.acked();
    await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [4, 2, 3] }] }] });
    const listed = await admin.listPartitionReassignments({});
    // KafkaJS names the topic `name` (its type declarations say `topic`).
    const ongoing = (
      listed.topics as unknown as Array<{ name: string; partitions: Array<{ replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }> }>
    ).find((t) => t.name === TOPIC)?.partitions[0];
    // Still in flight: the move takes at least four reconcile rounds of a second (learner, voter,
    // leadership handoff, removal) after the target is recorded.
    assert.ok(ongoing, 'ListPartitionReassignments shows the reassignment in flight');
    assert.deepEqual(ongoing.replicas, [4, 2, 3, 1], 'the full replica set: the target, then the replica being removed');
    assert.deepEqual(ongoing.addingReplicas, [4]);
    assert.deepEqual(ongoing.removingReplicas, [1]);

    await cluster.waitFor(
      'the reassignment completed',
      async () => {
        const now = await admin.listPartitionReassignments({});
        const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        return now.topics.length === 0 && JSON.stringify(meta.topics[0].partitions[0].replicas) === JSON.stringify([4, 2, 3]);
      },
      120_000,
    );
    const ackedAtEnd = load.acked();
    assert.ok(ackedAtEnd > ackedAtStart, `records were acknowledged while the partition moved (${ackedAtStart} at the start, ${ackedAtEnd} at the end)`);
    // One change at a time (Raft thesis §4.1): learner, then voter, then the old leader hands over and is removed.
    const moves = cluster.members
      .flatMap((m) => m.broker.logs())
      .filter(
        (l) =>
          l.includes('partition membership change') ||
          l.includes('handing leadership over before leaving') ||
          l.includes('handing leadership to the preferred replica'),
      )
      .map((l) => JSON.parse(l) as { time: string; change?: string; broker?: number; to?: number })
      .sort((a, b) => (a.time < b.time ? -1 : 1))
      .map((l) => (l.change ? `${l.change} ${l.broker}` : `handoff ${l.to}`));
    assert.deepEqual(
      moves.filter((m) => !m.startsWith('handoff')),
      ['addLearner 4', 'addVoter 4', 'removeNode 1'],
    );
    assert.ok(
      moves.indexOf('removeNode 1') > moves.findIndex((m) => m.startsWith('handoff')),
      `leadership left broker 1 before its removal: ${moves.join(', ')}`,
    );
    const group = (await cluster.status(2)).groups.find((g) => g.group === GROUP)!;
    assert.deepEqual([...group.voters].sort(), [2, 3, 4], 'the group is the target: broker 4 a voter, broker 1 gone');
    assert.deepEqual(group.learners, []);

    // The dropped broker removed its replica and files, as a deleted topic's go.
    await cluster.waitFor('broker 1 removed its replica directory', () => !existsSync(join(cluster.member(1).broker.dataDir, GROUP)), 30_000);

    await load.stopAndReadBack('');

    // KIP-460 PREFERRED: broker 4, the first replica now, takes over (or already has: the
    // leader-balance round may have moved it first).
    const elected = await electPreferred(cluster.member(2).broker.port);
    assert.ok(([ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED] as number[]).includes(elected), `ElectLeaders answered ${elected}`);
    await cluster.waitFor('broker 4 leads', async () => (await cluster.leaderOf(GROUP)) === 4, 30_000);

    // Raft §5.3 on disk: the new replica's segment files equal the others'.
    await cluster.waitFor('replicas 2, 3, 4 applied the same entries', async () => {
      const groups = await Promise.all([2, 3, 4].map(async (id) => (await cluster.status(id)).groups.find((g) => g.group === GROUP)));
      return groups.every((g) => g && g.applied === groups[0]!.applied && g.lastIndex === groups[0]!.lastIndex);
    });
    await producer.disconnect();
    await admin.disconnect();
    await Promise.all(cluster.members.map((m) => m.broker.kill9()));
    const bytes = [2, 3, 4].map((id) => cluster.partitionBytes(id, TOPIC, 0));
    assert.ok(bytes[0].length > 0);
    assert.ok(bytes[2].equals(bytes[0]), "broker 4's log equals broker 2's");
    assert.ok(bytes[1].equals(bytes[0]), "broker 3's log equals broker 2's");
  });
});

test('issue 11: a reassignment cancelled once the added broker votes goes back to the original replicas; the added broker deletes its replica', {
  timeout: 240_000,
}, async () => {
  await withClusterClients(4, async (cluster, admin, producer) => {
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
    const load = await startLoad(cluster, producer, 200);

    await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [1, 2, 4] }] }] });
    // Cancel (KIP-455: replicas null) once broker 4 is a voter: the leader may or may not have
    // removed broker 3 in the second before the cancel applies; either way the group goes back.
    const voters = async () => {
      const leader = await cluster.leaderOf(GROUP);
      return leader > 0 ? ((await cluster.status(leader)).groups.find((g) => g.group === GROUP)?.voters ?? []) : [];
    };
    await cluster.waitFor('broker 4 is a voter', async () => (await voters()).includes(4), 120_000);
    const atCancel = await voters();
    // KafkaJS cannot send a null replica list: the request goes raw, to a broker that is not the controller's.
    assert.equal(await cancelReassignment(cluster.member(3).broker.port), ErrorCode.NONE);

    await cluster.waitFor(
      'the group is back to 1, 2, 3 and Metadata says so',
      async () => {
        const leader = await cluster.leaderOf(GROUP);
        const group = leader > 0 ? (await cluster.status(leader)).groups.find((g) => g.group === GROUP) : undefined;
        const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
        return (
          group !== undefined &&
          JSON.stringify([...group.voters].sort()) === '[1,2,3]' &&
          group.learners.length === 0 &&
          JSON.stringify(meta.topics[0].partitions[0].replicas) === '[1,2,3]'
        );
      },
      120_000,
    );
    assert.equal((await admin.listPartitionReassignments({})).topics.length, 0, 'nothing in flight');
    await cluster.waitFor('broker 4 removed its replica directory', () => !existsSync(join(cluster.member(4).broker.dataDir, GROUP)), 30_000);

    await load.stopAndReadBack(` (voters at the cancel: ${atCancel.join(', ')})`);
    await producer.disconnect();
    await admin.disconnect();
  });
});

/**
 * acks=all load on the partition (produceUntil) once `ackedMin` records are acknowledged;
 * stopAndReadBack stops it and asserts that every acknowledged record reads back.
 */
async function startLoad(
  cluster: TestCluster,
  producer: Producer,
  ackedMin: number,
): Promise<{ acked: () => number; stopAndReadBack: (note: string) => Promise<void> }> {
  await producer.connect();
  let acked = 0;
  let stop = false;
  const producing = produceUntil(
    producer,
    () => stop,
    (n) => (acked = n),
  );
  await cluster.waitFor('some records acknowledged', () => acked >= ackedMin, 60_000);
  return {
    acked: () => acked,
    stopAndReadBack: async (note) => {
      stop = true;
      const ackedValues = await producing;
      const read = new Set(await readAll(cluster, TOPIC));
      const lost = ackedValues.filter((v) => !read.has(v));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${ackedValues.length} acknowledged records lost${note}`);
    },
  };
}

/** acks=all batches of 20 numbered records, one request at a time, until `stopped`; the acknowledged values. */
async function produceUntil(producer: Producer, stopped: () => boolean, onProgress: (acked: number) => void): Promise<string[]> {
  const acked: string[] = [];
  // Bounded by the test's timeout and `stopped`.
  for (let n = 0; !stopped(); n += 20) {
    const values = Array.from({ length: 20 }, (_, i) => `v-${n + i}`);
    const answers = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
    // Acknowledged only when the answer names the partition (KafkaJS resolves without sending to a
    // partition its metadata lacks); an unanswered batch is simply not counted.
    if (answers.some((a) => a.partition === 0 && a.errorCode === 0)) acked.push(...values);
    onProgress(acked.length);
  }
  return acked;
}

/** ElectLeaders v2, PREFERRED, for moving-0, sent to one broker; its partition's error code. */
async function electPreferred(port: number): Promise<number> {
  const conn = await RawConnection.connect(port);
  try {
    await conn.send(
      encodeRequest(electLeaders, 2, 7, 'reassign-test', { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0] }], timeoutMs: 20_000 }),
    );
    const { body } = decodeResponse(electLeaders, 2, await conn.readFrame(30_000));
    return body.replicaElectionResults[0].partitionResult[0].errorCode;
  } finally {
    conn.close();
  }
}

/** AlterPartitionReassignments v0 with a null replica list for moving-0 (KIP-455 cancel); its partition's error code. */
async function cancelReassignment(port: number): Promise<number> {
  const conn = await RawConnection.connect(port);
  try {
    await conn.send(
      encodeRequest(alterPartitionReassignments, 0, 8, 'reassign-test', {
        timeoutMs: 20_000,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, replicas: null }] }],
      }),
    );
    const { body } = decodeResponse(alterPartitionReassignments, 0, await conn.readFrame(30_000));
    return body.responses[0].partitions[0].errorCode;
  } finally {
    conn.close();
  }
}

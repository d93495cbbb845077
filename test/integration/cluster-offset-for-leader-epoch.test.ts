// Issue 12, OffsetForLeaderEpoch (API 23, KIP-101/KIP-320) on a RF 3 partition: the leader epoch is
// the Raft term; after a leader change (kill -9) the new leader answers where the old epoch ended,
// in Kafka offsets, so a consumer can check its position for truncation; current_leader_epoch
// fences old and unknown epochs, and a broker that does not lead answers NOT_LEADER_OR_FOLLOWER.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor } from '../helpers/cluster-clients.ts';

const TOPIC = 'epochs';
const GROUP = `${TOPIC}-0`;

/** One partition's answer from broker `nodeId` at `version`. */
async function ask(cluster: TestCluster, nodeId: number, leaderEpoch: number, currentLeaderEpoch = -1, version = 4): Promise<Record<string, number>> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
  try {
    const res = await client.request(apiByKey.get(ApiKey.OffsetForLeaderEpoch)!, version, {
      replicaId: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }],
    });
    return res.topics[0].partitions[0];
  } finally {
    client.close();
  }
}

async function termOf(cluster: TestCluster, nodeId: number): Promise<number> {
  return (await cluster.status(nodeId)).groups.find((g) => g.group === GROUP)!.term;
}

test('issue 12: OffsetForLeaderEpoch answers where each Raft term ended in Kafka offsets, across a leader kill -9, with KIP-320 fencing', async () => {
  const cluster = await startCluster();
  const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await producer.connect();
    await createTopic(cluster, TOPIC);
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
    const first = await cluster.leaderOf(GROUP);
    const epoch1 = await termOf(cluster, first);

    // The current epoch ends at the log end offset (Kafka offsets: 2 records, whatever Raft wrote).
    assert.deepEqual(await ask(cluster, first, epoch1), { errorCode: 0, partition: 0, leaderEpoch: epoch1, endOffset: 2 });
    assert.equal((await ask(cluster, first, epoch1, epoch1 - 1)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal((await ask(cluster, first, epoch1, epoch1 + 1)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
    const follower = cluster.members.find((m) => m.nodeId !== first)!.nodeId;
    assert.equal((await ask(cluster, follower, epoch1)).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);

    await cluster.member(first).broker.kill9();
    await cluster.waitFor('another broker leads', async () => (await cluster.leaderOf(GROUP, [first])) > 0);
    await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'c' }] });
    const second = await cluster.leaderOf(GROUP, [first]);
    const epoch2 = await termOf(cluster, second);
    assert.ok(epoch2 > epoch1);

    // The old epoch ended where the new one's first record is (offset 2): no truncation below it.
    assert.deepEqual(await ask(cluster, second, epoch1, epoch2), { errorCode: 0, partition: 0, leaderEpoch: epoch1, endOffset: 2 });
    assert.deepEqual(await ask(cluster, second, epoch2, epoch2), { errorCode: 0, partition: 0, leaderEpoch: epoch2, endOffset: 3 });
    // An epoch between them (a term whose leader wrote no record) answers the older one's end.
    if (epoch2 - epoch1 > 1) assert.deepEqual(await ask(cluster, second, epoch2 - 1), { errorCode: 0, partition: 0, leaderEpoch: epoch1, endOffset: 2 });
    // An epoch nobody has led yet: -1, -1 (Kafka's UNDEFINED_EPOCH_OFFSET).
    assert.deepEqual(await ask(cluster, second, epoch2 + 1), { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1 });
    // Version 0 answers the end offset alone (the decoder gives the absent leader_epoch its default, -1).
    assert.deepEqual(await ask(cluster, second, epoch1, -1, 0), { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: 2 });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

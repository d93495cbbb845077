// issue 14, live tailing in cluster mode: a topic tail on a broker that does not lead the
// partition reads its own replica, below the commit it has applied (never above the leader's
// commit), so it shows exactly the committed records, in order, under the Kafka offsets every
// replica shares, and goes on across a leader failover without a duplicate, a gap, or a record
// the new leader does not have. A tail on a broker without a replica of a partition says where
// one is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopic, produceNumbered, readAllRecords, withClusterClients } from '../helpers/cluster-clients.ts';
import { TailClient } from '../helpers/ws-tail.ts';

const TOPIC = 'tailed';

test('a tail on a follower shows the committed records in order, with the offsets the leader serves, across a failover', async () => {
  await withClusterClients(3, async (cluster, admin, producer) => {
    await createTopic(cluster, TOPIC, 1);
    // A partition with no replica on the broker tailed: a notice names the broker that hosts it.
    await admin.createTopics({ topics: [{ topic: 'solo', numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const host = (await admin.fetchTopicMetadata({ topics: ['solo'] })).topics[0]!.partitions[0]!.replicas[0]!;
    const elsewhere = cluster.members.find((m) => m.nodeId !== host)!;
    const away = await TailClient.open(`ws://127.0.0.1:${elsewhere.httpPort}/v1/ws/topics/solo`);
    try {
      const notice = await away.waitForType('notice');
      assert.equal(notice.message, `solo-0 has no replica on this broker; tail it on broker ${host}`);
    } finally {
      await away.close();
    }

    await producer.connect();
    const leader = await cluster.leaderOf(`${TOPIC}-0`);
    assert.ok(leader > 0, 'the partition has a leader');
    // The follower that stays up through the failover below.
    const follower = cluster.members.find((m) => m.nodeId !== leader)!;
    const tail = await TailClient.open(`ws://127.0.0.1:${follower.httpPort}/v1/ws/topics/${TOPIC}?from=earliest`);
    try {
      const first = await produceNumbered(producer, TOPIC, 40, 4);
      await tail.waitForRecords(first.length, 20_000);

      // The leader goes; the follower's tail carries on with what the new leader commits.
      await cluster.member(leader).broker.kill9();
      await cluster.waitFor('a new leader', async () => (await cluster.leaderOf(`${TOPIC}-0`, [leader])) > 0);
      const second = await produceNumbered(producer, TOPIC, 40, 4);
      const acked = [...first, ...second];
      await tail.waitForRecords(acked.length, 30_000);

      const committed = await readAllRecords(cluster, TOPIC, 0);
      const shown = tail.records();
      // Exactly what the partition holds (a retried send may have written a value twice; then both show).
      assert.deepEqual(
        shown.map((r) => [r.offset, r.value]),
        committed.map((r) => [r.offset, r.value!.toString()]),
      );
      for (const value of acked)
        assert.ok(
          shown.some((r) => r.value === value),
          `acknowledged ${value} is shown`,
        );
      assert.equal(tail.of('dropped').length, 0, 'nothing dropped for a reader that keeps up');
    } finally {
      await tail.close();
    }
  });
});

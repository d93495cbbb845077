// issue 13: the SDK producer (acks=all, idempotent) against three real brokers while the
// partition leader is killed with kill -9: every record `send` acknowledged is in the log, none
// is there twice, and they are in the order they were sent (retries resend the same batches with
// the same sequence numbers to the new leader, found through metadata by the Cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer } from '../../src/client/producer/producer.ts';
import { startCluster } from '../helpers/cluster.ts';
import { createTopic, readAll } from '../helpers/cluster-clients.ts';

test('kill -9 of the partition leader under SDK acks=all load: nothing acknowledged lost, no duplicate, no reordering', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'sdk-orders');
    const victim = await cluster.leaderOf('sdk-orders-0');
    assert.ok(victim > 0);
    const producer = new Producer({ bootstrap: cluster.bootstrap.split(','), limits: { lingerMs: 2, deliveryTimeoutMs: 60_000 } });
    const total = 3_000;
    const acked: number[] = [];
    const failed: string[] = [];
    let killed: Promise<unknown> | null = null;
    // At most `window` sends outstanding, so the buffer and the test stay small and bounded.
    const window = 100;
    const outstanding = new Set<Promise<void>>();
    for (let i = 0; i < total; i++) {
      const sending = producer.send({ topic: 'sdk-orders', partition: 0, value: `v-${i}` }).then(
        () => {
          acked.push(i);
          if (acked.length >= 1_000 && killed === null) killed = cluster.member(victim).broker.kill9();
        },
        (err: Error) => {
          failed.push(`${i}: ${err.message}`);
        },
      );
      outstanding.add(sending);
      void sending.then(() => outstanding.delete(sending));
      if (outstanding.size >= window) await Promise.race(outstanding);
    }
    await Promise.all(outstanding);
    await producer.close();
    assert.ok(killed !== null, 'the leader was killed mid-run');
    await killed;
    assert.deepEqual(failed.slice(0, 3), [], `${failed.length} sends failed (retries should carry them to the new leader)`);
    await cluster.member(victim).broker.restart();
    await cluster.waitCaughtUp('sdk-orders-0');
    const values = (await readAll(cluster, 'sdk-orders')).map((v) => Number(v.slice(2)));
    assert.equal(new Set(values).size, values.length, 'no record written twice');
    const stored = new Set(values);
    const lost = acked.filter((v) => !stored.has(v));
    assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged records lost`);
    assert.deepEqual(
      values.filter((v, i) => i > 0 && v <= values[i - 1]!),
      [],
      'records are in the order they were sent',
    );
    assert.equal(values.length, total);
  } finally {
    await cluster.stop();
  }
});

// issue 13: the SDK consumer in a 3-broker cluster follows a leader change by itself: a group
// member reading a replicated partition keeps going across a kill -9 of the partition's leader
// (its fetches get NOT_LEADER_OR_FOLLOWER or a broken connection, it forgets the metadata and
// asks the new leader) and gets every acknowledged record, in offset order, without a gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { startCluster } from '../helpers/cluster.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';

test('a group consumer reads on across a kill -9 of the partition leader', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster({ size: 3 });
  t.after(() => cluster.stop());
  const client = new Cluster({ bootstrap: cluster.bootstrap.split(',') });
  t.after(() => client.close());
  await createTopic(client, 'c-failover', 1, 3);
  await cluster.waitCaughtUp('c-failover-0');

  const consumer = new Consumer({
    bootstrap: cluster.bootstrap.split(','),
    groupId: 'g-failover',
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 20_000,
    rebalanceTimeoutMs: 10_000,
    onError: () => {},
  });
  t.after(() => consumer.close());
  consumer.subscribe(['c-failover']);
  const got: number[] = [];
  const reading = consumer.run((r) => {
    if (got.at(-1) !== undefined && r.offset <= got.at(-1)!) return; // read again after a lost membership: already counted
    assert.equal(r.offset, got.length, `no gap: offset ${r.offset} after ${got.length} records`);
    got.push(r.offset);
  });
  reading.catch(() => {});

  const batch = (round: number) => Array.from({ length: 20 }, (_, i) => ({ value: `r${round}-${i}` }));
  for (let round = 0; round < 5; round++) await produceTo(client, 'c-failover', 0, batch(round));
  await cluster.waitFor('the first 100 records read', () => got.length >= 100, 60_000);

  const victim = await cluster.leaderOf('c-failover-0');
  assert.ok(victim > 0, 'the partition has a leader');
  await cluster.member(victim).broker.kill9();
  for (let round = 5; round < 10; round++) await produceTo(client, 'c-failover', 0, batch(round));
  await cluster.waitFor('all 200 records read from the new leader', () => got.length >= 200, 90_000);
  // Every offset from 0, once each (a produce retried after a lost answer may add a batch: more is fine, a gap is not).
  assert.ok(got.every((offset, i) => offset === i));
});

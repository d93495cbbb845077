// Unsafe recovery with real brokers (issue 11 part 4; docs/cluster.md, "Unsafe recovery"): two
// of three brokers destroyed for good (kill -9 and their data directories removed), the
// survivor's groups have no quorum; POST /cluster/unsafe-recover on the survivor makes it the
// only voter of the metadata group, then of the partition, and the partition serves every record
// the survivor had.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor, produceNumbered } from '../helpers/cluster-clients.ts';
import { RawRecordReader } from '../helpers/read-back.ts';

async function recover(cluster: TestCluster, nodeId: number, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${cluster.member(nodeId).httpPort}/cluster/unsafe-recover`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface GroupReport {
  group: string;
  outcome: string;
  reason?: string;
  voters?: number[];
  fenced?: string[];
  highWatermark?: number;
  logEndOffset?: number;
  assignment?: string;
  mayBeLost?: string;
}

test('issue 11 unsafe recovery: two of three brokers destroyed; the survivor, recovered metadata first, leads the partition and serves every record it had', async () => {
  const cluster = await startCluster();
  try {
    await createTopic(cluster, 'survive');
    const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = await produceNumbered(producer, 'survive', 600, 20);
    await producer.disconnect();
    // The survivor is a follower of the partition: the harder case (it must take over).
    const leader = await cluster.leaderOf('survive-0');
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    const lost = [1, 2, 3].filter((id) => id !== survivor);
    // Everything acknowledged reached the survivor (acks=all needs only a majority: wait for it).
    await cluster.waitCaughtUp('survive-0');
    await cluster.waitCaughtUp('__metadata');
    // The partition's end offset as clients see it (Raft's own entries take offsets too, so it is not the record count).
    const admin = kafkaFor(cluster).admin();
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets('survive')).find((p) => p.partition === 0)!.high);
    await admin.disconnect();
    assert.ok(end >= acked.length);

    for (const id of lost) {
      const broker = cluster.member(id).broker;
      await broker.kill9();
      rmSync(broker.dataDir, { recursive: true, force: true });
    }
    await cluster.waitFor('the survivor knows no leader of either group', async () => {
      const groups = (await cluster.status(survivor)).groups;
      return ['__metadata', 'survive-0'].every((name) => groups.find((g) => g.group === name)?.leader === 0);
    });

    // Bad input is refused, naming the field.
    const bad = await recover(cluster, survivor, { group: 5 });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /"group"/);
    // The order is metadata, then partitions: a partition alone is refused while the metadata has no leader.
    const early = await recover(cluster, survivor, { group: 'survive-0' });
    assert.equal(early.status, 409, JSON.stringify(early.json));
    assert.match(String(early.json.error), /recover "__metadata" first/);

    // Every group that had the lost broker as a voter: the metadata group first, then the partition.
    const done = await recover(cluster, survivor, { node: lost[0] });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    const groups = done.json.groups as GroupReport[];
    assert.deepEqual(groups.map((g) => [g.group, g.outcome]), [['__metadata', 'recovered'], ['survive-0', 'recovered']]);
    for (const g of groups) {
      assert.deepEqual(g.voters, [survivor]);
      assert.equal(g.fenced!.length, 2, `${g.group}: both lost members fenced`);
      assert.ok(g.mayBeLost && g.mayBeLost.length > 0);
    }
    const partition = groups[1];
    // What the survivor had: the whole partition as clients saw it before the loss.
    assert.equal(partition.logEndOffset, end);
    assert.equal(partition.highWatermark, end);
    assert.match(partition.mayBeLost!, new RegExp(`offset ${end} or later`));
    assert.match(partition.assignment!, new RegExp(`\\[${survivor}\\]`));
    assert.ok(cluster.member(survivor).broker.logs().some((l) => l.includes('unsafe recovery')), 'the recovery is logged');

    await cluster.waitFor('the survivor leads the partition', async () => {
      const g = (await cluster.status(survivor)).groups.find((x) => x.group === 'survive-0');
      return g?.leader === survivor && g.voters.length === 1;
    });
    // Nothing the survivor had is lost: every acknowledged record is served, in order.
    const reader = await RawRecordReader.connect(cluster.member(survivor).broker.port);
    let values: string[];
    try {
      values = (await reader.read('survive', 0)).map((r) => r.value!.toString());
    } finally {
      await reader.close();
    }
    assert.deepEqual(values, acked, 'lost: nothing the survivor had');

    // The group takes writes again with the survivor as its only voter (acks=all).
    const kafka = new Kafka({ clientId: 'after-recovery', brokers: [cluster.member(survivor).broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 } });
    const after = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await after.connect();
    try {
      const more = await produceNumbered(after, 'survive', 40, 20);
      assert.equal(more.length, 40);
    } finally {
      await after.disconnect();
    }
    const status = await cluster.status(survivor);
    assert.equal(status.controllerId, survivor, 'the survivor is the controller');
    // Running it again finds nothing: no group has the other lost broker as a voter any more.
    const again = await recover(cluster, survivor, { node: lost[1] });
    assert.equal(again.status, 404, JSON.stringify(again.json));
  } finally {
    await cluster.stop();
  }
});

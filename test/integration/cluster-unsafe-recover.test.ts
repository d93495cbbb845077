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

/**
 * Every value of partition 0 read from `nodeId`. A new leader answers NOT_LEADER_OR_FOLLOWER
 * until an entry of its term is committed, so the read is retried (bounded by waitFor).
 */
async function readFrom(cluster: TestCluster, nodeId: number, topic: string): Promise<string[]> {
  let values: string[] = [];
  await cluster.waitFor(`${topic}-0 readable on broker ${nodeId}`, async () => {
    const reader = await RawRecordReader.connect(cluster.member(nodeId).broker.port);
    try {
      values = (await reader.read(topic, 0)).map((r) => r.value!.toString());
      return true;
    } finally {
      await reader.close();
    }
  });
  return values;
}

/**
 * Creates `topic` (RF 3), produces `count` records with acks=all, picks a follower of the
 * partition as the survivor (the harder case: it must take over), waits until it holds every
 * acknowledged record (acks=all needs only a majority) and the metadata.
 */
async function loseTwo(cluster: TestCluster, topic: string, count: number): Promise<{ acked: string[]; survivor: number; lost: number[] }> {
  await createTopic(cluster, topic);
  const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked = await produceNumbered(producer, topic, count, 20);
  await producer.disconnect();
  const leader = await cluster.leaderOf(`${topic}-0`);
  const survivor = [1, 2, 3].find((id) => id !== leader)!;
  const lost = [1, 2, 3].filter((id) => id !== survivor);
  await cluster.waitCaughtUp(`${topic}-0`);
  await cluster.waitCaughtUp('__metadata');
  return { acked, survivor, lost };
}

/** kill -9 of the two others (their data directories removed with `removeData`); the survivor then knows no leader. */
async function destroy(cluster: TestCluster, topic: string, survivor: number, lost: number[], removeData: boolean): Promise<void> {
  for (const id of lost) {
    const broker = cluster.member(id).broker;
    await broker.kill9();
    if (removeData) rmSync(broker.dataDir, { recursive: true, force: true });
  }
  await cluster.waitFor('the survivor knows no leader of either group', async () => {
    const groups = (await cluster.status(survivor)).groups;
    return ['__metadata', `${topic}-0`].every((name) => groups.find((g) => g.group === name)?.leader === 0);
  });
}

test('issue 11 unsafe recovery: two of three brokers destroyed; the survivor, recovered metadata first, leads the partition and serves every record it had', async () => {
  const cluster = await startCluster();
  try {
    const { acked, survivor, lost } = await loseTwo(cluster, 'survive', 600);
    // The partition's end offset as clients see it (Raft's own entries take offsets too, so it is not the record count).
    const admin = kafkaFor(cluster).admin();
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets('survive')).find((p) => p.partition === 0)!.high);
    await admin.disconnect();
    assert.ok(end >= acked.length);

    await destroy(cluster, 'survive', survivor, lost, true);

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
    assert.deepEqual(
      groups.map((g) => [g.group, g.outcome]),
      [
        ['__metadata', 'recovered'],
        ['survive-0', 'recovered'],
      ],
    );
    for (const g of groups) {
      assert.deepEqual(g.voters, [survivor]);
      assert.equal(g.fenced!.length, 2, `${g.group}: both lost members fenced`);
      assert.ok(g.mayBeLost && g.mayBeLost.length > 0);
    }
    const partition = groups[1];
    // What the survivor had: the whole partition as clients saw it before the loss.
    // (A leader change after the offsets were read, such as the preferred-leader handoff, adds an
    // empty entry of its term: one offset more, no record.)
    assert.ok(partition.logEndOffset! >= end, `log end ${partition.logEndOffset} below ${end}`);
    assert.ok(partition.highWatermark! >= end, `high watermark ${partition.highWatermark} below ${end}`);
    assert.match(partition.mayBeLost!, new RegExp(`offset ${partition.logEndOffset} or later`));
    assert.match(partition.assignment!, new RegExp(`\\[${survivor}\\]`));
    assert.ok(
      cluster
        .member(survivor)
        .broker.logs()
        .some((l) => l.includes('unsafe recovery')),
      'the recovery is logged',
    );

    await cluster.waitFor('the survivor leads the partition', async () => {
      const g = (await cluster.status(survivor)).groups.find((x) => x.group === 'survive-0');
      return g?.leader === survivor && g.voters.length === 1;
    });
    // Nothing the survivor had is lost: every acknowledged record is served, in order.
    assert.deepEqual(await readFrom(cluster, survivor, 'survive'), acked, 'lost: nothing the survivor had');

    // The group takes writes again with the survivor as its only voter (acks=all).
    const kafka = new Kafka({
      clientId: 'after-recovery',
      brokers: [cluster.member(survivor).broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const after = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await after.connect();
    let more: string[];
    try {
      more = await produceNumbered(after, 'survive', 40, 20);
    } finally {
      await after.disconnect();
    }
    // The forced configuration is durable: after kill -9 the survivor restarts alone, leads, keeps it all.
    await cluster.member(survivor).broker.kill9();
    await cluster.member(survivor).broker.restart();
    await cluster.waitFor('the restarted survivor leads both groups alone', async () => {
      const groups = (await cluster.status(survivor)).groups;
      return ['__metadata', 'survive-0'].every((name) => {
        const g = groups.find((x) => x.group === name);
        return g?.leader === survivor && g.voters.length === 1;
      });
    });
    assert.deepEqual(await readFrom(cluster, survivor, 'survive'), [...acked, ...more]);
    const status = await cluster.status(survivor);
    assert.equal(status.controllerId, survivor, 'the survivor is the controller');
    // A lost broker rebuilt with an empty data directory (a new storage id, never a fenced one)
    // is added back to the metadata group by its leader, as any wiped broker is.
    const rebuilt = cluster.member(lost[0]).broker;
    await rebuilt.restart();
    await cluster.waitFor(
      'the rebuilt broker is a metadata voter again',
      async () => {
        const g = (await cluster.status(survivor)).groups.find((x) => x.group === '__metadata');
        return g?.voters.includes(lost[0]) === true && g.followers.some((f) => f.id === lost[0] && f.identityOk && f.lag === 0);
      },
      60_000,
    );
    // Running it again finds nothing: no group has the other lost broker as a voter any more.
    const rerun = await recover(cluster, survivor, { node: lost[1] });
    assert.equal(rerun.status, 404, JSON.stringify(rerun.json));
  } finally {
    await cluster.stop();
  }
});

test('issue 11 unsafe recovery: the lost brokers restarted with their old disks (an operator mistake) cannot depose the survivor or change its data', async () => {
  const cluster = await startCluster();
  try {
    const { acked, survivor, lost } = await loseTwo(cluster, 'zombie', 200);
    await destroy(cluster, 'zombie', survivor, lost, false);
    const done = await recover(cluster, survivor, { node: lost[0] });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    await cluster.waitFor('the survivor leads both groups', async () => {
      const groups = (await cluster.status(survivor)).groups;
      return ['__metadata', 'zombie-0'].every((name) => groups.find((g) => g.group === name)?.leader === survivor);
    });
    const termsBefore = (await cluster.status(survivor)).groups.map((g) => [g.group, g.term]);

    // Both lost brokers come back with their old data: in their old configuration they are a
    // majority, elect leaders of their own and campaign past the survivor's terms.
    await Promise.all(lost.map((id) => cluster.member(id).broker.restart()));
    await cluster.waitFor('the old majority elected a leader of its own', async () => {
      const g = (await cluster.status(lost[0])).groups.find((x) => x.group === 'zombie-0');
      return g !== undefined && g.leader > 0 && g.leader !== survivor;
    });
    // Several election timeouts (1 s at most each) in which their messages reach the survivor.
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await cluster.status(survivor);
    assert.deepEqual(
      after.groups.map((g) => [g.group, g.term]),
      termsBefore,
      'no term of the old majority reached the survivor',
    );
    for (const g of after.groups) {
      assert.equal(g.leader, survivor, `${g.group} still led by the survivor`);
      assert.deepEqual(g.voters, [survivor]);
    }
    assert.ok(cluster.member(survivor).broker.alive());
    assert.ok(
      cluster
        .member(survivor)
        .broker.logs()
        .some((l) => l.includes('fenced by an unsafe recovery is back')),
      'the survivor says why it ignores them',
    );

    assert.deepEqual(await readFrom(cluster, survivor, 'zombie'), acked, 'the survivor serves its own data, nothing of the old majority');
  } finally {
    await cluster.stop();
  }
});

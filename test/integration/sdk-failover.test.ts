// issue 13 "Cluster failover": an SDK producer (acks=all, idempotent) and an SDK group consumer
// (manual commits after processing) keep running on three real brokers across a kill -9 of
// (a) the partition's leader and (b) the group's coordinator (found with FindCoordinator; the
// group is chosen so that its coordinator is another broker than the partition's leader, so
// each kill hits one role only). What must hold, for each:
// - nothing acknowledged lost: every record `send` resolved for is in the log, once (idempotence),
//   and the consumer processes it;
// - nothing processed twice after a commit: let `committed` be the highest offset a commit of the
//   consumer had been acknowledged for (commit(offset) = "everything before offset is done").
//   A record processed a second time must have an offset >= the `committed` of that moment —
//   after the coordinator change (or a rebalance) the consumer resumes at the committed offset, so
//   only records from it on may be seen again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import { withRetries } from '../../src/client/retry.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS_DEFAULT, offsetsPartitionFor } from '../../src/broker/group/offsets-topic.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { readPartition } from '../helpers/sdk-read-back.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';

/** Records per second the producer offers: enough that the kill lands mid-stream, few enough for a loaded 2-core machine. */
const SEND_EVERY_MS = 20;
const SENDS_PER_TICK = 10;
/** A bound on the run whatever happens. */
const RECORDS_MAX = 20_000;
/** Records the producer sends after the kill, then it stops. */
const SENT_AFTER_KILL = 600;
/** The consumer commits after every this many records. */
const COMMIT_EVERY = 10;

let cluster: TestCluster;
let client: Cluster;
before(async () => {
  cluster = await startCluster({ size: 3 });
  client = new Cluster({ bootstrap: cluster.bootstrap.split(',') });
  for (const topic of ['fo-leader', 'fo-coordinator']) {
    await createTopic(client, topic, 1, 3);
    await cluster.waitCaughtUp(`${topic}-0`);
  }
});
after(async () => {
  await client?.close();
  await cluster?.stop();
});

/** A group of `prefix-N` whose coordinator (FindCoordinator) is not `leader`, with its coordinator. */
async function groupCoordinatedAwayFrom(prefix: string, leader: number): Promise<{ groupId: string; coordinator: number }> {
  for (let i = 0; i < 64; i++) {
    const groupId = `${prefix}-${i}`;
    const coordinator = await withRetries(client.limits, () => client.coordinator(groupId));
    if (coordinator !== leader) return { groupId, coordinator };
  }
  throw new Error(`every one of 64 groups is coordinated by broker ${leader}, the leader of the partition`);
}

interface Run {
  acked: Set<number>;
  failedSends: string[];
  /** Offsets processed a second time, with the committed offset of that moment. */
  again: { offset: number; committed: number }[];
  processedValues: Set<number>;
  committed: number;
  commitsAcked: number;
  commitsFailed: number;
  /** Commits acknowledged before the kill: more must follow it. */
  commitsAckedAtKill: number;
  /** Rebalance callbacks seen (the first assignment included). */
  assigned: number;
  lost: number;
}

async function runAcrossKill(topic: string, groupId: string, victim: number): Promise<Run> {
  const bootstrap = cluster.bootstrap.split(',');
  const producer = new Producer({ bootstrap, acks: 'all', idempotent: true, limits: { lingerMs: 5, deliveryTimeoutMs: 45_000 } });
  const consumer = new Consumer({
    bootstrap,
    groupId,
    autoCommit: false,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 8_000,
    onAssigned: () => void run.assigned++,
    onLost: () => void run.lost++,
    onError: () => {},
  });
  const run: Run = {
    acked: new Set(),
    failedSends: [],
    again: [],
    processedValues: new Set(),
    committed: 0,
    commitsAcked: 0,
    commitsFailed: 0,
    commitsAckedAtKill: 0,
    assigned: 0,
    lost: 0,
  };
  const processedOffsets = new Set<number>();
  try {
    consumer.subscribe([topic]);
    const reading = consumer.run(async (r) => {
      if (processedOffsets.has(r.offset)) run.again.push({ offset: r.offset, committed: run.committed });
      processedOffsets.add(r.offset);
      run.processedValues.add(Number(r.value!.toString().slice(2)));
      if (r.offset % COMMIT_EVERY !== COMMIT_EVERY - 1) return;
      try {
        await consumer.commit([{ topic, partition: 0, offset: r.offset + 1 }]);
        run.committed = Math.max(run.committed, r.offset + 1);
        run.commitsAcked++;
      } catch {
        // The coordinator is gone or the group rebalances: the next commit tries again.
        run.commitsFailed++;
      }
    });
    reading.catch(() => {});

    let sendLimit = RECORDS_MAX;
    let sent = 0;
    const producing = (async () => {
      const outstanding = new Set<Promise<void>>();
      for (let i = 0; i < sendLimit; i++, sent++) {
        const sending = producer.send({ topic, partition: 0, value: `v-${i}` }).then(
          () => void run.acked.add(i),
          (err: Error) => void run.failedSends.push(`${i}: ${err.message}`),
        );
        outstanding.add(sending);
        void sending.then(() => outstanding.delete(sending));
        if (i % SENDS_PER_TICK === SENDS_PER_TICK - 1) await new Promise((r) => setTimeout(r, SEND_EVERY_MS));
      }
      await Promise.all(outstanding);
    })();

    await cluster.waitFor('the consumer processed and committed 200 records', () => run.committed >= 200, 30_000);
    await cluster.member(victim).broker.kill9();
    run.commitsAckedAtKill = run.commitsAcked;
    sendLimit = Math.min(RECORDS_MAX, sent + SENT_AFTER_KILL);
    await producing;
    await producer.close();
    assert.equal(run.acked.size + run.failedSends.length, sendLimit, 'every send settled');
    const lost = () => [...run.acked].filter((v) => !run.processedValues.has(v));
    await cluster
      .waitFor('the consumer processed every acknowledged record', () => lost().length === 0, 30_000)
      .catch(async (err: Error) => {
        const missing = lost();
        const log = await readPartition(client, topic, 0, 5_000).then(
          (b) => `the log holds ${b.records.length} records, high watermark ${b.highWatermark}, last value ${b.records.at(-1)?.value?.toString()}`,
          (e: Error) => `reading the log failed: ${e.message}`,
        );
        throw new Error(
          `${err.message}; ${log}: ${missing.length} of ${run.acked.size} not processed (first ${missing.slice(0, 5).join(', ')}), highest processed ${Math.max(...run.processedValues)}, position ${consumer.position({ topic, partition: 0 })}, assignment ${JSON.stringify(consumer.assignment())}`,
        );
      });
    return run;
  } finally {
    await consumer.close();
    await producer.close();
  }
}

/** The log of `topic`-0 read back: every acknowledged value there once. */
async function assertLogHoldsAcked(topic: string, run: Run): Promise<void> {
  const values = (await readPartition(client, topic, 0)).records.map((r) => Number(r.value!.toString().slice(2)));
  assert.equal(new Set(values).size, values.length, 'no record in the log twice (idempotent producer)');
  const stored = new Set(values);
  const lost = [...run.acked].filter((v) => !stored.has(v));
  assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged records not in the log`);
}

/**
 * A new member of the group, after the consumer left without committing its last records, starts
 * exactly at the highest acknowledged commit: the records from it on are the only ones it sees
 * again (the same rule a rebalance follows); the commits made across the kill were kept.
 */
async function assertResumesAtCommitted(topic: string, groupId: string, run: Run): Promise<void> {
  const next = new Consumer({
    bootstrap: cluster.bootstrap.split(','),
    groupId,
    autoCommit: false,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 300,
    rebalanceTimeoutMs: 8_000,
    onError: () => {},
  });
  try {
    // Records past the end the first consumer reached, so there is something to read even when it committed them all.
    await produceTo(client, topic, 0, [{ value: 'v-after-0' }, { value: 'v-after-1' }]);
    next.subscribe([topic]);
    const first: number[] = [];
    const reading = next.run((r) => void first.push(r.offset));
    reading.catch(() => {});
    await cluster.waitFor('the new member reads its first record', () => first.length > 0, 30_000);
    assert.equal(first[0], run.committed, 'the new member starts at the last acknowledged commit');
  } finally {
    await next.close();
  }
}

function assertRun(run: Run, t: { diagnostic: (m: string) => void }): void {
  assert.deepEqual(run.failedSends.slice(0, 3), [], `${run.failedSends.length} sends failed (retries carry them to the new leader)`);
  const early = run.again.filter((a) => a.offset < a.committed);
  assert.deepEqual(early.slice(0, 5), [], `${early.length} records processed again although a commit past them had been acknowledged`);
  assert.ok(run.commitsAcked > run.commitsAckedAtKill, 'commits are acknowledged after the kill too');
  t.diagnostic(
    `acked ${run.acked.size}, processed again ${run.again.length} (all at or after the committed offset), commits ${run.commitsAcked} acknowledged / ${run.commitsFailed} failed, assignments ${run.assigned}, partitions lost ${run.lost}`,
  );
}

test('kill -9 of the partition leader: the SDK producer and group consumer keep running; nothing acknowledged lost, nothing processed twice after a commit', {
  timeout: 90_000,
}, async (t) => {
  const topic = 'fo-leader';
  const leader = await cluster.leaderOf(`${topic}-0`);
  assert.ok(leader > 0, 'the partition has a leader');
  const { groupId, coordinator } = await groupCoordinatedAwayFrom('g-leader', leader);
  t.diagnostic(`partition leader ${leader} (killed), coordinator of ${groupId}: ${coordinator}`);
  // Back for the next test whatever happens here: with two brokers down there is no quorum.
  t.after(() => cluster.member(leader).broker.restart());
  const run = await runAcrossKill(topic, groupId, leader);
  assertRun(run, t);
  await assertLogHoldsAcked(topic, run);
  await assertResumesAtCommitted(topic, groupId, run);
});

test('kill -9 of the group coordinator: the SDK producer and group consumer keep running; nothing acknowledged lost, nothing processed twice after a commit', {
  timeout: 90_000,
}, async (t) => {
  const topic = 'fo-coordinator';
  // The broker restarted by the test before catches up before another one is killed.
  await cluster.waitCaughtUp(`${topic}-0`);
  const leader = await cluster.leaderOf(`${topic}-0`);
  assert.ok(leader > 0, 'the partition has a leader');
  const { groupId, coordinator } = await groupCoordinatedAwayFrom('g-coordinator', leader);
  const offsetsGroup = `${OFFSETS_TOPIC}-${offsetsPartitionFor(groupId, OFFSETS_TOPIC_PARTITIONS_DEFAULT)}`;
  await cluster.waitCaughtUp(offsetsGroup);
  assert.equal(await cluster.leaderOf(offsetsGroup), coordinator, `FindCoordinator names the leader of ${offsetsGroup}`);
  t.diagnostic(`coordinator of ${groupId}: ${coordinator} (killed), partition leader ${leader}`);
  t.after(() => cluster.member(coordinator).broker.restart());
  const run = await runAcrossKill(topic, groupId, coordinator);
  assertRun(run, t);
  const successor = await cluster.leaderOf(offsetsGroup);
  assert.ok(successor > 0 && successor !== coordinator, `another broker (${successor}) coordinates the group after the kill`);
  await assertLogHoldsAcked(topic, run);
  await assertResumesAtCommitted(topic, groupId, run);
});

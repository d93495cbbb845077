// The group coordinator over in-memory __consumer_offsets partitions (MemoryLog): commits are
// visible only once durable, state is rebuilt from the log, snapshots bound the log and replay
// only the tail, and offset retention expires an empty group's offsets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { GroupCoordinator, defaultCoordinatorLimits, type CoordinatorHost, type CoordinatorLimits } from '../../../src/broker/group/coordinator.ts';
import { OffsetsFollowers, defaultOffsetsFollowerLimits, type SnapshotStore } from '../../../src/broker/group/offsets-follower.ts';
import { defaultGroupLimits } from '../../../src/broker/group/group.ts';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../../src/broker/group/offsets-topic.ts';
import { MetadataState } from '../../../src/metadata/metadata-state.ts';
import { Partition } from '../../../src/partition/partition.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const PARTITIONS = 4;

function world(followerLimits = defaultOffsetsFollowerLimits, coordinatorLimits: Partial<CoordinatorLimits> = {}, followerNow?: () => number) {
  const metadata = new MetadataState({ clusterId: 'c', brokers: [{ nodeId: 1, host: 'h', port: 1, rack: null }], topics: [] });
  for (const [name, count] of [
    [OFFSETS_TOPIC, PARTITIONS],
    ['t', 3],
  ] as const) {
    metadata.apply({
      type: 'createTopic',
      topic: {
        name,
        topicId: name === 't' ? '1'.repeat(32) : '2'.repeat(32),
        partitionCount: count,
        replicationFactor: 1,
        configs: {},
        assignments: Array.from({ length: count }, () => [1]),
        createdAtMs: 0,
      },
    });
  }
  const logs = Array.from({ length: PARTITIONS }, () => new MemoryLog());
  const saved = new Map<number, { coveredOffset: number; data: string }>();
  const snapshots: SnapshotStore = { load: (p) => saved.get(p), save: (p, coveredOffset, data) => void saved.set(p, { coveredOffset, data }) };
  // Real time (the group timers are real) plus a jump the tests control.
  let skewMs = 0;
  const coordinator = () => {
    // 'none' flush: the high watermark follows each append, as after an fsync.
    const partitions = logs.map((log, i) => new Partition(OFFSETS_TOPIC, i, log, 'none'));
    // The node's followers of __consumer_offsets (snapshots, trimming), as broker-node wires them.
    const followers = new OffsetsFollowers(snapshots, pino({ level: 'silent' }), followerLimits, followerNow);
    partitions.forEach((p, i) => followers.follow(i, p));
    const host: CoordinatorHost = {
      nodeId: 1,
      metadata: () => metadata,
      offsetsPartition: (i) => partitions[i],
      isLeader: () => true,
      leaderEpoch: () => 0,
      now: () => Date.now() + skewMs,
      logger: pino({ level: 'silent' }),
      offsetsState: (i) => followers.get(i),
    };
    const c = new GroupCoordinator(host, { ...defaultGroupLimits, ...defaultCoordinatorLimits, offsetsRetentionMs: 60_000, ...coordinatorLimits });
    c.loadAll();
    const close = () => {
      c.close();
      followers.close();
    };
    return { c, partitions, followers, close };
  };
  return { coordinator, logs, saved, advance: (ms: number) => (skewMs += ms) };
}

/** Lets the followers apply every committed record (they step on the event loop), then snapshots. */
async function snapshot(followers: OffsetsFollowers, partitions: Partition[], recordsMin: number): Promise<number> {
  for (let turn = 0; turn < 1_000 && partitions.some((p, i) => followers.get(i)!.coveredOffset < p.highWatermark); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return followers.snapshot(recordsMin);
}

const commit = (c: GroupCoordinator, group: string, partition: number, offset: number, metadata: string | null = null) =>
  c.commitOffsets(group, '', null, -1, [
    { name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: metadata }] },
  ]);

const offsetOf = (c: GroupCoordinator, group: string, partition: number) =>
  c.fetchOffsets(group, [{ name: 't', partitionIndexes: [partition] }]).topics[0].partitions[0].committedOffset;

test('Kafka group-to-partition mapping: abs(String.hashCode) % partitions', () => {
  // Java: "hello".hashCode() == 99162322; "".hashCode() == 0.
  assert.equal(offsetsPartitionFor('hello', 50), 99162322 % 50);
  assert.equal(offsetsPartitionFor('', 50), 0);
  // A negative hash: "polygenelubricants".hashCode() == Integer.MIN_VALUE, which Utils.abs maps to 0.
  assert.equal(offsetsPartitionFor('polygenelubricants', 50), 0);
});

test('committed offsets are rebuilt from __consumer_offsets by a new coordinator (restart, or failover in cluster mode)', async () => {
  const w = world();
  const { c } = w.coordinator();
  assert.deepEqual((await commit(c, 'g1', 0, 10, 'ten'))[0].partitions[0].errorCode, ErrorCode.NONE);
  await commit(c, 'g1', 1, 20);
  await commit(c, 'g1', 0, 11, 'eleven');
  await commit(c, 'g2', 2, 5);
  c.close();
  const { c: again } = w.coordinator();
  assert.equal(offsetOf(again, 'g1', 0), 11);
  assert.equal(offsetOf(again, 'g1', 1), 20);
  assert.equal(offsetOf(again, 'g2', 2), 5);
  assert.equal(again.fetchOffsets('g1', null).topics[0].partitions.length, 2);
  assert.deepEqual(
    again.listGroups([]).map((g) => g.groupId),
    ['g1', 'g2'],
  );
  again.close();
});

test('snapshots bound the log: the covered head is deleted and a restart loads the snapshot and replays only the tail', async () => {
  const w = world();
  const { c, partitions, followers } = w.coordinator();
  const p = offsetsPartitionFor('g-snap', PARTITIONS);
  for (let i = 0; i < 50; i++) await commit(c, 'g-snap', i % 3, i);
  assert.equal(await snapshot(followers, partitions, 1_000), 0, 'below the threshold nothing is written');
  assert.equal(await snapshot(followers, partitions, 10), 1);
  assert.equal(partitions[p].logStartOffset, 50, 'the log below the snapshot is gone');
  assert.equal(w.saved.get(p)!.coveredOffset, 50);
  await commit(c, 'g-snap', 0, 100);
  c.close();
  const { c: again, followers: reloaded } = w.coordinator();
  assert.equal(reloaded.get(p)!.snapshotOffset, 50, 'the restart starts from the snapshot');
  assert.equal(offsetOf(again, 'g-snap', 0), 100, 'tail replayed over the snapshot');
  assert.equal(offsetOf(again, 'g-snap', 1), 49);
  assert.equal(offsetOf(again, 'g-snap', 2), 47);
  again.close();
});

test('a group record is kept by the snapshot: after a restart the group is Stable at its generation', async () => {
  const w = world();
  const { c, partitions, followers } = w.coordinator();
  const join = (memberId: string) =>
    c.join('g-members', {
      memberId,
      groupInstanceId: null,
      clientId: 'c',
      clientHost: '/h',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
      requireKnownMemberId: false,
    });
  // The initial rebalance delay runs on a real (unref'd) timer of 300 ms: keep the loop alive.
  const keepAlive = setInterval(() => {}, 50);
  const joined = await join('').finally(() => clearInterval(keepAlive));
  assert.equal(joined.errorCode, ErrorCode.NONE);
  const synced = await c.sync('g-members', {
    memberId: joined.memberId,
    groupInstanceId: null,
    generationId: joined.generationId,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('mine') }],
  });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.equal(await snapshot(followers, partitions, 1), 1);
  c.close();
  const { c: again } = w.coordinator();
  const described = again.describeGroup('g-members');
  assert.equal(described.summary.state, 'Stable');
  assert.equal(described.summary.members[0].assignment.toString(), 'mine');
  assert.equal(again.heartbeat('g-members', joined.memberId, null, joined.generationId), ErrorCode.NONE);
  again.close();
});

test("offsets retention: an empty group's offsets expire after the retention time, and the group goes with them", async () => {
  const w = world();
  const { c, partitions, followers } = w.coordinator();
  await commit(c, 'g-old', 0, 1);
  w.advance(30_000);
  await commit(c, 'g-new', 0, 2);
  w.advance(31_000);
  assert.equal(await c.expireOffsets(), 1);
  assert.equal(offsetOf(c, 'g-old', 0), -1);
  assert.equal(offsetOf(c, 'g-new', 0), 2, 'offsets never go away before their time');
  assert.deepEqual(
    c.listGroups([]).map((g) => g.groupId),
    ['g-new'],
  );
  // issue 9: the replica's state (what snapshots keep) drops them too: it holds live groups only.
  await snapshot(followers, partitions, Number.MAX_SAFE_INTEGER);
  const held = partitions.flatMap((_, i) => [...followers.get(i)!.state.groups.keys()]);
  assert.deepEqual(held, ['g-new']);
  c.close();
  // The expiry was written as tombstones: a restart does not bring the offsets back.
  const { c: again } = w.coordinator();
  assert.equal(offsetOf(again, 'g-old', 0), -1);
  assert.equal(offsetOf(again, 'g-new', 0), 2);
  again.close();
});

test('DeleteGroups writes tombstones: a deleted group stays deleted after a restart', async () => {
  const w = world();
  const { c } = w.coordinator();
  await commit(c, 'g-del', 0, 3);
  assert.equal(await c.deleteGroup('g-del'), ErrorCode.NONE);
  assert.equal(await c.deleteGroup('g-del'), ErrorCode.GROUP_ID_NOT_FOUND);
  c.close();
  const { c: again } = w.coordinator();
  assert.equal(offsetOf(again, 'g-del', 0), -1);
  assert.deepEqual(again.listGroups([]), []);
  again.close();
});

test('issue 9: a state too large for one Raft snapshot message is saved but keeps its log', async () => {
  const w = world({ ...defaultOffsetsFollowerLimits, snapshotBytesMax: 64 });
  const { c, partitions, followers } = w.coordinator();
  const p = offsetsPartitionFor('g-big', PARTITIONS);
  for (let i = 0; i < 20; i++) await commit(c, 'g-big', i % 3, i);
  assert.equal(await snapshot(followers, partitions, 10), 1);
  assert.equal(w.saved.get(p)!.coveredOffset, 20, 'the snapshot is written (a restart uses it)');
  assert.equal(partitions[p].logStartOffset, 0, 'the log stays: a replica behind the log start could not be sent the state');
  c.close();
});

test('a stored snapshot behind the log start: the partition is not served rather than served without the missing records', async () => {
  const w = world();
  const { c, partitions, followers } = w.coordinator();
  const p = offsetsPartitionFor('g-gap', PARTITIONS);
  for (let i = 0; i < 20; i++) await commit(c, 'g-gap', 0, i);
  assert.equal(await snapshot(followers, partitions, 10), 1);
  for (let i = 20; i < 40; i++) await commit(c, 'g-gap', 0, i);
  c.close();
  // Records between the snapshot and the new log start are gone (say, runnel.db restored from an old backup).
  w.logs[p].deleteRecordsBefore(30);
  const { c: again } = w.coordinator();
  assert.equal(again.fetchOffsets('g-gap', null).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const elsewhere = ['a', 'b', 'c', 'd', 'e'].find((g) => offsetsPartitionFor(g, PARTITIONS) !== p)!;
  assert.equal(again.coordinatorError(elsewhere), ErrorCode.NONE, 'the other partitions are served');
  again.close();
});

test('issue 9 (failover): a coordinator reads a backlog over several event-loop turns and answers COORDINATOR_LOAD_IN_PROGRESS until it has read it all', async () => {
  // A new coordinator whose state lags (a replica restarted shortly before it was elected) must
  // not read the backlog in one turn: that blocked the Raft heartbeats for 1-2 s. As Kafka, the
  // groups answer COORDINATOR_LOAD_IN_PROGRESS while the partition loads.
  const LOAD_BYTES_PER_TURN = 4096;
  // The followers' own steps read one 1 KiB chunk per turn (their clock jumps a second per reading).
  let clockMs = 0;
  const w = world({ ...defaultOffsetsFollowerLimits, readBytesMax: 1024 }, { loadBytesPerTurnMax: LOAD_BYTES_PER_TURN }, () => (clockMs += 1000));
  const { c, partitions } = w.coordinator();
  const p = offsetsPartitionFor('g-load', PARTITIONS);
  const COMMITS = 300;
  for (let i = 0; i < COMMITS; i++) await commit(c, 'g-load', i % 3, i);
  c.close();
  const backlogBytes = partitions[p].log.read(0, Number.MAX_SAFE_INTEGER, partitions[p].highWatermark).records.length;
  assert.ok(backlogBytes > 4 * LOAD_BYTES_PER_TURN, `a backlog of ${backlogBytes} bytes`);

  // A restart without a snapshot: the new coordinator has all 300 commits to read.
  const { c: again } = w.coordinator();
  assert.equal(again.coordinatorError('g-load'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'loading right after loadAll');
  assert.equal(again.fetchOffsets('g-load', [{ name: 't', partitionIndexes: [0] }]).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal((await commit(again, 'g-load', 0, 999))[0].partitions[0].errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'no commit while loading');
  let turns = 0;
  while (again.coordinatorError('g-load') !== ErrorCode.NONE && turns < 1_000) {
    await new Promise((resolve) => setImmediate(resolve));
    turns++;
  }
  assert.equal(again.coordinatorError('g-load'), ErrorCode.NONE, 'loaded');
  assert.ok(turns >= 3, `loaded after ${turns} event-loop turns`);
  assert.equal(offsetOf(again, 'g-load', 0), 297);
  assert.equal(offsetOf(again, 'g-load', 1), 298);
  assert.equal(offsetOf(again, 'g-load', 2), 299);
  again.close();
});

test('issue 9 (failover): a partition unloaded while it loads (leadership moved on) is not served when the load would have finished', async () => {
  const w = world({ ...defaultOffsetsFollowerLimits, readBytesMax: 1024 }, { loadBytesPerTurnMax: 4096 });
  const { c } = w.coordinator();
  const p = offsetsPartitionFor('g-unload', PARTITIONS);
  for (let i = 0; i < 300; i++) await commit(c, 'g-unload', 0, i);
  c.close();
  const { c: again } = w.coordinator();
  assert.equal(again.coordinatorError('g-unload'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  again.unloadPartition(p);
  for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(again.coordinatorError('g-unload'), ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the stopped load did not mark the partition loaded');
  assert.deepEqual(
    again
      .listGroups([])
      .map((g) => g.groupId)
      .filter((g) => g === 'g-unload'),
    [],
    'nor installed its groups',
  );
  again.close();
});

test("issue 9 (failover): a follow step applies batches for up to followStepMsMax of its turn, not one read, so a busy broker's state keeps up", async () => {
  // On the coordinator, which encodes, appends and replicates every commit, event-loop turns took
  // ~50 ms under load; one 64 KiB read per turn applied 20,000 records/s against 77,000 committed.
  const w = world();
  const { c } = w.coordinator();
  const p = offsetsPartitionFor('g-step', PARTITIONS);
  for (let i = 0; i < 50; i++) await commit(c, 'g-step', 0, i);
  c.close();
  let nowMs = 0;
  // The injected clock moves 1 ms per reading: a 5 ms step ends after a handful of reads.
  const followers = new OffsetsFollowers(
    { load: () => undefined, save: () => undefined },
    pino({ level: 'silent' }),
    { ...defaultOffsetsFollowerLimits, readBytesMax: 1, followStepMsMax: 5 },
    () => nowMs++,
  );
  try {
    const partition = new Partition(OFFSETS_TOPIC, p, w.logs[p]!, 'none');
    const f = followers.follow(p, partition);
    assert.equal(f.coveredOffset, 0);
    await new Promise((resolve) => setImmediate(resolve));
    // readBytesMax 1: each read returns one batch (one commit).
    assert.ok(f.coveredOffset >= 3, `one turn applied ${f.coveredOffset} batches`);
    assert.ok(f.coveredOffset < 50, `one turn is bounded (applied ${f.coveredOffset} of 50 batches)`);
    for (let turn = 0; turn < 100 && f.coveredOffset < partition.highWatermark; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(f.coveredOffset, partition.highWatermark);
  } finally {
    followers.close();
  }
});

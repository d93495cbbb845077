// Coordinator failover in cluster mode over three in-memory Raft replicas of one
// __consumer_offsets partition (issue 9: "__consumer_offsets in cluster mode is replayed in full
// by every new coordinator and never trimmed"). A follower that becomes leader must serve the
// committed offsets without replaying the partition from offset 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { GroupCoordinator, defaultCoordinatorLimits } from '../../../src/broker/group/coordinator.ts';
import { defaultGroupLimits } from '../../../src/broker/group/group.ts';
import { OFFSETS_TOPIC } from '../../../src/broker/group/offsets-topic.ts';
import { OffsetsFollowers, type SnapshotStore } from '../../../src/broker/group/offsets-follower.ts';
import { MetadataState } from '../../../src/metadata/metadata-state.ts';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';

const silent = pino({ level: 'silent' });
const ids = [1, 2, 3];

function metadata(): MetadataState {
  const m = new MetadataState({ clusterId: 'c', brokers: ids.map((nodeId) => ({ nodeId, host: 'h', port: nodeId, rack: null })), topics: [] });
  for (const [name, count] of [
    [OFFSETS_TOPIC, 1],
    ['t', 8],
  ] as const) {
    m.apply({
      type: 'createTopic',
      topic: {
        name,
        topicId: name === 't' ? '1'.repeat(32) : '2'.repeat(32),
        partitionCount: count,
        replicationFactor: 3,
        configs: {},
        assignments: Array.from({ length: count }, () => ids),
        createdAtMs: 0,
      },
    });
  }
  return m;
}

interface Replica {
  id: number;
  host: RaftHost;
  partition: ReplicatedPartition;
  coordinator: GroupCoordinator;
  followers: OffsetsFollowers;
  /** This replica's SQLite group_snapshots, in memory. */
  saved: Map<number, { coveredOffset: number; data: string }>;
  /** Offsets this replica's log was read at (the spy on log.read). */
  reads: number[];
}

function start(hub: MemoryHub): Replica[] {
  const state = metadata();
  return ids.map((id) => {
    const storage = RaftLogStorage.inMemory(`disk-${id}`);
    storage.bootstrap({ voters: ids.map((v) => ({ id: v, storageId: `disk-${v}` })), learners: [] });
    const reads: number[] = [];
    const read = storage.log.read.bind(storage.log);
    storage.log.read = (offset, maxBytes, maxOffsetExclusive) => {
      reads.push(offset);
      return read(offset, maxBytes, maxOffsetExclusive);
    };
    const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(200 + id));
    const transport = hub.connect(
      id,
      ids.filter((o) => o !== id),
      `disk-${id}`,
    );
    const host = new RaftHost({ nodeId: id, transport, logger: silent, tickMs: 5 });
    const partition = new ReplicatedPartition(OFFSETS_TOPIC, 0, storage, id, () => host.kick());
    partition.attach(node);
    // As broker-node wires a replica of __consumer_offsets when it opens.
    const saved = new Map<number, { coveredOffset: number; data: string }>();
    const store: SnapshotStore = { load: (p) => saved.get(p), save: (p, coveredOffset, data) => void saved.set(p, { coveredOffset, data }) };
    const followers = new OffsetsFollowers(store, silent);
    storage.attachState(followers.follow(0, partition));
    host.addGroup(`${OFFSETS_TOPIC}-0`, node, storage, partition);
    const coordinator = new GroupCoordinator(
      {
        nodeId: id,
        metadata: () => state,
        offsetsPartition: (i) => (i === 0 ? partition : undefined),
        isLeader: () => partition.isLeader,
        leaderEpoch: () => partition.leaderEpoch,
        now: () => Date.now(),
        logger: silent,
        offsetsState: (i) => followers.get(i),
      },
      { ...defaultGroupLimits, ...defaultCoordinatorLimits },
    );
    return { id, host, partition, coordinator, followers, saved, reads };
  });
}

/** Ticks every replica, a millisecond apart, until `check` holds (bounded). */
async function until(what: string, check: () => boolean, replicas: Replica[], ticksMax = 3_000): Promise<void> {
  for (let i = 0; i < ticksMax; i++) {
    if (check()) return;
    for (const r of replicas) r.host.tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.fail(`${what}: not reached within ${ticksMax} ticks`);
}

/** Runs `p` while ticking the replicas (a commit completes only when the group commits it). */
async function settle<T>(p: Promise<T>, replicas: Replica[]): Promise<T> {
  let done = false;
  const tracked = p.finally(() => (done = true));
  await until('the request completes', () => done, replicas);
  return tracked;
}

const commit = (c: GroupCoordinator, group: string, partition: number, offset: number) =>
  c.commitOffsets(group, '', null, -1, [
    { name: 't', partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] },
  ]);

const offsetOf = (c: GroupCoordinator, group: string, partition: number) =>
  c.fetchOffsets(group, [{ name: 't', partitionIndexes: [partition] }]).topics[0].partitions[0].committedOffset;

/** Commit n of commitMany: the last value per group and partition wins. */
function assertServesCommits(c: GroupCoordinator, commits: number, where: string): void {
  for (let n = Math.max(0, commits - 24); n < commits; n++) {
    assert.equal(offsetOf(c, `g${n % 3}`, n % 8), n, `g${n % 3}/${n % 8} ${where}`);
  }
}

async function commitMany(replicas: Replica[], leader: Replica, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) {
    const [result] = await settle(commit(leader.coordinator, `g${n % 3}`, n % 8, n), replicas);
    assert.equal(result.partitions[0].errorCode, 0, `commit ${n}`);
  }
}

/** Every replica's follower applies what its replica committed, then each snapshots (and trims). */
async function snapshotAll(replicas: Replica[], recordsMin: number): Promise<void> {
  const live = replicas.filter((r) => r.partition.leaderId !== 0);
  await until('the followers apply every committed record', () => live.every((r) => r.followers.get(0)!.coveredOffset === r.partition.highWatermark), replicas);
  for (const r of replicas) await r.followers.snapshot(recordsMin);
}

async function newLeader(replicas: Replica[], excluded: Replica): Promise<Replica> {
  const others = replicas.filter((r) => r !== excluded);
  await until('a new leader', () => others.some((r) => r.partition.isLeader), replicas);
  const next = others.find((r) => r.partition.isLeader)!;
  // As broker-mode.ts's followOffsetsLeadership: load once the first entry of the term is committed.
  const target = next.partition.logEndOffset;
  await until('the new leader commits its term', () => next.partition.highWatermark >= target, replicas);
  return next;
}

/** Three replicas with an elected leader whose coordinator serves the partition; stopped afterwards. */
async function withReplicas(run: (hub: MemoryHub, replicas: Replica[], leader: Replica) => Promise<void>): Promise<void> {
  const hub = new MemoryHub();
  const replicas = start(hub);
  try {
    await until('a leader', () => replicas.some((r) => r.partition.isLeader), replicas);
    const leader = replicas.find((r) => r.partition.isLeader)!;
    await leader.coordinator.loadPartition(0);
    await run(hub, replicas, leader);
  } finally {
    for (const r of replicas) r.coordinator.close();
    for (const r of replicas) await r.host.close();
  }
}

test('issue 9: a follower that becomes coordinator serves the committed offsets from its own state + the tail, not by replaying from offset 0', () =>
  withReplicas(async (hub, replicas, old) => {
    await commitMany(replicas, old, 0, 300);
    await until('followers apply every commit', () => replicas.every((r) => r.partition.highWatermark === old.partition.highWatermark), replicas);
    await snapshotAll(replicas, 100);
    for (const r of replicas) {
      assert.equal(r.saved.get(0)?.coveredOffset, old.partition.highWatermark, `replica ${r.id} saved a snapshot`);
      assert.equal(r.partition.logStartOffset, old.partition.highWatermark, `replica ${r.id} trimmed its log behind the snapshot`);
    }
    const snapshotCovered = old.partition.highWatermark;
    await commitMany(replicas, old, 300, 310);
    const snapshotEnd = old.partition.highWatermark;
    await until('followers apply the tail', () => replicas.every((r) => r.partition.highWatermark === snapshotEnd), replicas);

    hub.partition(
      [old.id],
      ids.filter((id) => id !== old.id),
    );
    const next = await newLeader(replicas, old);
    next.reads.length = 0;
    await next.coordinator.loadPartition(0);
    assertServesCommits(next.coordinator, 310, 'after failover');
    // What the new coordinator read: only the tail after what its own state already covered.
    assert.ok(
      next.reads.every((offset) => offset >= snapshotCovered),
      `the new coordinator read __consumer_offsets from offset ${Math.min(...next.reads)}, below its snapshot's ${snapshotCovered}`,
    );
  }));

test('issue 9: a replica that missed every commit catches up through a Raft snapshot after the log was trimmed, and as coordinator serves the right offsets', () =>
  withReplicas(async (hub, replicas, leader) => {
    const laggard = replicas.find((r) => r !== leader)!;
    const other = replicas.find((r) => r !== leader && r !== laggard)!;
    hub.partition([laggard.id], [leader.id, other.id]);
    // A group whose only commit is long behind the trim point: only the snapshot can carry it.
    await settle(commit(leader.coordinator, 'early', 7, 77), replicas);
    await commitMany(replicas, leader, 0, 300);
    await until('the other follower applies every commit', () => other.partition.highWatermark === leader.partition.highWatermark, replicas);
    await snapshotAll([leader, other], 100);
    assert.ok(leader.partition.logStartOffset > 0, 'the leader trimmed its log behind the snapshot');

    hub.heal();
    await until('the laggard catches up', () => laggard.partition.highWatermark === leader.partition.highWatermark, replicas);
    assert.ok(
      laggard.saved.get(0)!.coveredOffset >= laggard.partition.logStartOffset,
      'the state that came with the snapshot is saved, covering the new log start',
    );
    assert.equal(
      laggard.partition.logStartOffset,
      leader.partition.logStartOffset,
      "the laggard restarted its log at the leader's log start (InstallSnapshot)",
    );
    await commitMany(replicas, leader, 300, 310);
    await until('the laggard applies the tail', () => laggard.partition.highWatermark === leader.partition.highWatermark, replicas);

    // The laggard becomes the coordinator.
    hub.partition([leader.id], [laggard.id, other.id]);
    await until('a new leader', () => laggard.partition.isLeader || other.partition.isLeader, replicas);
    // transferLeadership() only starts a transfer (Raft §3.10); wait for it to finish, asking
    // again if the other replica still (or again) leads, so newLeader() below finds the laggard.
    await until(
      'leadership moves to the laggard',
      () => {
        if (other.partition.isLeader) other.partition.raft!.transferLeadership(laggard.id);
        return laggard.partition.isLeader;
      },
      replicas,
    );
    const next = await newLeader(replicas, leader);
    assert.equal(next, laggard);
    await laggard.coordinator.loadPartition(0);
    assert.equal(offsetOf(laggard.coordinator, 'early', 7), 77, 'a commit from before the trim point');
    assertServesCommits(laggard.coordinator, 310, 'on the replica that caught up by snapshot');
  }));

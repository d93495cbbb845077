// Issue 11, balancers run by the controller: the pure decisions of the replica-restore and
// replica-spread balancers (src/controller/replica-balance.ts) and the liveness they read
// (broker-liveness.ts). Each test applies the decided commands to the state, as the controller's
// proposals would, and checks the outcome the issue asks for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { goneBrokers, restoreMoves, spreadMoves, type Reassign } from '../../../src/controller/replica-balance.ts';
import { BrokerLiveness } from '../../../src/controller/broker-liveness.ts';

const RESTORE_AFTER_MS = 60_000;

function stateWith(brokers: number[], assignments: number[][]): MetadataState {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const id of brokers)
    state.apply({ type: 'registerBroker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, storageId: `disk-${id}` } });
  const topic: TopicRecord = {
    name: 't',
    topicId: 'a'.repeat(32),
    partitionCount: assignments.length,
    replicationFactor: assignments[0].length,
    configs: {},
    assignments,
    createdAtMs: 0,
  };
  assert.deepEqual(state.apply({ type: 'createTopic', topic }), { ok: true });
  return state;
}

/** Round-robin placement of `partitions` partitions with 3 replicas over brokers 1..n. */
function roundRobin(n: number, partitions: number): number[][] {
  return Array.from({ length: partitions }, (_, p) => [0, 1, 2].map((r) => ((p + r) % n) + 1));
}

/** Applies the moves and completes each reassignment, as the partition leaders would. */
function applyAndComplete(state: MetadataState, moves: Reassign[]): void {
  for (const move of moves) {
    assert.deepEqual(state.apply(move), { ok: true }, `${move.topic}-${move.partition} -> [${move.replicas}]`);
    const topicId = state.topic(move.topic)!.topicId;
    assert.deepEqual(state.apply({ type: 'completeReassignment', topicId, partition: move.partition, replicas: move.replicas }), { ok: true });
  }
}

function replicaCounts(state: MetadataState): Map<number, number> {
  const counts = new Map(state.allBrokers().map((b) => [b.nodeId, 0]));
  for (const t of state.allTopics()) for (const replicas of t.assignments) for (const id of replicas) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

const all = (ids: number[]) => new Set(ids);

test('issue 11 restore: a broker unseen for replica_restore_after_ms is gone; one seen more recently is not', () => {
  const state = stateWith([1, 2, 3, 4], roundRobin(4, 4));
  const lastSeenMs = new Map([
    [1, 100_000],
    [2, 100_000],
    [3, 100_000],
    [4, 100_000 - RESTORE_AFTER_MS + 1],
  ]);
  const input = { state, live: all([1, 2, 3]), lastSeenMs, nowMs: 100_000, inflightMax: 10, restoreAfterMs: RESTORE_AFTER_MS };
  assert.deepEqual(goneBrokers(input), [], 'unseen for less than the limit');
  assert.deepEqual(restoreMoves(input), []);
  assert.deepEqual(goneBrokers({ ...input, nowMs: 100_001 }), [4], 'unseen for exactly the limit');
});

test('issue 11 restore: every partition a gone broker held is back at its replication factor on live brokers', () => {
  const state = stateWith([1, 2, 3, 4], roundRobin(4, 8));
  const lastSeenMs = new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 0],
  ]);
  const moves = restoreMoves({ state, live: all([1, 2, 3]), lastSeenMs, nowMs: RESTORE_AFTER_MS, inflightMax: 100, restoreAfterMs: RESTORE_AFTER_MS });
  assert.equal(moves.length, 6, 'broker 4 held 6 of the 8 partitions');
  for (const move of moves) {
    assert.equal(move.replicas.length, 3);
    assert.ok(!move.replicas.includes(4));
    assert.equal(new Set(move.replicas).size, 3, 'no broker twice');
  }
  applyAndComplete(state, moves);
  for (const replicas of state.topic('t')!.assignments) assert.deepEqual([...replicas].sort(), [1, 2, 3]);
  assert.equal(replicaCounts(state).get(4), 0);
});

test("issue 11 restore: the replacement keeps the gone replica's position, and the least loaded live broker takes it", () => {
  const state = stateWith(
    [1, 2, 3, 4, 5],
    [
      [4, 1, 2],
      [1, 2, 3],
      [1, 2, 3],
    ],
  );
  const lastSeenMs = new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 0],
    [5, 0],
  ]);
  const moves = restoreMoves({ state, live: all([1, 2, 3, 5]), lastSeenMs, nowMs: RESTORE_AFTER_MS, inflightMax: 10, restoreAfterMs: RESTORE_AFTER_MS });
  assert.deepEqual(moves, [{ type: 'alterReassignment', topic: 't', partition: 0, replicas: [5, 1, 2] }]);
});

test('issue 11 restore: a partition whose live replicas are no majority is left alone (no leader could move it)', () => {
  const state = stateWith(
    [1, 2, 3, 4, 5],
    [
      [3, 4, 5],
      [1, 4, 5],
      [1, 2, 4],
    ],
  );
  const lastSeenMs = new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 0],
    [5, 0],
  ]);
  const moves = restoreMoves({ state, live: all([1, 2, 3]), lastSeenMs, nowMs: RESTORE_AFTER_MS, inflightMax: 10, restoreAfterMs: RESTORE_AFTER_MS });
  assert.deepEqual(
    moves.map((m) => m.partition),
    [2],
  );
  assert.deepEqual(moves[0].replicas, [1, 2, 3]);
});

test('issue 11 restore: at most inflightMax reassignments in flight, counting those already started; none twice', () => {
  const state = stateWith([1, 2, 3, 4], roundRobin(4, 8));
  const lastSeenMs = new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 0],
  ]);
  const input = { state, live: all([1, 2, 3]), lastSeenMs, nowMs: RESTORE_AFTER_MS, inflightMax: 2, restoreAfterMs: RESTORE_AFTER_MS };
  const first = restoreMoves(input);
  assert.equal(first.length, 2);
  for (const move of first) assert.deepEqual(state.apply(move), { ok: true });
  assert.deepEqual(restoreMoves(input), [], 'two in flight: the limit is reached, and those two are not proposed again');
});

test('issue 11 restore: a reassignment in flight whose target names the gone broker gets a target without it', () => {
  const state = stateWith([1, 2, 3, 4, 5], [[1, 2, 3]]);
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 2, 4] }), { ok: true });
  const lastSeenMs = new Map([
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 0],
    [5, 0],
  ]);
  const moves = restoreMoves({ state, live: all([1, 2, 3, 5]), lastSeenMs, nowMs: RESTORE_AFTER_MS, inflightMax: 1, restoreAfterMs: RESTORE_AFTER_MS });
  assert.deepEqual(moves, [{ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 2, 5] }], 'changing a target in flight adds nothing in flight');
});

test('issue 11 spread: two brokers join a cluster of three; counts end at most one apart, every partition keeps 3 distinct replicas', () => {
  const state = stateWith([1, 2, 3, 4, 5], roundRobin(3, 12));
  const live = all([1, 2, 3, 4, 5]);
  const lastSeenMs = new Map<number, number>();
  let rounds = 0;
  for (
    let moves = spreadMoves({ state, live, lastSeenMs, nowMs: 0, inflightMax: 3 });
    moves.length > 0;
    moves = spreadMoves({ state, live, lastSeenMs, nowMs: 0, inflightMax: 3 })
  ) {
    assert.ok(moves.length <= 3, 'at most inflightMax per round');
    applyAndComplete(state, moves);
    assert.ok(++rounds < 50, 'converges');
  }
  const counts = [...replicaCounts(state).values()];
  assert.equal(
    counts.reduce((a, b) => a + b),
    36,
  );
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `counts ${counts}`);
  for (const replicas of state.topic('t')!.assignments) assert.equal(new Set(replicas).size, 3);
});

test('issue 11 spread: a replica that is not the preferred leader moves first', () => {
  const state = stateWith(
    [1, 2, 3, 4],
    [
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ],
  );
  const moves = spreadMoves({ state, live: all([1, 2, 3, 4]), lastSeenMs: new Map(), nowMs: 0, inflightMax: 1 });
  assert.equal(moves.length, 1);
  const before = state.topic('t')!.assignments[moves[0].partition];
  assert.equal(moves[0].replicas[0], before[0], 'the preferred leader stays');
  assert.ok(moves[0].replicas.includes(4));
});

test('issue 11 spread: nothing while a broker is down or leaving, or a reassignment in flight fills the limit; balanced is a fixed point', () => {
  const state = stateWith([1, 2, 3, 4], roundRobin(3, 6));
  const base = { state, lastSeenMs: new Map<number, number>(), nowMs: 0, inflightMax: 1 };
  assert.deepEqual(spreadMoves({ ...base, live: all([1, 2, 3]) }), [], 'broker 4 is not alive');
  assert.equal(spreadMoves({ ...base, live: all([1, 2, 3, 4]) }).length, 1);
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: [1, 2, 4] }), { ok: true });
  assert.deepEqual(spreadMoves({ ...base, live: all([1, 2, 3, 4]) }), [], 'one in flight, limit one');
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 't', partition: 0, replicas: null }), { ok: true });
  assert.deepEqual(state.apply({ type: 'leaveBroker', nodeId: 2 }), { ok: true });
  assert.deepEqual(spreadMoves({ ...base, live: all([1, 2, 3, 4]) }), [], 'a broker is leaving: the drain goes first');
  const balanced = stateWith([1, 2, 3], roundRobin(3, 6));
  assert.deepEqual(spreadMoves({ ...base, state: balanced, live: all([1, 2, 3]), inflightMax: 10 }), []);
});

test('issue 11 liveness: a broker is seen while connected; a broker first observed counts as seen then; unregistered ones are forgotten', () => {
  const liveness = new BrokerLiveness();
  liveness.observe([1, 2, 3], all([1, 2]), 1_000);
  assert.equal(liveness.lastSeen().get(3), 1_000, 'first observation: a new controller does not restore at once');
  liveness.observe([1, 2, 3], all([1, 2]), 5_000);
  assert.equal(liveness.lastSeen().get(3), 1_000);
  assert.equal(liveness.lastSeen().get(1), 5_000);
  liveness.observe([1, 2], all([1, 2]), 6_000);
  assert.equal(liveness.lastSeen().has(3), false);
});

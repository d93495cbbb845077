// Issue 11 (reassignment, KIP-455 semantics): the metadata commands that start, change, cancel and
// complete a partition's reassignment, their errors, and their place in snapshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostingReplicas, MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../../src/controller/metadata-group.ts';

const ID_A = 'a'.repeat(32);

function stateWithTopic(): MetadataState {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const id of [1, 2, 3, 4]) {
    state.apply({ type: 'registerBroker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, storageId: `disk-${id}` } });
  }
  const topic: TopicRecord = {
    name: 'a',
    topicId: ID_A,
    partitionCount: 2,
    replicationFactor: 3,
    configs: {},
    assignments: [
      [1, 2, 3],
      [2, 3, 1],
    ],
    createdAtMs: 0,
  };
  assert.deepEqual(state.apply({ type: 'createTopic', topic }), { ok: true });
  return state;
}

test('KIP-455: a target is recorded beside the assignment; the brokers hosting the partition are both', () => {
  const state = stateWithTopic();
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] }), { ok: true });
  assert.deepEqual(state.reassignmentTarget('a', 0), [4, 1, 2]);
  assert.equal(state.reassignmentTarget('a', 1), undefined);
  const topic = state.topic('a')!;
  assert.deepEqual(topic.assignments[0], [1, 2, 3], 'the assignment stays until the move completes');
  assert.deepEqual(hostingReplicas(topic, 0), [4, 1, 2, 3], 'target first, then the replicas being removed');
  assert.deepEqual(hostingReplicas(topic, 1), [2, 3, 1]);
});

test('KIP-455: a null target cancels the reassignment in flight; cancelling none is NO_REASSIGNMENT_IN_PROGRESS', () => {
  const state = stateWithTopic();
  const none = state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: null });
  assert.equal(none.ok === false && none.error, 'NO_REASSIGNMENT_IN_PROGRESS');
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: null }), { ok: true });
  assert.equal(state.reassignmentTarget('a', 0), undefined);
  assert.deepEqual(state.topic('a')!.assignments[0], [1, 2, 3]);
  // Broker 4, which the target added, may be a voter of the group by now: it hosts on until the
  // group's leader records that the group is back to 1, 2, 3.
  assert.deepEqual(state.cancelledReplicas('a', 0), [4]);
  assert.deepEqual(hostingReplicas(state.topic('a')!, 0), [1, 2, 3, 4]);
  const early = state.apply({ type: 'completeReassignment', topicId: state.topic('a')!.topicId, partition: 0, replicas: [1, 2, 3, 4] });
  assert.equal(early.ok === false && early.error, 'NO_REASSIGNMENT_IN_PROGRESS', 'a group that still has broker 4 is not back');
  assert.deepEqual(state.apply({ type: 'completeReassignment', topicId: state.topic('a')!.topicId, partition: 0, replicas: [1, 2, 3] }), { ok: true });
  assert.deepEqual(state.cancelledReplicas('a', 0), []);
  assert.deepEqual(hostingReplicas(state.topic('a')!, 0), [1, 2, 3]);
});

test('KIP-455: brokers a cancel left are cleared by the completion of a later target too, and never named twice', () => {
  const state = stateWithTopic();
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: null });
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 2, 3] });
  assert.deepEqual(hostingReplicas(state.topic('a')!, 0), [4, 2, 3, 1], 'broker 4 once, as a target replica');
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: null });
  assert.deepEqual(state.cancelledReplicas('a', 0), [4]);
  state.apply({ type: 'registerBroker', broker: { nodeId: 5, host: '127.0.0.1', port: 9005, rack: null, storageId: 'disk-5' } });
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [1, 2, 5] }), { ok: true });
  assert.deepEqual(state.apply({ type: 'completeReassignment', topicId: state.topic('a')!.topicId, partition: 0, replicas: [1, 2, 5] }), { ok: true });
  assert.deepEqual(state.cancelledReplicas('a', 0), [], 'the group is exactly the target: broker 4 is no member');
  assert.deepEqual(hostingReplicas(state.topic('a')!, 0), [1, 2, 5]);
});

test('bad reassignments are refused with a clear error and change nothing', () => {
  const state = stateWithTopic();
  const cases: Array<[unknown, string, RegExp]> = [
    [[], 'INVALID_REPLICA_ASSIGNMENT', /must not be empty/],
    [[1, 1, 2], 'INVALID_REPLICA_ASSIGNMENT', /broker 1 is named twice/],
    [[1, 2, 9], 'INVALID_REPLICA_ASSIGNMENT', /broker 9 is not registered/],
    [[1, 2.5], 'INVALID_REPLICA_ASSIGNMENT', /2.5 is not a broker id/],
  ];
  for (const [replicas, error, message] of cases) {
    const result = state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: replicas as number[] });
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error, error);
      assert.match(result.message, message);
    }
  }
  const unknownTopic = state.apply({ type: 'alterReassignment', topic: 'nope', partition: 0, replicas: [1] });
  assert.equal(unknownTopic.ok === false && unknownTopic.error, 'UNKNOWN_TOPIC_OR_PARTITION');
  const unknownPartition = state.apply({ type: 'alterReassignment', topic: 'a', partition: 2, replicas: [1] });
  assert.equal(unknownPartition.ok === false && unknownPartition.error, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(state.reassignmentTarget('a', 0), undefined);
});

test('a target equal to the assignment leaves nothing in flight', () => {
  const state = stateWithTopic();
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [1, 2, 3] }), { ok: true });
  assert.equal(state.reassignmentTarget('a', 0), undefined);
});

test('completion makes the target the assignment, and only the target it reached (a stale completion changes nothing)', () => {
  const state = stateWithTopic();
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  // The leader reached [4, 1, 2], but the operator changed the target meanwhile.
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 2, 3] });
  const stale = state.apply({ type: 'completeReassignment', topicId: ID_A, partition: 0, replicas: [4, 1, 2] });
  assert.equal(stale.ok === false && stale.error, 'NO_REASSIGNMENT_IN_PROGRESS');
  assert.deepEqual(state.topic('a')!.assignments[0], [1, 2, 3]);
  const otherIncarnation = state.apply({ type: 'completeReassignment', topicId: 'b'.repeat(32), partition: 0, replicas: [4, 2, 3] });
  assert.equal(otherIncarnation.ok, false);
  assert.deepEqual(state.apply({ type: 'completeReassignment', topicId: ID_A, partition: 0, replicas: [4, 2, 3] }), { ok: true });
  const topic = state.topic('a')!;
  assert.deepEqual(topic.assignments[0], [4, 2, 3]);
  assert.equal(state.reassignmentTarget('a', 0), undefined);
  // The group exists: no broker founds it again from an empty directory (cluster-replica-manager found()).
  assert.deepEqual(topic.founders![0], ['', '', '']);
  assert.deepEqual(topic.founders![1], ['disk-2', 'disk-3', 'disk-1'], 'other partitions keep their founders');
});

test('targets are part of the snapshot; a snapshot from before them has none in flight', () => {
  const state = stateWithTopic();
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 1, replicas: [2, 3, 4] });
  const restored = new MetadataState(decodeMetadataSnapshot(encodeMetadataSnapshot(state)));
  assert.deepEqual(restored.reassignmentTarget('a', 1), [2, 3, 4]);
  const old = state.snapshot();
  for (const t of old.topics) delete t.targets;
  const fromOld = new MetadataState(old);
  assert.equal(fromOld.reassignmentTarget('a', 1), undefined);
  // And it can start one.
  assert.deepEqual(fromOld.apply({ type: 'alterReassignment', topic: 'a', partition: 1, replicas: [2, 3, 4] }), { ok: true });
});

test('partitions added during a reassignment have none in flight', () => {
  const state = stateWithTopic();
  state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  state.apply({ type: 'createPartitions', name: 'a', assignments: [[3, 4, 1]] });
  assert.equal(state.reassignmentTarget('a', 2), undefined);
  assert.deepEqual(state.reassignmentTarget('a', 0), [4, 1, 2]);
});

test('issue 11 leave: a leaving broker gets no new replicas and cannot be a new target; placement picks the least loaded broker', () => {
  const state = stateWithTopic();
  // Replicas: 1 ×2, 2 ×2, 3 ×2, 4 ×0.
  assert.equal(state.leastLoadedBroker(new Set([1, 2, 3])), 4);
  assert.equal(state.leastLoadedBroker(new Set([4])), 1, 'equal load: the lowest id');
  assert.deepEqual(state.apply({ type: 'leaveBroker', nodeId: 4 }), { ok: true });
  assert.ok(state.isLeaving(4));
  assert.deepEqual(
    state.placementBrokers().map((b) => b.nodeId),
    [1, 2, 3],
  );
  assert.equal(state.leastLoadedBroker(new Set([1, 2, 3])), undefined, 'a leaving broker takes no replica');
  const refused = state.apply({ type: 'alterReassignment', topic: 'a', partition: 0, replicas: [4, 1, 2] });
  assert.equal(refused.ok === false && refused.error, 'INVALID_REPLICA_ASSIGNMENT');
  const unknown = state.apply({ type: 'leaveBroker', nodeId: 9 });
  assert.equal(unknown.ok, false);
});

test('issue 11 leave: a broker is removed only once no partition names it; its old disk cannot register again, a wiped one can', () => {
  const state = stateWithTopic();
  state.apply({ type: 'leaveBroker', nodeId: 3 });
  const early = state.apply({ type: 'removeBroker', nodeId: 3 });
  assert.equal(early.ok, false);
  assert.match((early as { message: string }).message, /still holds 2 partition/);
  for (const [partition, target] of [
    [0, [1, 2, 4]],
    [1, [2, 4, 1]],
  ] as const) {
    state.apply({ type: 'alterReassignment', topic: 'a', partition, replicas: [...target] });
    assert.equal(state.apply({ type: 'removeBroker', nodeId: 3 }).ok, false, 'still named while the move is in flight');
    state.apply({ type: 'completeReassignment', topicId: ID_A, partition, replicas: [...target] });
  }
  assert.deepEqual(state.apply({ type: 'removeBroker', nodeId: 3 }), { ok: true });
  assert.equal(state.broker(3), undefined);
  assert.ok(state.isRemoved(3));
  assert.ok(!state.isLeaving(3));
  // Snapshots keep both marks.
  const restored = new MetadataState(decodeMetadataSnapshot(encodeMetadataSnapshot(state)));
  assert.ok(restored.isRemoved(3));
  const back = state.apply({ type: 'registerBroker', broker: { nodeId: 3, host: '127.0.0.1', port: 9003, rack: null, storageId: 'disk-3' } });
  assert.equal(back.ok, false, 'the removed broker on its old disk');
  assert.deepEqual(state.apply({ type: 'registerBroker', broker: { nodeId: 3, host: '127.0.0.1', port: 9003, rack: null, storageId: 'disk-3b' } }), {
    ok: true,
  });
  assert.ok(!state.isRemoved(3));
});

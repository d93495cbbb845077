import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { topicNameProblem } from '../../../src/metadata/topic-names.ts';

function topic(name: string, partitions = 1): TopicRecord {
  return {
    name,
    topicId: name
      .padEnd(32, '0')
      .slice(0, 32)
      .replace(/[^0-9a-f]/g, 'a'),
    partitionCount: partitions,
    replicationFactor: 1,
    configs: {},
    assignments: Array.from({ length: partitions }, () => [1]),
    createdAtMs: 0,
  };
}

test('Kafka topic name rules: length, legal characters, "." and ".."', () => {
  assert.equal(topicNameProblem('orders.v1_x-y'), null);
  assert.match(topicNameProblem('')!, /empty/);
  assert.match(topicNameProblem('.')!, /cannot be/);
  assert.match(topicNameProblem('..')!, /cannot be/);
  assert.match(topicNameProblem('a/b')!, /characters/);
  assert.match(topicNameProblem('ü')!, /characters/);
  assert.equal(topicNameProblem('x'.repeat(249)), null);
  assert.match(topicNameProblem('x'.repeat(250))!, /limit is 249/);
});

test('createTopic then deleteTopic; duplicates and unknown names are refused', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  assert.deepEqual(state.apply({ type: 'createTopic', topic: topic('a', 3) }), { ok: true });
  const again = state.apply({ type: 'createTopic', topic: topic('a', 3) });
  assert.equal(again.ok, false);
  assert.equal(!again.ok && again.error, 'TOPIC_ALREADY_EXISTS');
  assert.equal(state.topic('a')!.partitionCount, 3);
  assert.deepEqual(state.apply({ type: 'deleteTopic', name: 'a' }), { ok: true });
  const gone = state.apply({ type: 'deleteTopic', name: 'a' });
  assert.equal(!gone.ok && gone.error, 'UNKNOWN_TOPIC_OR_PARTITION');
});

test("topics differing only in '.' and '_' collide, as in Kafka", () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  state.apply({ type: 'createTopic', topic: topic('a.b') });
  const result = state.apply({ type: 'createTopic', topic: topic('a_b') });
  assert.equal(!result.ok && result.error, 'INVALID_TOPIC_EXCEPTION');
});

test('createPartitions appends assignments; snapshots restore the same state', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [{ nodeId: 1, host: 'h', port: 1, rack: null }], topics: [] });
  state.apply({ type: 'createTopic', topic: topic('t', 2) });
  assert.deepEqual(state.apply({ type: 'createPartitions', name: 't', assignments: [[1], [1]] }), { ok: true });
  assert.equal(state.topic('t')!.partitionCount, 4);
  const restored = new MetadataState(state.snapshot());
  assert.deepEqual(restored.snapshot(), state.snapshot());
  assert.equal(restored.topicById(state.topic('t')!.topicId)!.name, 't');
});

test('apply is deterministic: the same commands give the same snapshot', () => {
  const run = () => {
    const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
    for (const name of ['z', 'a', 'm']) state.apply({ type: 'createTopic', topic: topic(name, 2) });
    state.apply({ type: 'deleteTopic', name: 'a' });
    return JSON.stringify(state.snapshot());
  };
  assert.equal(run(), run());
});

test('restore() undoes changes: an unsaved metadata change is not visible afterwards', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  state.apply({ type: 'createTopic', topic: topic('kept') });
  const before = state.snapshot();
  state.apply({ type: 'createTopic', topic: topic('unsaved') });
  state.restore(before);
  assert.equal(state.topic('unsaved'), undefined);
  assert.ok(state.topic('kept'));
  assert.deepEqual(state.snapshot(), before);
  assert.throws(() => state.restore({ ...before, clusterId: 'other' }), /cannot restore/);
});

test('issue 11 (unsafe recovery): recoverAssignment makes the survivors the assignment and leaves no founders; bad input changes nothing', () => {
  const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, host: 'h', port: nodeId, rack: null, storageId: `s${nodeId}` }));
  const state = new MetadataState({ clusterId: 'c', brokers, topics: [] });
  state.apply({
    type: 'createTopic',
    topic: {
      ...topic('t', 2),
      replicationFactor: 3,
      assignments: [
        [1, 2, 3],
        [2, 3, 1],
      ],
    },
  });
  const id = state.topic('t')!.topicId;
  assert.deepEqual(state.topic('t')!.founders![1], ['s2', 's3', 's1']);
  for (const replicas of [[], [4], [1, 1], 'x' as unknown as number[]]) {
    const r = state.apply({ type: 'recoverAssignment', topicId: id, partition: 1, replicas });
    assert.equal(!r.ok && r.error, 'INVALID_REQUEST', JSON.stringify(replicas));
  }
  const other = state.apply({ type: 'recoverAssignment', topicId: 'f'.repeat(32), partition: 1, replicas: [1] });
  assert.equal(!other.ok && other.error, 'UNKNOWN_TOPIC_OR_PARTITION', 'another incarnation');
  assert.deepEqual(state.topic('t')!.assignments[1], [2, 3, 1]);
  assert.deepEqual(state.apply({ type: 'recoverAssignment', topicId: id, partition: 1, replicas: [1] }), { ok: true });
  assert.deepEqual(state.topic('t')!.assignments, [[1, 2, 3], [1]]);
  // A lost broker back with an empty directory must not found the group again.
  assert.deepEqual(state.topic('t')!.founders![1], ['']);
  assert.deepEqual(new MetadataState(state.snapshot()).snapshot(), state.snapshot());
});

// Issue 11: GET /status shows the reassignments in flight (src/http/reassignments.ts), from the
// applied metadata: the assignment, the target, and the brokers added and removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { reassignmentsInFlight } from '../../../src/http/reassignments.ts';

test('issue 11: reassignments in flight are listed with the brokers added and removed; a completed one is gone', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const id of [1, 2, 3, 4])
    state.apply({ type: 'registerBroker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, storageId: `disk-${id}` } });
  const topic: TopicRecord = {
    name: 'b',
    topicId: 'b'.repeat(32),
    partitionCount: 2,
    replicationFactor: 3,
    configs: {},
    assignments: [
      [1, 2, 3],
      [2, 3, 1],
    ],
    createdAtMs: 0,
  };
  state.apply({ type: 'createTopic', topic });
  assert.deepEqual(reassignmentsInFlight(state), { reassignments: [], reassigningPartitions: 0 });
  assert.deepEqual(state.apply({ type: 'alterReassignment', topic: 'b', partition: 1, replicas: [4, 3, 1] }), { ok: true });
  assert.deepEqual(reassignmentsInFlight(state), {
    reassignments: [{ topic: 'b', partition: 1, replicas: [2, 3, 1], target: [4, 3, 1], adding: [4], removing: [2] }],
    reassigningPartitions: 1,
  });
  state.apply({ type: 'completeReassignment', topicId: topic.topicId, partition: 1, replicas: [4, 3, 1] });
  assert.deepEqual(reassignmentsInFlight(state), { reassignments: [], reassigningPartitions: 0 });
});

test('issue 11: a cancel still removing the broker its target added is listed until the group is back', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const id of [1, 2, 3, 4])
    state.apply({ type: 'registerBroker', broker: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, storageId: `disk-${id}` } });
  const topicId = 'c'.repeat(32);
  state.apply({
    type: 'createTopic',
    topic: { name: 'c', topicId, partitionCount: 1, replicationFactor: 3, configs: {}, assignments: [[1, 2, 3]], createdAtMs: 0 },
  });
  state.apply({ type: 'alterReassignment', topic: 'c', partition: 0, replicas: [1, 2, 4] });
  state.apply({ type: 'alterReassignment', topic: 'c', partition: 0, replicas: null });
  assert.deepEqual(reassignmentsInFlight(state), {
    reassignments: [{ topic: 'c', partition: 0, replicas: [1, 2, 3], target: [1, 2, 3], adding: [], removing: [4] }],
    reassigningPartitions: 1,
  });
  state.apply({ type: 'completeReassignment', topicId, partition: 0, replicas: [1, 2, 3] });
  assert.deepEqual(reassignmentsInFlight(state), { reassignments: [], reassigningPartitions: 0 });
});

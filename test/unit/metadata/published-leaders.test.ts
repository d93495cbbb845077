// Issue 11, "every broker answers Metadata for every partition": the publishLeaders command of the
// metadata state machine, which records each partition's leader and leader epoch (its Raft term)
// so that brokers hosting no replica can name it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, PUBLISHED_LEADERS_PER_COMMAND_MAX, type MetadataCommand, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../../src/controller/metadata-group.ts';

const ID_A = 'a'.repeat(32);
const ID_B = 'b'.repeat(32);

function topic(name: string, topicId: string, partitions: number): TopicRecord {
  return {
    name,
    topicId,
    partitionCount: partitions,
    replicationFactor: 2,
    configs: {},
    assignments: Array.from({ length: partitions }, () => [1, 2]),
    createdAtMs: 0,
  };
}

function stateWithTopic(): MetadataState {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  assert.deepEqual(state.apply({ type: 'createTopic', topic: topic('a', ID_A, 2) }), { ok: true });
  return state;
}

test('issue 11: a published leader is recorded per partition; a higher epoch replaces it', () => {
  const state = stateWithTopic();
  assert.equal(state.publishedLeader('a', 0), undefined, 'nothing published yet');
  assert.deepEqual(state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 1, leaderId: 2, leaderEpoch: 3 }] }), { ok: true });
  assert.equal(state.publishedLeader('a', 0), undefined);
  assert.deepEqual(state.publishedLeader('a', 1), { leaderId: 2, leaderEpoch: 3 });
  state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 1, leaderId: 1, leaderEpoch: 5 }] });
  assert.deepEqual(state.publishedLeader('a', 1), { leaderId: 1, leaderEpoch: 5 });
});

test('issue 11: a publication with an epoch below (or equal to) the recorded one is stale and ignored', () => {
  const state = stateWithTopic();
  state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 7 }] });
  // A leader of term 6 proposed before the one of term 7, and its entry applies after it.
  assert.deepEqual(state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 2, leaderEpoch: 6 }] }), { ok: true });
  assert.deepEqual(state.publishedLeader('a', 0), { leaderId: 1, leaderEpoch: 7 });
  // Raft has one leader per term: a second claim for term 7 does not replace the first.
  state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 2, leaderEpoch: 7 }] });
  assert.deepEqual(state.publishedLeader('a', 0), { leaderId: 1, leaderEpoch: 7 });
});

test('issue 11: publications for another incarnation, a missing partition or with bad fields are skipped, never a crash', () => {
  const state = stateWithTopic();
  const before = state.snapshotJson();
  const bad = [
    { topicId: ID_B, partition: 0, leaderId: 1, leaderEpoch: 1 }, // no topic has this id (deleted, created again)
    { topicId: ID_A, partition: 2, leaderId: 1, leaderEpoch: 1 }, // beyond the partition count
    { topicId: ID_A, partition: -1, leaderId: 1, leaderEpoch: 1 },
    { topicId: ID_A, partition: 0, leaderId: 0, leaderEpoch: 1 }, // 0 is "no leader" in Raft
    { topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 1.5 },
    { topicId: ID_A, partition: '0', leaderId: 1, leaderEpoch: 1 },
    null,
    'x',
  ];
  assert.deepEqual(state.apply({ type: 'publishLeaders', leaders: bad } as unknown as MetadataCommand), { ok: true });
  assert.equal(state.snapshotJson(), before, 'nothing recorded');
  for (const leaders of [null, 'x', Array.from({ length: PUBLISHED_LEADERS_PER_COMMAND_MAX + 1 }, () => bad[0])]) {
    const refused = state.apply({ type: 'publishLeaders', leaders } as unknown as MetadataCommand);
    assert.equal(!refused.ok && refused.error, 'INVALID_REQUEST');
  }
  // A command this version does not know (a newer broker's) is refused, not a crash.
  const unknown = state.apply({ type: 'fromTheFuture' } as unknown as MetadataCommand);
  assert.equal(!unknown.ok && unknown.error, 'INVALID_REQUEST');
});

test('issue 11: a deleted topic takes its published leaders along; its new incarnation starts without', () => {
  const state = stateWithTopic();
  state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 4 }] });
  state.apply({ type: 'deleteTopic', name: 'a' });
  // A proposer must not be able to smuggle leaders in with a topic.
  const again = { ...topic('a', ID_B, 2), leaders: [{ leaderId: 2, leaderEpoch: 99 }, null] };
  state.apply({ type: 'createTopic', topic: again });
  assert.equal(state.publishedLeader('a', 0), undefined);
  // The old incarnation's publication, applied late, does not land on the new one.
  state.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 5 }] });
  assert.equal(state.publishedLeader('a', 0), undefined);
});

test('issue 11: published leaders are in the metadata snapshot and survive its round trip; older snapshots have none', () => {
  const state = stateWithTopic();
  state.apply({ type: 'createPartitions', name: 'a', assignments: [[2, 1]] });
  state.apply({
    type: 'publishLeaders',
    leaders: [
      { topicId: ID_A, partition: 0, leaderId: 2, leaderEpoch: 9 },
      { topicId: ID_A, partition: 2, leaderId: 1, leaderEpoch: 3 },
    ],
  });
  const restored = new MetadataState({ clusterId: '', brokers: [], topics: [] });
  restored.restore(decodeMetadataSnapshot(encodeMetadataSnapshot(state)), false);
  assert.deepEqual(restored.publishedLeader('a', 0), { leaderId: 2, leaderEpoch: 9 });
  assert.equal(restored.publishedLeader('a', 1), undefined);
  assert.deepEqual(restored.publishedLeader('a', 2), { leaderId: 1, leaderEpoch: 3 });
  assert.equal(restored.snapshotJson(), state.snapshotJson());
  // Stale-epoch rule holds after the restore too.
  restored.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 8 }] });
  assert.deepEqual(restored.publishedLeader('a', 0), { leaderId: 2, leaderEpoch: 9 });

  // A snapshot from before the field, and one whose record is damaged, answer "not known".
  const old = JSON.parse(state.snapshotJson());
  delete old.topics[0].leaders;
  const fromOld = new MetadataState(old);
  assert.equal(fromOld.publishedLeader('a', 0), undefined);
  const damaged = JSON.parse(state.snapshotJson());
  damaged.topics[0].leaders = [{ leaderId: 'x', leaderEpoch: 1 }, 7];
  const fromDamaged = new MetadataState(damaged);
  assert.equal(fromDamaged.publishedLeader('a', 0), undefined);
  assert.equal(fromDamaged.publishedLeader('a', 1), undefined);
  fromDamaged.apply({ type: 'publishLeaders', leaders: [{ topicId: ID_A, partition: 0, leaderId: 1, leaderEpoch: 2 }] });
  assert.deepEqual(fromDamaged.publishedLeader('a', 0), { leaderId: 1, leaderEpoch: 2 });
});

// issue 11 (join): the metadata group's membership reconciler. One single-server change at a time
// (Raft thesis §4.1): identity replacements first, then absent brokers join as learners, then a
// caught-up learner is promoted while the voters are fewer than metadata_voters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextMetadataChange, PROMOTE_LAG_ENTRIES_MAX, type MetadataMembershipInput } from '../../../src/controller/metadata-membership.ts';
import type { FollowerStatus } from '../../../src/raft/node.ts';

const m = (id: number, storageId = `disk-${id}`) => ({ id, storageId });

function follower(id: number, over: Partial<FollowerStatus> = {}): FollowerStatus {
  return { id, match: 100, next: 101, state: 'replicate', recentActive: true, identityOk: true, storageId: `disk-${id}`, lag: 0, ...over };
}

/** Leader 1 of voters 1..3; brokers 1..3 registered and connected; metadata_voters 3. */
function input(over: Partial<MetadataMembershipInput> & { voters?: number[]; learners?: number[]; progress?: FollowerStatus[] } = {}): MetadataMembershipInput {
  const voters = over.voters ?? [1, 2, 3];
  const learners = over.learners ?? [];
  const ids = [...voters, ...learners];
  return {
    status: {
      id: 1,
      config: { voters: voters.map((id) => m(id)), learners: learners.map((id) => m(id)) },
      progress: over.progress ?? ids.map((id) => follower(id)),
    },
    wanted: over.wanted ?? ids,
    announced: over.announced ?? new Map(ids.map((id) => [id, `disk-${id}`])),
    metadataVoters: over.metadataVoters ?? 3,
    replacementFor: over.replacementFor ?? (() => undefined),
  };
}

test('a group as wanted needs no change', () => {
  assert.equal(nextMetadataChange(input()), null);
});

test('a registered broker that is connected and no member joins as a learner, under the disk its handshake announced', () => {
  const step = nextMetadataChange(
    input({
      wanted: [1, 2, 3, 4],
      announced: new Map([
        [2, 'disk-2'],
        [3, 'disk-3'],
        [4, 'disk-4'],
      ]),
    }),
  );
  assert.deepEqual(step, { change: { type: 'addLearner', nodeId: 4, storageId: 'disk-4' }, why: 'join' });
});

test('a registered broker that is not connected is not added (nothing vouches for its disk)', () => {
  assert.equal(nextMetadataChange(input({ wanted: [1, 2, 3, 4] })), null);
});

test('with voters at metadata_voters a caught-up learner stays a learner', () => {
  assert.equal(nextMetadataChange(input({ learners: [4] })), null);
});

test('below metadata_voters the lowest caught-up learner is promoted; one that lags, is inactive or answers under another identity is not', () => {
  const base = { learners: [4, 5], metadataVoters: 4 };
  assert.deepEqual(nextMetadataChange(input(base)), { change: { type: 'addVoter', nodeId: 4, storageId: 'disk-4' }, why: 'promote' });
  const lagging = [1, 2, 3].map((id) => follower(id)).concat(follower(4, { lag: PROMOTE_LAG_ENTRIES_MAX + 1 }), follower(5));
  assert.deepEqual(nextMetadataChange(input({ ...base, progress: lagging }))?.change, { type: 'addVoter', nodeId: 5, storageId: 'disk-5' });
  const inactive = [1, 2, 3].map((id) => follower(id)).concat(follower(4, { recentActive: false }), follower(5, { lag: 1000 }));
  assert.equal(nextMetadataChange(input({ ...base, progress: inactive })), null);
  const otherDisk = [1, 2, 3].map((id) => follower(id)).concat(follower(4, { storageId: '' }), follower(5, { storageId: 'disk-9/0000abcd' }));
  assert.equal(nextMetadataChange(input({ ...base, progress: otherDisk })), null);
});

test('a single founder with metadata_voters 3 grows to three voters as brokers join: learner first, then voter', () => {
  // Broker 2 joined and is connected: learner.
  let step = nextMetadataChange(input({ voters: [1], wanted: [1, 2], announced: new Map([[2, 'disk-2']]) }));
  assert.deepEqual(step?.change, { type: 'addLearner', nodeId: 2, storageId: 'disk-2' });
  // Caught up: voter.
  step = nextMetadataChange(input({ voters: [1], learners: [2] }));
  assert.deepEqual(step?.change, { type: 'addVoter', nodeId: 2, storageId: 'disk-2' });
});

test('identity first: a member answering under a new identity of its announced disk is removed, naming the new one, before anyone joins or is promoted', () => {
  const progress = [follower(1), follower(2, { storageId: 'disk-2/00c0ffee' }), follower(3), follower(4)];
  const step = nextMetadataChange(
    input({
      learners: [4],
      metadataVoters: 4,
      wanted: [1, 2, 3, 4, 5],
      announced: new Map([
        [2, 'disk-2'],
        [3, 'disk-3'],
        [4, 'disk-4'],
        [5, 'disk-5'],
      ]),
      progress,
    }),
  );
  assert.deepEqual(step, { change: { type: 'removeNode', nodeId: 2, storageId: 'disk-2/00c0ffee' }, why: 'identity' });
  // An identity that does not belong to the announced disk is never used.
  const foreign = [follower(1), follower(2, { storageId: 'disk-9/00c0ffee' }), follower(3)];
  assert.equal(nextMetadataChange(input({ progress: foreign })), null);
});

test('a member removed for a new identity comes back as a learner under the identity the removal named', () => {
  const announced = new Map([
    [2, 'disk-2'],
    [3, 'disk-3'],
  ]);
  const step = nextMetadataChange(input({ voters: [1, 3], wanted: [1, 2, 3], announced, replacementFor: (id) => (id === 2 ? 'disk-2/00c0ffee' : undefined) }));
  assert.deepEqual(step?.change, { type: 'addLearner', nodeId: 2, storageId: 'disk-2/00c0ffee' });
});

test('the leader never changes itself', () => {
  assert.equal(nextMetadataChange(input({ voters: [2, 3], wanted: [1, 2, 3] })), null);
});

// issue 11 item "leave": partitions move, then the broker leaves the metadata group, then it stops.
// Two of three voters leaving at once (the grow/shrink test) must not leave the group without a
// quorum: learners are promoted in their place while the departed voters are still there, so the
// live voters never fall below metadata_voters during the removals.
test('departed voters do not count towards metadata_voters: a learner is promoted before they are removed', () => {
  const departed = new Set([2, 3]);
  const wanted = [1, 4, 5];
  const step = nextMetadataChange({ ...input({ learners: [4, 5], wanted }), departed: (id) => departed.has(id) });
  assert.deepEqual(step, { change: { type: 'addVoter', nodeId: 4, storageId: 'disk-4' }, why: 'promote' });
  const next = nextMetadataChange({ ...input({ voters: [1, 2, 3, 4], learners: [5], wanted }), departed: (id) => departed.has(id) });
  assert.deepEqual(next?.change, { type: 'addVoter', nodeId: 5, storageId: 'disk-5' });
  assert.equal(
    nextMetadataChange({ ...input({ voters: [1, 2, 3, 4, 5], wanted }), departed: (id) => departed.has(id) }),
    null,
    'three live voters: the removals go next',
  );
});

test('a departed learner is never promoted', () => {
  const step = nextMetadataChange({ ...input({ voters: [1, 2], learners: [4, 5], wanted: [1, 2, 5] }), departed: (id) => id === 4 });
  assert.deepEqual(step?.change, { type: 'addVoter', nodeId: 5, storageId: 'disk-5' });
});

// Issue 11 (reassignment): the partition group's reconciler picks the one next membership change
// that moves the group towards the wanted replicas. Each test names the rule it checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RaftStatus } from '../../../src/raft/index.ts';
import { nextReconcileStep, type ReconcileInput } from '../../../src/partition/partition-reconciler.ts';

const disk = (id: number) => `disk-${id}`;

interface Follower {
  id: number;
  match: number;
  active?: boolean;
  answers?: string;
}

/** A leader's status: node `self` leading `voters` (+ `learners`), all under their disk ids. */
function leaderStatus(opts: {
  self?: number;
  voters: number[];
  learners?: number[];
  commit?: number;
  configIndex?: number;
  followers?: Follower[];
}): RaftStatus {
  const self = opts.self ?? 1;
  const commit = opts.commit ?? 100;
  const members = [...opts.voters, ...(opts.learners ?? [])];
  const followers: Follower[] = opts.followers ?? members.filter((id) => id !== self).map((id) => ({ id, match: commit }));
  return {
    id: self,
    state: 'leader',
    term: 3,
    vote: self,
    lead: self,
    commit,
    applied: commit,
    firstIndex: 1,
    lastIndex: commit,
    leadTransferee: 0,
    storageId: disk(self),
    config: { voters: opts.voters.map((id) => ({ id, storageId: disk(id) })), learners: (opts.learners ?? []).map((id) => ({ id, storageId: disk(id) })) },
    configIndex: opts.configIndex ?? 10,
    progress: followers.map((f) => ({
      id: f.id,
      match: f.match,
      next: f.match + 1,
      state: 'replicate',
      recentActive: f.active ?? true,
      identityOk: (f.answers ?? disk(f.id)) === disk(f.id),
      storageId: f.answers ?? disk(f.id),
      lag: commit - f.match,
    })),
    forwards: { sent: 0, appended: 0, dropped: 0 },
  } as RaftStatus;
}

function input(status: RaftStatus, wanted: number[], extra: Partial<ReconcileInput> = {}): ReconcileInput {
  return {
    status,
    wanted,
    reassigning: true,
    announced: new Map([1, 2, 3, 4, 5].map((id) => [id, disk(id)])),
    replacementFor: () => undefined,
    learnerLagEntriesMax: 10,
    ...extra,
  };
}

test('only the leader acts, and never while a configuration change is uncommitted (Raft thesis §4.1: one server at a time)', () => {
  const follower = { ...leaderStatus({ voters: [1, 2, 3] }), state: 'follower' } as RaftStatus;
  assert.equal(nextReconcileStep(input(follower, [1, 2, 4])).kind, 'none');
  const pending = leaderStatus({ voters: [1, 2, 3], configIndex: 101, commit: 100 });
  assert.deepEqual(nextReconcileStep(input(pending, [1, 2, 4])), { kind: 'none', reason: 'a configuration change is not committed yet' });
});

test('a new replica is added as a learner first, under the disk its connection announced (thesis §4.2.1)', () => {
  const step = nextReconcileStep(input(leaderStatus({ voters: [1, 2, 3] }), [1, 2, 4]));
  assert.deepEqual(step.kind === 'change' && step.change, { type: 'addLearner', nodeId: 4, storageId: disk(4) });
  // A broker that is not connected (no announced disk) is not added yet.
  const offline = nextReconcileStep(
    input(leaderStatus({ voters: [1, 2, 3] }), [1, 2, 4], {
      announced: new Map([
        [2, disk(2)],
        [3, disk(3)],
      ]),
    }),
  );
  assert.equal(offline.kind, 'none');
});

test('a learner is promoted only once its match index is within the lag limit of the commit (thesis §4.2.1 catch-up)', () => {
  const behind = leaderStatus({
    voters: [1, 2, 3],
    learners: [4],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 100 },
      { id: 4, match: 50 },
    ],
  });
  const waiting = nextReconcileStep(input(behind, [1, 2, 4]));
  assert.equal(waiting.kind, 'none', 'a learner 50 entries behind with a limit of 10 stays a learner');
  const close = leaderStatus({
    voters: [1, 2, 3],
    learners: [4],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 100 },
      { id: 4, match: 90 },
    ],
  });
  const step = nextReconcileStep(input(close, [1, 2, 4]));
  assert.deepEqual(step.kind === 'change' && step.change, { type: 'addVoter', nodeId: 4, storageId: disk(4) });
  // Not heard from lately, or answering under another identity: not promoted.
  const silent = leaderStatus({
    voters: [1, 2, 3],
    learners: [4],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 100 },
      { id: 4, match: 100, active: false },
    ],
  });
  assert.equal(nextReconcileStep(input(silent, [1, 2, 4])).kind, 'none');
});

test('an unwanted voter is removed only once every wanted broker is a voter (thesis §4.1)', () => {
  const learnerStill = leaderStatus({
    voters: [1, 2, 3],
    learners: [4],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 100 },
      { id: 4, match: 0 },
    ],
  });
  const waiting = nextReconcileStep(input(learnerStill, [1, 2, 4]));
  assert.equal(waiting.kind, 'none');
  assert.match((waiting as { reason: string }).reason, /waiting for 4 to become voters before removing 3/);
  const promoted = leaderStatus({ voters: [1, 2, 3, 4] });
  const step = nextReconcileStep(input(promoted, [1, 2, 4]));
  assert.deepEqual(step.kind === 'change' && step.change, { type: 'removeNode', nodeId: 3, storageId: '' });
});

test('the leader hands leadership to a caught-up wanted voter before it is removed (thesis §3.10)', () => {
  const status = leaderStatus({
    self: 1,
    voters: [1, 2, 3, 4],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 100 },
      { id: 4, match: 100 },
    ],
  });
  // 1 and 3 must go: 3 first (the leader stays while it can), then leadership moves to 2 or 4.
  const first = nextReconcileStep(input(status, [2, 4]));
  assert.deepEqual(first.kind === 'change' && first.change, { type: 'removeNode', nodeId: 3, storageId: '' });
  const onlySelf = leaderStatus({
    self: 1,
    voters: [1, 2, 4],
    followers: [
      { id: 2, match: 90 },
      { id: 4, match: 100 },
    ],
  });
  assert.deepEqual(nextReconcileStep(input(onlySelf, [2, 4])), { kind: 'transfer', to: 4, reason: 'the leader itself is not wanted' });
  const noneActive = leaderStatus({
    self: 1,
    voters: [1, 2, 4],
    followers: [
      { id: 2, match: 100, active: false },
      { id: 4, match: 100, active: false },
    ],
  });
  assert.equal(nextReconcileStep(input(noneActive, [2, 4])).kind, 'none');
});

test('a cancelled reassignment removes the learner it added (KIP-455 cancel: back to the original replicas)', () => {
  const status = leaderStatus({ voters: [1, 2, 3], learners: [4] });
  const step = nextReconcileStep(input(status, [1, 2, 3], { reassigning: false }));
  assert.deepEqual(step.kind === 'change' && step.change, { type: 'removeNode', nodeId: 4, storageId: '' });
});

test('the configuration equal to the target completes the reassignment; equal to the assignment does nothing', () => {
  const status = leaderStatus({ voters: [1, 2, 4] });
  assert.deepEqual(nextReconcileStep(input(status, [4, 1, 2])), { kind: 'complete' });
  assert.equal(nextReconcileStep(input(status, [1, 2, 4], { reassigning: false })).kind, 'none');
});

test('a wanted member answering under a new identity of its disk is removed, then added back as a learner (issue 9 item 2)', () => {
  const status = leaderStatus({
    voters: [1, 2, 3],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 0, answers: `${disk(3)}/0badf00d` },
    ],
  });
  const step = nextReconcileStep(input(status, [1, 2, 3], { reassigning: false }));
  assert.deepEqual(step.kind === 'change' && step.change, { type: 'removeNode', nodeId: 3, storageId: `${disk(3)}/0badf00d` });
  const removed = leaderStatus({ voters: [1, 2] });
  const back = nextReconcileStep(input(removed, [1, 2, 3], { reassigning: false, replacementFor: (id) => (id === 3 ? `${disk(3)}/0badf00d` : undefined) }));
  assert.deepEqual(back.kind === 'change' && back.change, { type: 'addLearner', nodeId: 3, storageId: `${disk(3)}/0badf00d` });
  // An identity that is not of the announced disk is never used.
  const foreign = leaderStatus({
    voters: [1, 2, 3],
    followers: [
      { id: 2, match: 100 },
      { id: 3, match: 0, answers: 'other-disk' },
    ],
  });
  assert.equal(nextReconcileStep(input(foreign, [1, 2, 3], { reassigning: false })).kind, 'none');
});

// Which voter a broker that stops cleanly hands a group to (Raft thesis §3.10; issue 9 failover).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handoffTarget } from '../../../src/raft-host/leadership-handoff.ts';
import type { FollowerStatus, RaftStatus } from '../../../src/raft/index.ts';

function follower(id: number, match: number, extra: Partial<FollowerStatus> = {}): FollowerStatus {
  return { id, match, next: match + 1, state: 'replicate', recentActive: true, identityOk: true, storageId: `s${id}`, lag: 0, ...extra };
}

function status(progress: FollowerStatus[], extra: Partial<RaftStatus> = {}): RaftStatus {
  const voters = [1, 2, 3].map((id) => ({ id, storageId: `s${id}` }));
  return {
    id: 1,
    state: 'leader',
    term: 3,
    vote: 1,
    lead: 1,
    commit: 10,
    applied: 10,
    firstIndex: 1,
    lastIndex: 10,
    leadTransferee: 0,
    storageId: 's1',
    config: { voters, learners: [{ id: 4, storageId: 's4' }] },
    configIndex: 1,
    progress,
    forwards: { sent: 0, appended: 0, dropped: 0 },
    fencedDrops: 0,
    ...extra,
  };
}

test('issue 9 handoff: the most caught-up active voter, the lowest id among equals', () => {
  assert.equal(handoffTarget(status([follower(1, 10), follower(2, 8), follower(3, 10)])), 3);
  assert.equal(handoffTarget(status([follower(1, 10), follower(3, 9), follower(2, 9)])), 2);
});

test('issue 9 handoff: never a learner, an inactive follower or one answering from another disk', () => {
  assert.equal(handoffTarget(status([follower(1, 10), follower(4, 10), follower(2, 5)])), 2, 'learner 4 skipped');
  assert.equal(handoffTarget(status([follower(1, 10), follower(2, 10, { recentActive: false }), follower(3, 4)])), 3);
  assert.equal(handoffTarget(status([follower(1, 10), follower(2, 10, { identityOk: false })])), 0);
});

test('issue 9 handoff: nothing to hand over when not leading or alone', () => {
  assert.equal(handoffTarget(status([follower(2, 10)], { state: 'follower' })), 0);
  assert.equal(handoffTarget(status([follower(1, 10)])), 0);
});

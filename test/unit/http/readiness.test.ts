// GET /v1/ready's rule (src/http/readiness.ts, issue 14: "ready = this broker is registered and
// its replicas have caught up"): every cause is named, and a learner that has applied what it
// knows is ready (a broker beyond metadata_voters stays a learner of __metadata for good).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READINESS_REASONS_MAX, readiness } from '../../../src/http/readiness.ts';
import type { GroupStatus } from '../../../src/raft-host/group-status.ts';

function group(name: string, fields: Partial<GroupStatus> = {}): GroupStatus {
  return {
    group: name,
    state: 'follower',
    term: 3,
    leader: 1,
    commit: 10,
    applied: 10,
    firstIndex: 1,
    lastIndex: 10,
    storageId: 's',
    voters: [1, 2, 3],
    learners: [],
    followers: [],
    ...fields,
  };
}

test('issue 14: registered with every group led and applied is ready; a single node has no groups', () => {
  assert.deepEqual(readiness(2, true, [group('__metadata'), group('t-0', { state: 'leader', leader: 2 })]), { ready: true, reasons: [] });
  assert.deepEqual(readiness(1, true, []), { ready: true, reasons: [] });
  assert.deepEqual(readiness(4, true, [group('__metadata', { voters: [1, 2, 3], learners: [4] })]), { ready: true, reasons: [] });
});

test('issue 14: not registered, no leader, or committed entries not applied: not ready, each cause named', () => {
  const answer = readiness(2, false, [group('__metadata', { leader: 0, term: 7 }), group('t-1', { commit: 12, applied: 9 })]);
  assert.equal(answer.ready, false);
  assert.deepEqual(answer.reasons, [
    'broker 2 is not registered in the cluster metadata yet',
    '__metadata: no leader known (term 7)',
    't-1: applied 9 of 12 committed entries',
  ]);
});

test('issue 14: the reasons are bounded, the rest counted', () => {
  const groups = Array.from({ length: READINESS_REASONS_MAX + 5 }, (_, i) => group(`t-${i}`, { leader: 0 }));
  const answer = readiness(1, true, groups);
  assert.equal(answer.reasons.length, READINESS_REASONS_MAX + 1);
  assert.equal(answer.reasons.at(-1), 'and 5 more');
});

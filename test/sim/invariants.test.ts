// The invariant checker must be able to fail: feed it histories that break each rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Invariants, InvariantViolation } from './invariants.ts';
import type { Entry, RaftNode } from '../../src/raft/index.ts';

/** Just enough of a RaftNode for the checker: a term, a commit index and a log of terms. */
function fakeNode(term: number, commit: number, terms: number[]): RaftNode {
  return {
    term,
    commit,
    firstIndex: 1,
    termAt: (i: number) => (i === 0 ? 0 : terms[i - 1]),
  } as unknown as RaftNode;
}

function entry(index: number, term: number, byte: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array([byte]) };
}

test('checker: two leaders in one term violate election safety (Raft §5.2)', () => {
  const inv = new Invariants();
  inv.onLeader(fakeNode(3, 0, []), 1);
  assert.throws(() => inv.onLeader(fakeNode(3, 0, []), 2), InvariantViolation);
});

test('checker: different committed terms at one index violate state machine safety (Raft §5.4.3)', () => {
  const inv = new Invariants();
  inv.onCommit(fakeNode(2, 2, [1, 2]), 1, 0);
  assert.throws(() => inv.onCommit(fakeNode(3, 2, [1, 3]), 2, 0), InvariantViolation);
});

test('checker: a commit index that goes back is caught', () => {
  const inv = new Invariants();
  assert.throws(() => inv.onCommit(fakeNode(2, 1, [1, 2]), 1, 2), InvariantViolation);
});

test('checker: a new leader missing a committed entry violates leader completeness (Raft §5.4)', () => {
  const inv = new Invariants();
  inv.onCommit(fakeNode(2, 2, [1, 2]), 1, 0);
  assert.throws(() => inv.onLeader(fakeNode(3, 1, [1, 1]), 2), InvariantViolation);
});

test('checker: same index and term with different content violates log matching (Raft §5.3)', () => {
  const inv = new Invariants();
  inv.onPersist(fakeNode(1, 0, [1]), 1, [entry(1, 1, 7)]);
  assert.throws(() => inv.onPersist(fakeNode(1, 0, [1]), 2, [entry(1, 1, 8)]), InvariantViolation);
});

test('checker: diverging applied state is caught', () => {
  const inv = new Invariants();
  inv.onApply(1, entry(1, 1, 7), 111);
  assert.throws(() => inv.onApply(2, entry(1, 1, 7), 222), InvariantViolation);
});

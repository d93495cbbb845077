import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('thesis §3.10 leadership transfer: an up-to-date follower takes over at once', () => {
  const c = new TestCluster([1, 2, 3], { checkQuorum: true, preVote: true });
  c.elect(1);
  c.propose(1, 'a');
  const term = c.node(1).term;
  assert.ok(c.node(1).transferLeadership(3));
  c.stabilize();
  assert.deepEqual(c.leaders(), [3]);
  assert.equal(c.node(3).term, term + 1, 'TimeoutNow skips pre-vote and the leader lease');
});

test('thesis §3.10: a lagging target is caught up first; proposals are refused meanwhile', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(3);
  for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
  c.isolated.delete(3);
  assert.ok(c.node(1).transferLeadership(3));
  assert.deepEqual(c.node(1).propose(new Uint8Array([1])), { ok: false, reason: 'transferring' });
  c.stabilize();
  assert.deepEqual(c.leaders(), [3]);
  assert.deepEqual(c.appliedTexts(3), ['e0', 'e1', 'e2', 'e3', 'e4']);
});

test('thesis §3.10: a transfer that cannot finish is abandoned after an election timeout', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(3);
  assert.ok(c.node(1).transferLeadership(3));
  c.tickAll(11);
  assert.equal(c.node(1).state, 'leader');
  assert.equal(c.node(1).status().leadTransferee, 0);
  assert.equal(c.propose(1, 'ok again').ok, true);
});

test('thesis §6.4 read-index: a leader serves a read at its commit index after a heartbeat quorum', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 'w');
  const commit = c.node(1).commit;
  const before = c.delivered.length;
  assert.ok(c.node(1).readIndex('r1'));
  c.stabilize();
  assert.deepEqual(c.peer(1).readStates, [{ index: commit, context: 'r1' }]);
  assert.ok(c.delivered.slice(before).some((m) => m.type === 'hb' && m.context !== ''));
  assert.equal(c.node(1).lastIndex, commit, 'no log entry was written for the read');
});

test('thesis §6.4 read-index: a deposed leader cut off from the quorum serves no reads', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(1);
  c.elect(2);
  c.propose(2, 'newer');
  assert.ok(c.node(1).readIndex('stale'));
  c.stabilize();
  assert.deepEqual(c.peer(1).readStates, []);
});

test('thesis §6.4 read-index: a follower forwards the read to the leader and gets its commit index', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 'w');
  assert.ok(c.node(3).readIndex('f1'));
  c.stabilize();
  assert.deepEqual(c.peer(3).readStates, [{ index: c.node(1).commit, context: 'f1' }]);
});

test('thesis §6.4: a new leader answers reads only after committing an entry of its term', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.dropIf = (m) => m.type === 'app';
  c.elect(2);
  assert.ok(c.node(2).readIndex('early'));
  c.stabilize();
  assert.deepEqual(c.peer(2).readStates, []);
  c.dropIf = () => false;
  c.tickAll(2);
  assert.equal(c.peer(2).readStates.length, 1);
  assert.equal(c.node(2).termAt(c.peer(2).readStates[0].index), c.node(2).term);
});

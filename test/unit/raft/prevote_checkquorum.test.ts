import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('thesis §9.6 pre-vote: a partitioned node does not raise its term, and does not disrupt on rejoin', () => {
  const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true });
  c.elect(1);
  const term = c.node(1).term;
  c.isolated.add(3);
  c.tickAll(100);
  assert.equal(c.node(3).term, term, 'pre-vote failed quietly: no term inflation');
  assert.equal(c.node(3).state, 'preCandidate');
  c.isolated.delete(3);
  c.tickAll(5);
  assert.deepEqual(c.leaders(), [1]);
  assert.equal(c.node(1).term, term);
});

test('without pre-vote, a rejoining node with an inflated term forces a new election (the problem §9.6 fixes)', () => {
  const c = new TestCluster([1, 2, 3], { preVote: false, checkQuorum: false });
  c.elect(1);
  const term = c.node(1).term;
  c.isolated.add(3);
  c.tickAll(100);
  assert.ok(c.node(3).term > term + 3);
  c.isolated.delete(3);
  c.tickAll(40);
  assert.ok(c.node(1).term > term, 'the old leader had to step down');
});

test('thesis §6.2 check-quorum: a leader that cannot hear a quorum steps down within an election timeout', () => {
  const c = new TestCluster([1, 2, 3], { checkQuorum: true });
  c.elect(1);
  c.isolated.add(1);
  for (let i = 0; i < 10; i++) c.tick(1);
  c.processReadies();
  assert.equal(c.node(1).state, 'leader', 'first round: peers were active');
  for (let i = 0; i < 10; i++) c.tick(1);
  assert.equal(c.node(1).state, 'follower');
});

test('without check-quorum, an isolated leader stays leader (why check-quorum exists)', () => {
  const c = new TestCluster([1, 2, 3], { checkQuorum: false });
  c.elect(1);
  c.isolated.add(1);
  for (let i = 0; i < 50; i++) c.tick(1);
  assert.equal(c.node(1).state, 'leader');
});

test('thesis §4.2.3 stickiness: with check-quorum, followers that hear a leader ignore a higher-term vote request', () => {
  const c = new TestCluster([1, 2, 3], { checkQuorum: true, preVote: false });
  c.elect(1);
  const term = c.node(1).term;
  // Node 3 is cut off long enough to time out and campaign at higher terms.
  c.isolated.add(3);
  c.tickAll(40);
  assert.ok(c.node(3).term > term);
  c.isolated.delete(3);
  c.node(3).campaign();
  c.deliverQueued();
  assert.equal(c.node(2).term, term, 'node 2 ignored the disruptive request');
  assert.equal(c.node(1).state, 'leader');
});

test('pre-vote and check-quorum together: a minority partition cannot elect, the majority side keeps working', () => {
  const c = new TestCluster([1, 2, 3, 4, 5], { checkQuorum: true, preVote: true });
  c.elect(1);
  c.isolated.add(1);
  c.isolated.add(2);
  c.tickAll(60);
  assert.notEqual(c.node(1).state, 'leader', 'old leader stepped down (check-quorum)');
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.ok([3, 4, 5].includes(leaders[0]));
  assert.ok(c.propose(leaders[0], 'majority').ok);
  c.tickAll(2);
  assert.deepEqual(c.appliedTexts(4), ['majority']);
  assert.deepEqual(c.appliedTexts(1), []);
});

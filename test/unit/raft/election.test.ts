import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('Raft §5.2: a candidate with votes from a majority becomes leader, others follow it', () => {
  const c = new TestCluster([1, 2, 3, 4, 5]);
  c.elect(1);
  assert.deepEqual(c.leaders(), [1]);
  for (const id of [2, 3, 4, 5]) {
    assert.equal(c.node(id).lead, 1);
    assert.equal(c.node(id).term, c.node(1).term);
  }
});

test('Raft §5.2: a candidate that reaches only a minority does not become leader', () => {
  const c = new TestCluster([1, 2, 3, 4, 5]);
  c.isolated.add(4);
  c.isolated.add(5);
  c.isolated.add(3);
  c.elect(1);
  assert.deepEqual(c.leaders(), []);
  assert.equal(c.node(1).state, 'candidate');
});

test('Raft §5.2: an election timeout fires within [electionTicks, 2*electionTicks) ticks', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = new TestCluster([1, 2, 3], {}, seed);
    let ticks = 0;
    while (c.node(1).state === 'follower' && ticks < 100) {
      c.tick(1);
      ticks++;
    }
    assert.ok(ticks >= 10 && ticks < 20, `seed ${seed}: election after ${ticks} ticks`);
  }
});

test('Raft §5.2: a node grants at most one vote per term, also across a restart', () => {
  const c = new TestCluster([1, 2, 3]);
  c.isolated.add(3);
  c.elect(1); // node 2 votes for 1 in term 2
  assert.equal(c.node(2).status().vote, 1);
  c.restart(2);
  assert.equal(c.node(2).status().vote, 1, 'the vote is part of the persisted hard state');
  // Node 3 campaigns in the same term 2 (it was isolated, so it is still in term 1).
  c.isolated.delete(3);
  c.node(3).campaign();
  c.deliverQueued();
  c.processReadies();
  const votesFor3 = c.queue.filter((m) => m.type === 'voteResp' && m.to === 3 && m.from === 2 && !m.reject);
  assert.equal(votesFor3.length, 0);
});

test('Raft §5.4.1: a voter refuses a candidate whose log is less up to date', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(3);
  c.propose(1, 'a'); // node 3 misses this entry
  c.isolated.delete(3);
  c.isolated.add(1);
  c.node(3).campaign();
  c.stabilize();
  assert.notEqual(c.node(3).state, 'leader');
  c.node(2).campaign();
  c.stabilize();
  assert.equal(c.node(2).state, 'leader', 'the up-to-date node 2 wins');
});

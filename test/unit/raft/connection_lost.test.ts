// A follower told by its host that the connection to its leader closed (the leader's process
// ended: kill -9, a crash, a clean exit) stops trusting that leader at once instead of waiting
// for a whole election timeout (issue 9: a coordinator failover after 1,000,000 offset commits
// takes under 1 s). The report is a hint: it may be wrong (a connection dropped between two live
// nodes), so it must never depose a leader that a quorum still hears (pre-vote and the lease of
// thesis §9.6 / §4.2.3 keep doing that), and it never touches term or vote by itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../src/raft/index.ts';
import { TestCluster } from './harness.ts';

const ELECTION_TICKS = 10;

function cluster(seed: number): TestCluster {
  const c = new TestCluster([1, 2, 3], { preVote: true, checkQuorum: true, electionTicks: ELECTION_TICKS }, seed);
  c.elect(1);
  c.tickAll(3);
  return c;
}

test('issue 9 failover: followers that lose the connection to their leader elect a new one within an election timeout', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const c = cluster(seed);
    const term = c.node(1).term;
    // The leader's process is gone: nothing it sent is delivered any more, and both followers' hosts saw its connection close.
    c.isolated.add(1);
    c.node(2).reportConnectionLost(1);
    c.node(3).reportConnectionLost(1);
    assert.equal(c.node(2).lead, 0, `seed ${seed}: the follower no longer names the gone leader`);
    // Without the report the first campaign comes after at least ELECTION_TICKS ticks without a heartbeat.
    let ticks = 0;
    while (ticks < ELECTION_TICKS - 1 && c.leaders().filter((id) => id !== 1).length === 0) {
      for (const id of [2, 3]) c.tick(id);
      c.stabilize();
      ticks++;
    }
    const leaders = c.leaders().filter((id) => id !== 1);
    // A tie (both campaign in the same tick) splits the vote; that round then takes a normal timeout.
    if (leaders.length === 0) {
      assert.ok(
        [2, 3].every((id) => c.node(id).state === 'candidate'),
        `seed ${seed}: no leader after ${ticks} ticks, and not a split vote`,
      );
      continue;
    }
    assert.equal(leaders.length, 1, `seed ${seed}`);
    assert.equal(c.node(leaders[0]).term, term + 1, `seed ${seed}: one election, one term`);
  }
});

test('issue 9 failover: most elections after a report finish within an election timeout (ties are rare)', () => {
  let fast = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const c = cluster(seed);
    c.isolated.add(1);
    c.node(2).reportConnectionLost(1);
    c.node(3).reportConnectionLost(1);
    for (let t = 0; t < ELECTION_TICKS - 1; t++) {
      for (const id of [2, 3]) c.tick(id);
      c.stabilize();
    }
    if (c.leaders().some((id) => id !== 1)) fast++;
  }
  assert.ok(fast >= 75, `only ${fast} of 100 elections finished within ${ELECTION_TICKS - 1} ticks`);
});

test('thesis §9.6 / §4.2.3: a wrong report (the leader is alive) does not depose the leader or raise the term', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = cluster(seed);
    const term = c.node(1).term;
    // Only node 2's connection to the leader dropped; node 3 still hears it.
    c.node(2).reportConnectionLost(1);
    c.tickAll(3 * ELECTION_TICKS);
    assert.deepEqual(c.leaders(), [1], `seed ${seed}`);
    assert.equal(c.node(1).term, term, `seed ${seed}: no term inflation`);
    assert.equal(c.node(2).lead, 1, `seed ${seed}: node 2 follows the leader again once it hears from it`);
  }
});

test("a report about a peer that is not this follower's leader changes nothing", () => {
  const c = cluster(1);
  c.node(2).reportConnectionLost(3);
  assert.equal(c.node(2).lead, 1);
  c.node(1).reportConnectionLost(2);
  assert.equal(c.node(1).state, 'leader');
  // Node 3 hears the leader: it is in its lease and ignores early pre-votes for ELECTION_TICKS ticks.
  c.isolated.add(1);
  for (let t = 0; t < ELECTION_TICKS - 1; t++) {
    for (const id of [2, 3]) c.tick(id);
    c.stabilize();
  }
  assert.deepEqual(c.leaders(), [1], 'without a report, nobody campaigns before the election timeout');
});

test('a learner told its leader is gone does not campaign', () => {
  const c = new TestCluster([1, 2], { preVote: true, checkQuorum: true, electionTicks: ELECTION_TICKS });
  c.elect(1);
  c.addPeer(3, new MemoryStorage('s3'));
  const r = c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 3, storageId: 's3' });
  assert.ok(r.ok);
  c.stabilize();
  c.tickAll(3);
  assert.equal(c.node(3).lead, 1);
  c.node(3).reportConnectionLost(1);
  assert.equal(c.node(3).lead, 1, 'a learner keeps its leader: it cannot elect another');
  c.isolated.add(1);
  for (let t = 0; t < 3 * ELECTION_TICKS; t++) c.tick(3);
  assert.equal(c.node(3).state, 'follower');
});

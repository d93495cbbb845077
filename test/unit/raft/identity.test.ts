// Stale identity: each disk carries a storage id; the configuration names each member
// with the storage id it was added with. A node whose disk was wiped comes back under a
// new id and is treated as a non-voter until an operator re-adds it (docs/raft.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../src/raft/index.ts';
import { TestCluster } from './harness.ts';

function wipe(c: TestCluster, id: number, storageId: string): void {
  c.peers.delete(id);
  c.addPeer(id, new MemoryStorage(storageId));
}

test('identity: a wiped node does not vote as its old self, so it cannot elect a second leader in a term', () => {
  const c = new TestCluster([1, 2, 3]);
  c.isolated.add(3);
  c.elect(1); // node 2 voted for 1 in term 2, node 3 missed it
  const term = c.node(1).term;
  wipe(c, 2, 's2-new'); // node 2 forgets its vote
  c.isolated.clear();
  c.isolated.add(1);
  // Node 3 campaigns in the same term; the wiped node 2 would grant it a vote.
  c.peer(3).storage.setHardState({ term: term - 1, vote: 0, commit: c.peer(3).storage.getHardState().commit });
  c.restart(3);
  c.node(3).campaign();
  c.stabilize();
  const grants = c.delivered.filter((m) => m.type === 'voteResp' && m.to === 3 && m.from === 2 && !m.reject);
  assert.ok(grants.length > 0, 'the wiped node did answer yes');
  assert.notEqual(c.node(3).state, 'leader', 'but a vote from an unknown disk does not count');
});

test('identity: acknowledgements from a wiped follower do not count toward commit', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 'a');
  wipe(c, 2, 's2-new');
  c.isolated.add(3);
  const r = c.propose(1, 'b');
  assert.ok(r.ok);
  c.tickAll(5);
  assert.equal(c.node(2).lastIndex >= r.index, true, 'the wiped node caught up by replication');
  assert.ok(c.node(1).commit < r.index, 'yet the leader does not count it');
  const pr = c
    .node(1)
    .status()
    .progress.find((p) => p.id === 2)!;
  assert.equal(pr.identityOk, false);
  assert.equal(c.node(2).isVoter(), false, 'the wiped node knows it is not a voter');
});

test('identity: a member cannot be swapped to a new storage id in one change (two servers at once)', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.tickAll(1);
  const r = c.node(1).proposeConfChange({ type: 'addVoter', nodeId: 2, storageId: 's2-new' });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.reason, 'invalidConfChange');
});

test('identity: after the operator removes the old identity and adds the new one, the node votes and counts again', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  wipe(c, 2, 's2-new');
  c.tickAll(3);
  assert.ok(c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 2, storageId: '' }).ok);
  c.tickAll(3);
  assert.ok(c.node(1).proposeConfChange({ type: 'addVoter', nodeId: 2, storageId: 's2-new' }).ok);
  c.tickAll(3);
  assert.equal(c.node(2).isVoter(), true);
  c.isolated.add(3);
  const r = c.propose(1, 'c');
  assert.ok(r.ok);
  c.tickAll(2);
  assert.ok(c.node(1).commit >= r.index, 'leader + re-added node 2 form a quorum');
});

test('identity: the leader resets its progress for a follower that answers from a new disk', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
  wipe(c, 3, 's3-new');
  c.tickAll(3);
  // Without the reset the leader would ignore the empty node's rejections (they are
  // below the old match) and never resend the log.
  assert.deepEqual(c.appliedTexts(3), ['e0', 'e1', 'e2', 'e3', 'e4']);
});

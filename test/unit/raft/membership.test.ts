import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../src/raft/index.ts';
import { TestCluster } from './harness.ts';

function voters(c: TestCluster, id: number): number[] {
  return c.node(id).status().config.voters.map((m) => m.id);
}

test('learners (thesis §4.2.1): a new node catches up as a non-voter, then is promoted', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  for (let i = 0; i < 5; i++) c.propose(1, `e${i}`);
  c.addPeer(4, new MemoryStorage('s4'));
  assert.ok(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4, storageId: 's4' }).ok);
  c.tickAll(3);
  assert.deepEqual(c.appliedTexts(4), ['e0', 'e1', 'e2', 'e3', 'e4']);
  assert.equal(c.node(4).isVoter(), false);
  // A learner never campaigns, however long it waits.
  c.isolated.add(1);
  c.isolated.add(2);
  c.isolated.add(3);
  for (let i = 0; i < 50; i++) c.tick(4);
  assert.equal(c.node(4).state, 'follower');
  c.isolated.clear();
  c.tickAll(2);
  assert.ok(c.node(1).proposeConfChange({ type: 'addVoter', nodeId: 4, storageId: 's4' }).ok);
  c.tickAll(2);
  assert.deepEqual(voters(c, 1), [1, 2, 3, 4]);
  assert.equal(c.node(4).isVoter(), true);
});

test('learners do not count toward the commit quorum', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.addPeer(4, new MemoryStorage('s4'));
  c.addPeer(5, new MemoryStorage('s5'));
  c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4, storageId: 's4' });
  c.tickAll(2);
  c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5, storageId: 's5' });
  c.tickAll(2);
  c.isolated.add(2);
  c.isolated.add(3);
  const r = c.propose(1, 'x');
  assert.ok(r.ok);
  c.tickAll(2);
  assert.ok(c.node(1).commit < r.index, 'two learners plus the leader are not a quorum of 3 voters');
});

test('thesis §4.1: only one membership change may be uncommitted at a time', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(2);
  c.isolated.add(3);
  assert.ok(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4, storageId: 's4' }).ok);
  const second = c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5, storageId: 's5' });
  assert.deepEqual(second, { ok: false, reason: 'confChangePending' });
});

test('thesis §4.1 fix (raft-dev 2015): a new leader makes no change before committing an entry of its term', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.dropIf = (m) => m.type === 'app';
  c.elect(2);
  assert.equal(c.node(2).state, 'leader');
  const r = c.node(2).proposeConfChange({ type: 'removeNode', nodeId: 3, storageId: '' });
  assert.deepEqual(r, { ok: false, reason: 'confChangePending' });
  c.dropIf = () => false;
  c.tickAll(2);
  assert.ok(c.node(2).proposeConfChange({ type: 'removeNode', nodeId: 3, storageId: '' }).ok);
});

test('Raft §6 (config takes effect when appended): a removed follower is no longer replicated to', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  assert.ok(c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 3, storageId: '' }).ok);
  c.tickAll(2);
  assert.deepEqual(voters(c, 1), [1, 2]);
  c.delivered.length = 0;
  c.propose(1, 'two-node');
  c.tickAll(2);
  assert.equal(c.delivered.filter((m) => m.to === 3).length, 0);
  assert.deepEqual(c.appliedTexts(2), ['two-node']);
});

test('thesis §4.2.2: a leader removing itself steps down once the change commits, and the rest elect a leader', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  const r = c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1, storageId: '' });
  assert.ok(r.ok);
  c.stabilize();
  assert.notEqual(c.node(1).state, 'leader');
  assert.ok(c.node(1).commit >= r.index);
  c.tickAll(30);
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.ok([2, 3].includes(leaders[0]));
  assert.equal(c.node(1).isVoter(), false);
  for (let i = 0; i < 50; i++) c.tick(1);
  assert.notEqual(c.node(1).state, 'candidate', 'a removed node never campaigns');
});

test('membership: changes that would break the group are refused', () => {
  const c = new TestCluster([1]);
  c.elect(1);
  c.tickAll(1);
  assert.equal(c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1, storageId: '' }).ok, false);
  assert.equal(c.node(1).proposeConfChange({ type: 'addVoter', nodeId: 1, storageId: 's1' }).ok, false);
  assert.equal(c.node(1).proposeConfChange({ type: 'addLearner', nodeId: 1, storageId: 's1' }).ok, false);
});

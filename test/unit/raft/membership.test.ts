import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../src/raft/index.ts';
import { ConfigHistory, Membership } from '../../../src/raft/membership.ts';
import { TestCluster } from './harness.ts';

function voters(c: TestCluster, id: number): number[] {
  return c
    .node(id)
    .status()
    .config.voters.map((m) => m.id);
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

test('issue 9: the configuration history is pruned to the applied index without snapshots, and still names the latest config entry', () => {
  const history = new ConfigHistory(0, Membership.fromConfState({ voters: [{ id: 1, storageId: 's1' }], learners: [] }));
  // Bounded: 200 changes, each folded once applied.
  for (let i = 1; i <= 200; i++) {
    history.push(i * 10, i % 2 === 1 ? { type: 'addLearner', nodeId: 2, storageId: `s2-${i}` } : { type: 'removeNode', nodeId: 2, storageId: `s2-${i - 1}` });
    history.prune(i * 10 + 5);
  }
  assert.equal(history.lastIndex(), 2000, 'the latest config entry, not the prune point');
  assert.deepEqual(history.at(2005).toConfState(), { voters: [{ id: 1, storageId: 's1' }], learners: [] });
  history.push(2010, { type: 'addLearner', nodeId: 3, storageId: 's3' });
  history.prune(2005);
  assert.deepEqual(history.at(2009).toConfState().learners, [], 'an entry after the prune point is kept');
  assert.deepEqual(history.at(2010).toConfState().learners, [{ id: 3, storageId: 's3' }]);
  history.truncateFrom(2010);
  assert.equal(history.lastIndex(), 2000);
});

test('issue 9: a group without snapshots (a partition group) keeps only the config entries after its applied index in memory', () => {
  const c = new TestCluster([1, 2, 3], { snapshotEntries: 0 });
  c.elect(1);
  for (let i = 0; i < 20; i++) {
    const cc =
      i % 2 === 0 ? { type: 'addLearner' as const, nodeId: 4, storageId: `s4-${i}` } : { type: 'removeNode' as const, nodeId: 4, storageId: `s4-${i - 1}` };
    assert.ok(c.node(1).proposeConfChange(cc).ok, `change ${i}`);
    c.tickAll(2);
  }
  for (const id of [1, 2, 3]) {
    // White box: the core's ConfigHistory (src/raft/membership.ts) behind the node.
    const history = (c.node(id) as unknown as { raft: { conf: { changes: unknown[] } } }).raft.conf.changes;
    assert.ok(history.length <= 1, `node ${id} keeps ${history.length} config changes`);
  }
});

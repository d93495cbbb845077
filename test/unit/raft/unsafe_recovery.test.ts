// Unsafe recovery (issue 11 part 4): RaftNode.forceConfiguration on a survivor of a group that
// lost a majority of its voters for good. The rules checked here are in docs/raft.md,
// "Forced configuration".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConfChange, MemoryStorage } from '../../../src/raft/index.ts';
import { Membership } from '../../../src/raft/membership.ts';
import { TestCluster } from './harness.ts';

/** Three voters; e0..e2 everywhere, e3 committed on 1 and 2 only (3 isolated), then 1 and 3 destroyed. */
function twoOfThreeLost(): TestCluster {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  for (let i = 0; i < 3; i++) c.propose(1, `e${i}`);
  c.isolated.add(3);
  c.propose(1, 'e3');
  assert.equal(c.node(2).commit, c.node(1).commit - 0, 'e3 reached node 2');
  c.isolated.add(1);
  // Node 2 notices its leader is gone and campaigns in vain (no quorum): no leader is known.
  for (let i = 0; i < 40; i++) c.tickAll(1);
  assert.equal(c.node(2).lead, 0);
  return c;
}

test('unsafe recovery: a survivor that holds the longest log becomes leader of a one-voter group', () => {
  const c = twoOfThreeLost();
  const before = c.node(2).status();
  const r = c.node(2).forceConfiguration([2]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.index, before.lastIndex + 1);
  assert.ok(r.term > before.term, 'the forced entry has a term above every term in the log');
  assert.deepEqual(r.fenced.sort(), ['s1', 's3']);
  c.stabilize();
  assert.equal(c.node(2).state, 'leader');
  assert.deepEqual(c.node(2).status().config, { voters: [{ id: 2, storageId: 's2' }], learners: [], fenced: ['s1', 's3'] });
  assert.deepEqual(c.appliedTexts(2), ['e0', 'e1', 'e2', 'e3']);
  const p = c.propose(2, 'after');
  assert.ok(p.ok);
  c.stabilize();
  assert.equal(c.node(2).commit, p.index, 'a one-voter group commits on its own');
  assert.deepEqual(c.appliedTexts(2), ['e0', 'e1', 'e2', 'e3', 'after']);
});

test('unsafe recovery: entries the survivor holds but were never committed become committed (commitBefore < lastIndexBefore)', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 'e0');
  c.isolated.add(3);
  // Node 2 receives e1 but its acknowledgement is lost: the leader never commits e1.
  c.dropIf = (m) => m.type === 'appResp' && m.from === 2;
  c.propose(1, 'e1');
  c.isolated.add(1);
  c.dropIf = () => false;
  for (let i = 0; i < 40; i++) c.tickAll(1);
  const r = c.node(2).forceConfiguration([2]);
  assert.ok(r.ok);
  assert.ok(r.commitBefore < r.lastIndexBefore, `commit ${r.commitBefore} below last ${r.lastIndexBefore}`);
  c.stabilize();
  assert.deepEqual(c.appliedTexts(2), ['e0', 'e1']);
});

test('unsafe recovery is refused while a leader is known, on a non-voter, and for unknown or missing voters', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  const led = c.node(2).forceConfiguration([2]);
  assert.equal(led.ok, false);
  assert.equal(!led.ok && led.reason, 'hasLeader');
  const lead = c.node(1).forceConfiguration([1]);
  assert.equal(!lead.ok && lead.reason, 'hasLeader');
  // This harness runs without check-quorum: a leader cannot tell whether its quorum is alive.
  assert.match((!lead.ok && lead.detail) || '', /check-quorum is off/);
  c.isolated.add(1);
  c.isolated.add(3);
  for (let i = 0; i < 40; i++) c.tickAll(1);
  assert.equal(c.node(2).lead, 0);
  const other = c.node(2).forceConfiguration([3]);
  assert.equal(!other.ok && other.reason, 'invalid', 'the forcing node must stay a voter');
  const stranger = c.node(2).forceConfiguration([2, 7]);
  assert.equal(!stranger.ok && stranger.reason, 'invalid');
  const all = c.node(2).forceConfiguration([1, 2, 3]);
  assert.equal(!all.ok && all.reason, 'invalid', 'nothing to remove');
  // A node whose disk the configuration does not name (it came back wiped) cannot force.
  const wiped = c.addPeer(4, new MemoryStorage('s4'));
  assert.equal(!wiped.node.forceConfiguration([4]).ok && 'refused', 'refused');
  // And a forced configuration is never a proposal.
  assert.match(
    Membership.fromConfState({ voters: [{ id: 1, storageId: 's1' }], learners: [] }).validate({
      type: 'force',
      nodeId: 1,
      storageId: 's1',
      voters: [],
      fenced: [],
    }) ?? '',
    /not a proposal/,
  );
});

test('unsafe recovery: an old voter that comes back with its old disk cannot depose the new configuration', () => {
  const c = twoOfThreeLost();
  assert.ok(c.node(2).forceConfiguration([2]).ok);
  c.stabilize();
  const p = c.propose(2, 'new-1');
  assert.ok(p.ok);
  const committed = c.node(2).commit;
  const term2 = c.node(2).term;
  // Nodes 1 and 3 come back with their old disks and their old configuration {1, 2, 3}, in which
  // they are a majority. Cut off from each other first, they inflate their terms past node 2's,
  // then elect one of them, whose appends and heartbeats of the higher term reach node 2.
  for (let i = 0; i < 50 && c.node(3).term <= term2 + 2; i++) {
    c.tick(3, 20);
    c.stabilize();
  }
  assert.ok(c.node(3).term > term2 + 2);
  c.isolated.clear();
  let zombieLed = false;
  for (let i = 0; i < 80; i++) {
    c.tickAll(1);
    if (c.node(1).state === 'leader' || c.node(3).state === 'leader') zombieLed = true;
    assert.equal(c.node(2).state, 'leader', `tick ${i}: node 2 was deposed`);
  }
  assert.ok(zombieLed, 'the old majority did elect a leader of its own (the threat is real)');
  assert.ok(Math.max(c.node(1).term, c.node(3).term) > c.node(2).term, 'with a higher term than the survivor');
  assert.ok(c.node(2).status().fencedDrops > 0);
  assert.equal(c.node(2).term, term2, 'nothing from the fenced nodes reached the term');
  assert.ok(c.node(2).commit >= committed);
  const after = c.propose(2, 'new-2');
  assert.ok(after.ok);
  c.stabilize();
  assert.deepEqual(c.appliedTexts(2), ['e0', 'e1', 'e2', 'e3', 'new-1', 'new-2']);
});

test('unsafe recovery: fenced storage ids are never added back; a wiped node rejoins under a new one', () => {
  const c = twoOfThreeLost();
  assert.ok(c.node(2).forceConfiguration([2]).ok);
  c.stabilize();
  const again = c.node(2).proposeConfChange({ type: 'addLearner', nodeId: 1, storageId: 's1' });
  assert.equal(!again.ok && again.reason, 'invalidConfChange');
  assert.match((!again.ok && again.detail) || '', /fenced/);
  c.peers.delete(1);
  c.isolated.delete(1);
  c.addPeer(1, new MemoryStorage('s1-new'));
  assert.ok(c.node(2).proposeConfChange({ type: 'addLearner', nodeId: 1, storageId: 's1-new' }).ok);
  c.tickAll(3);
  assert.ok(c.node(2).proposeConfChange({ type: 'addVoter', nodeId: 1, storageId: 's1-new' }).ok);
  c.tickAll(3);
  assert.deepEqual(c.appliedTexts(1), ['e0', 'e1', 'e2', 'e3']);
  assert.deepEqual(c.node(1).status().config.fenced, ['s1', 's3'], 'the fence travels with the configuration');
  assert.deepEqual(
    c
      .node(2)
      .status()
      .config.voters.map((m) => m.id),
    [1, 2],
  );
});

test('unsafe recovery is durable: a restart (log replay) and a snapshot keep the forced configuration and its fence', () => {
  const c = twoOfThreeLost();
  const r = c.node(2).forceConfiguration([2]);
  assert.ok(r.ok);
  c.stabilize();
  const entry = c.peer(2).storage.entries(r.index, r.index + 1, 1 << 20)[0];
  assert.equal(entry.type, 'config');
  assert.deepEqual(decodeConfChange(entry.data).fenced, ['s1', 's3']);
  c.restart(2);
  c.stabilize();
  assert.deepEqual(c.node(2).status().config.fenced, ['s1', 's3']);
  assert.equal(c.node(2).commit >= r.index, true, 'the forced commit was persisted');
  // A snapshot taken after the force carries the fence (a node restoring it would otherwise hear the old members).
  const storage = c.peer(2).storage;
  const snap = storage.createSnapshot(c.node(2).commit, c.node(2).status().config, new Uint8Array(0));
  const fresh = new MemoryStorage('s2');
  fresh.applySnapshot(snap);
  fresh.setHardState({ term: c.node(2).term, vote: 0, commit: snap.index });
  const restored = c.addPeer(9, fresh, { id: 9 });
  assert.deepEqual(restored.node.status().config.fenced, ['s1', 's3']);
});

test('unsafe recovery with two survivors of five: the one with the longest log forces both; the other follows', () => {
  // Check-quorum, so the isolated leader steps down (and knows no leader) as in a broker.
  const c = new TestCluster([1, 2, 3, 4, 5], { checkQuorum: true, preVote: true });
  c.elect(1);
  c.propose(1, 'a');
  c.isolated.add(2);
  c.propose(1, 'b'); // on 1, 3, 4, 5 only: committed
  for (const id of [3, 4, 5]) c.isolated.add(id);
  c.isolated.delete(2);
  for (let i = 0; i < 40; i++) c.tickAll(1);
  // 1 and 2 are left; 1 holds the longer log, so it forces and keeps 2.
  assert.equal(c.node(1).lead, 0);
  const r = c.node(1).forceConfiguration([1, 2]);
  assert.ok(r.ok, JSON.stringify(r));
  for (let i = 0; i < 30 && c.node(1).state !== 'leader'; i++) c.tickAll(1);
  assert.equal(c.node(1).state, 'leader');
  const p = c.propose(1, 'c');
  assert.ok(p.ok);
  c.tickAll(2);
  assert.deepEqual(c.appliedTexts(2), ['a', 'b', 'c'], 'node 2 caught up and commits with node 1');
  assert.deepEqual(
    c
      .node(2)
      .status()
      .config.voters.map((m) => m.id),
    [1, 2],
  );
  assert.deepEqual(c.node(2).status().config.fenced, ['s3', 's4', 's5']);
});

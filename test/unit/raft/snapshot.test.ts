import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('snapshot_entries: the core asks for a snapshot every N applied entries and compaction keeps the overhead', () => {
  const c = new TestCluster([1, 2, 3], { snapshotEntries: 10, compactionOverhead: 3 });
  c.elect(1);
  for (let i = 0; i < 25; i++) c.propose(1, `e${i}`);
  c.tickAll(2);
  const s = c.peer(1).storage;
  assert.ok(s.snapshot().index >= 20, `snapshot at ${s.snapshot().index}`);
  assert.equal(s.firstIndex(), s.snapshot().index - 3 + 1, 'compaction_overhead entries stay behind the snapshot');
});

test("Raft §7 InstallSnapshot: a follower behind the leader's log start receives a snapshot and catches up", () => {
  const c = new TestCluster([1, 2, 3], { snapshotEntries: 5, compactionOverhead: 0 });
  c.elect(1);
  c.isolated.add(3);
  for (let i = 0; i < 20; i++) c.propose(1, `e${i}`);
  c.tickAll(1);
  assert.ok(c.peer(1).storage.firstIndex() > c.node(3).lastIndex + 1, 'node 3 is behind the log start');
  c.isolated.delete(3);
  c.delivered.length = 0;
  c.tickAll(5);
  assert.ok(c.delivered.some((m) => m.type === 'snap' && m.to === 3));
  assert.equal(c.node(3).commit, c.node(1).commit);
  assert.ok(c.peer(3).storage.snapshot().index > 0);
  // After the snapshot the follower is replicated normally.
  c.propose(1, 'after');
  c.tickAll(2);
  assert.deepEqual(c.appliedTexts(3).slice(-1), ['after']);
  for (let i = c.node(3).firstIndex; i <= c.node(1).lastIndex; i++) assert.equal(c.node(3).termAt(i), c.node(1).termAt(i));
});

test('snapshot: a restarted node rebuilds its configuration from the snapshot plus later config entries', () => {
  const c = new TestCluster([1, 2, 3], { snapshotEntries: 5, compactionOverhead: 0 });
  c.elect(1);
  for (let i = 0; i < 12; i++) c.propose(1, `e${i}`);
  assert.ok(c.node(1).proposeConfChange({ type: 'removeNode', nodeId: 3, storageId: '' }).ok);
  c.tickAll(2);
  c.restart(2);
  assert.deepEqual(
    c
      .node(2)
      .status()
      .config.voters.map((m) => m.id),
    [1, 2],
  );
});

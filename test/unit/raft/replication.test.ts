import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('Raft §5.3: a follower with conflicting entries is brought in line with the leader', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  // Node 1 appends entries nobody else receives, then loses leadership.
  c.isolated.add(1);
  for (let i = 0; i < 5; i++) c.node(1).propose(new TextEncoder().encode(`lost${i}`));
  c.processReadies();
  c.elect(2);
  for (let i = 0; i < 3; i++) c.propose(2, `kept${i}`);
  c.isolated.delete(1);
  c.tickAll(3);
  assert.equal(c.node(1).state, 'follower');
  for (const id of [1, 2, 3]) assert.deepEqual(c.appliedTexts(id), ['kept0', 'kept1', 'kept2']);
  for (let i = 1; i <= c.node(2).lastIndex; i++) assert.equal(c.node(1).termAt(i), c.node(2).termAt(i), `index ${i}`);
});

test('Raft §5.3 (fast back-off): a long divergent suffix is skipped a term at a time, not an entry at a time', () => {
  const c = new TestCluster([1, 2, 3], { maxSizePerMsg: 1 << 20 });
  c.elect(1);
  c.isolated.add(1);
  for (let i = 0; i < 50; i++) c.node(1).propose(new TextEncoder().encode(`x${i}`));
  c.processReadies();
  c.elect(2);
  c.propose(2, 'y');
  c.isolated.delete(1);
  c.delivered.length = 0;
  c.tickAll(3);
  const rejects = c.delivered.filter((m) => m.type === 'appResp' && m.reject && m.from === 1);
  assert.ok(rejects.length <= 2, `${rejects.length} rejections for a 50-entry conflict`);
  assert.deepEqual(c.appliedTexts(1), ['y']);
});

test('flow control: a leader keeps at most maxInflightMsgs appends unacknowledged per follower', () => {
  const c = new TestCluster([1, 2, 3], { maxInflightMsgs: 3, maxSizePerMsg: 1 });
  c.elect(1);
  c.tickAll(1);
  // Acknowledgements from node 2 get lost; node 1 must stop sending after 3 appends.
  c.dropIf = (m) => m.type === 'appResp' && m.from === 2;
  c.delivered.length = 0;
  for (let i = 0; i < 10; i++) c.node(1).propose(new TextEncoder().encode(`p${i}`));
  c.stabilize();
  const appsTo2 = c.delivered.filter((m) => m.type === 'app' && m.to === 2 && m.entries.length > 0);
  assert.equal(appsTo2.length, 3);
  const st = c
    .node(1)
    .status()
    .progress.find((p) => p.id === 2)!;
  assert.equal(st.state, 'replicate');
});

test('flow control: maxInflightBytes bounds the bytes in flight per follower', () => {
  const c = new TestCluster([1, 2, 3], { maxInflightMsgs: 100, maxInflightBytes: 1000, maxSizePerMsg: 1 });
  c.elect(1);
  c.tickAll(1);
  c.dropIf = (m) => m.type === 'appResp' && m.from === 2;
  c.delivered.length = 0;
  for (let i = 0; i < 20; i++) c.node(1).propose(new Uint8Array(300));
  c.stabilize();
  const appsTo2 = c.delivered.filter((m) => m.type === 'app' && m.to === 2 && m.entries.length > 0);
  // Each 300-byte entry costs 324 bytes of budget: 4 messages reach the 1000-byte limit.
  assert.equal(appsTo2.length, 4);
});

test('Raft §5.4.2: a leader does not commit an entry of an earlier term by counting replicas', () => {
  const c = new TestCluster([1, 2, 3], { maxSizePerMsg: 1 });
  c.elect(1); // term 2, noop at 4 committed everywhere
  assert.equal(c.node(1).commit, 4);
  // Node 1 writes entry 5 in term 2 that nobody receives.
  c.dropIf = (m) => m.type === 'app' && m.from === 1;
  c.node(1).propose(new TextEncoder().encode('old'));
  c.stabilize();
  c.dropIf = () => false;
  // Node 2 starts an election that only node 1 hears (and refuses): node 1 steps down.
  c.dropIf = (m) => (m.from === 2 && m.to === 3) || (m.from === 3 && m.to === 2);
  c.node(2).campaign();
  c.stabilize();
  assert.equal(c.node(1).state, 'follower');
  // Node 1 is elected in a later term; its log holds entry 5 of term 2 and a new noop.
  // Once a follower holds entry 5, appends carrying the new noop to it are lost, so entry
  // 5 reaches a majority alone.
  const term = c.node(1).term + 1;
  c.dropIf = (m) => m.type === 'app' && m.entries.some((e) => e.term === term) && c.node(m.to).termAt(5) === 2;
  c.node(1).campaign();
  c.stabilize();
  assert.equal(c.node(1).state, 'leader');
  assert.equal(c.node(1).term, term);
  assert.equal(c.node(2).termAt(5), 2, 'entry 5 of term 2 is on node 2');
  assert.equal(c.node(1).commit, 4, 'entry 5 is on a majority but from an earlier term: not committed');
  c.dropIf = () => false;
  c.tickAll(2);
  assert.equal(c.node(1).commit, 6, 'once the current-term entry is replicated, both commit');
  assert.deepEqual(c.appliedTexts(3), ['old']);
});

test('durability: a leader counts itself toward the quorum only after advance() reports its write', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  c.isolated.add(3);
  const leader = c.peer(1);
  leader.node.propose(new TextEncoder().encode('d'));
  const rd = leader.node.ready();
  const index = rd.entries[rd.entries.length - 1].index;
  // The host "is still writing": the follower's acknowledgement arrives first.
  for (const m of rd.messages) c.peer(m.to).node.step(m);
  const follower = c.peer(2);
  const frd = follower.node.ready();
  follower.storage.append(frd.entries);
  if (frd.hardState) follower.storage.setHardState(frd.hardState);
  follower.node.advance(frd);
  for (const m of frd.messages) if (m.to === 1) leader.node.step(m);
  assert.ok(leader.node.commit < index, 'one follower ack without the leader write is not a quorum of 3');
  leader.storage.append(rd.entries);
  leader.node.advance(rd);
  assert.equal(leader.node.commit, index);
});

test('durability: a single-node group commits only after advance()', () => {
  const c = new TestCluster([1]);
  c.elect(1);
  const p = c.peer(1);
  p.node.propose(new TextEncoder().encode('solo'));
  const rd = p.node.ready();
  assert.equal(rd.committedEntries.length, 0);
  const last = rd.entries[rd.entries.length - 1].index;
  assert.ok(p.node.commit < last);
  p.storage.append(rd.entries);
  p.node.advance(rd);
  assert.equal(p.node.commit, last);
  assert.deepEqual(
    p.node.ready().committedEntries.map((e) => e.index),
    [last],
  );
});

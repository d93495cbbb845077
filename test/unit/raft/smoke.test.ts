import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from './harness.ts';

test('Raft §5.2/§5.3: a 3-node cluster elects a leader and replicates a proposal', () => {
  const c = new TestCluster([1, 2, 3]);
  c.elect(1);
  assert.deepEqual(c.leaders(), [1]);
  const r = c.propose(1, 'hello');
  assert.equal(r.ok, true);
  c.tickAll(2);
  for (const id of [1, 2, 3]) assert.deepEqual(c.appliedTexts(id), ['hello']);
});

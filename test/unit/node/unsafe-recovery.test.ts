// Which groups an unsafe-recover request names, in which order (metadata first), and what the
// operator is told may be lost (issue 11 part 4; docs/cluster.md, "Unsafe recovery").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossStatement, planUnsafeRecovery, type RecoverableGroup } from '../../../src/node/unsafe-recovery.ts';
import type { RaftStatus } from '../../../src/raft/index.ts';

function group(display: string, voters: number[], lead: number): RecoverableGroup {
  const isMetadata = display === '__metadata';
  const status = { lead, config: { voters: voters.map((id) => ({ id, storageId: `s${id}` })), learners: [] } } as unknown as RaftStatus;
  return { name: isMetadata ? display : `${display}@abc`, display, isMetadata, status };
}

test('issue 11 unsafe recovery plan: {node} takes every group with it as a voter, metadata first, and skips groups that still have a leader', () => {
  const groups = [group('b-0', [1, 2, 3], 0), group('a-0', [1, 2, 3], 3), group('c-0', [1, 3, 4], 0), group('__metadata', [1, 2, 3], 0)];
  const plan = planUnsafeRecovery({ node: 2 }, groups, 1);
  assert.ok('targets' in plan);
  assert.deepEqual(
    plan.targets.map((t) => [t.group.display, t.skip === undefined]),
    [
      ['__metadata', true],
      ['a-0', false],
      ['b-0', true],
    ],
  );
  assert.match(plan.targets[1].skip!, /node 3 leads it/);
});

test('issue 11 unsafe recovery plan: {group} by display or wire name; unknown groups and this broker as the lost node are refused', () => {
  const groups = [group('__metadata', [1, 2, 3], 0), group('t-0', [1, 2, 3], 0)];
  const byDisplay = planUnsafeRecovery({ group: 't-0' }, groups, 1);
  assert.ok('targets' in byDisplay && byDisplay.targets[0].group.name === 't-0@abc');
  const byWire = planUnsafeRecovery({ group: 't-0@abc' }, groups, 1);
  assert.ok('targets' in byWire && byWire.targets[0].group.display === 't-0');
  assert.deepEqual(planUnsafeRecovery({ group: 'x-0' }, groups, 1), { status: 404, error: 'no group "x-0" is hosted on broker 1' });
  const self = planUnsafeRecovery({ node: 1 }, groups, 1);
  assert.ok('error' in self && self.status === 400);
  const none = planUnsafeRecovery({ node: 9 }, groups, 1);
  assert.ok('error' in none && none.status === 404);
});

test('issue 11 unsafe recovery: the loss statement names the offsets that may be lost and those committed without a quorum', () => {
  const p = lossStatement({ lastIndex: 50, commitIndex: 48, highWatermark: 700, logEndOffset: 702 });
  assert.match(p, /offset 702 or later are lost/);
  assert.match(p, /Offsets 700\.\.701 were not known committed here/);
  assert.match(lossStatement({ lastIndex: 50, commitIndex: 50, highWatermark: 702, logEndOffset: 702 }), /Every record this replica held was known committed/);
  const m = lossStatement({ lastIndex: 90, commitIndex: 88 });
  assert.match(m, /after entry 90/);
  assert.match(m, /Entries 89\.\.90/);
});

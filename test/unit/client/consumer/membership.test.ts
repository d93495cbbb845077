// issue 13: the group membership state machine (Kafka's classic consumer protocol), fed events
// with the time as an input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { GroupMembership, type JoinAnswer, type MembershipAction } from '../../../../src/client/consumer/membership.ts';

const backoffMs = (failures: number) => Math.min(1000, 100 * 2 ** (failures - 1));
const make = (rebalanceProtocol: 'EAGER' | 'COOPERATIVE' = 'EAGER') => new GroupMembership({ rebalanceProtocol, heartbeatIntervalMs: 3000, backoffMs });
const joined = (over: Partial<JoinAnswer> = {}): JoinAnswer => ({
  errorCode: 0,
  generationId: 1,
  protocolName: 'range',
  leader: 'm1',
  memberId: 'm1',
  members: [{ memberId: 'm1', metadata: Buffer.alloc(0) }],
  ...over,
});
const types = (actions: MembershipAction[]) => actions.map((a) => a.type);
const tp = (topic: string, ...partitions: number[]) => [{ topic, partitions }];

/** A member that is stable in generation 1 owning t-0 and t-1. */
function stable(protocol: 'EAGER' | 'COOPERATIVE' = 'EAGER'): GroupMembership {
  const m = make(protocol);
  m.start(0);
  m.onJoin(joined(), 0);
  m.onSync(0, tp('t', 0, 1), 0);
  return m;
}

test('join → sync (as leader, with the members) → stable, assigned; then heartbeats every interval', () => {
  const m = make();
  assert.deepEqual(m.start(0), [{ type: 'join', memberId: '', owned: [], generationId: -1 }]);
  const sync = m.onJoin(joined(), 5);
  assert.equal(sync[0]?.type, 'sync');
  assert.equal(sync[0]?.type === 'sync' && sync[0].leaderOf?.length, 1);
  assert.deepEqual(m.onSync(0, tp('t', 0, 1), 10), [{ type: 'assign', partitions: tp('t', 0, 1) }]);
  assert.equal(m.state, 'stable');
  assert.deepEqual(m.tick(3009), []);
  assert.equal(m.nextWakeMs(), 3010);
  assert.deepEqual(m.tick(3010), [{ type: 'heartbeat', memberId: 'm1', generationId: 1 }]);
  assert.deepEqual(m.tick(9000), [], 'one heartbeat in flight at a time');
  assert.deepEqual(m.onHeartbeat(0, 1, 3020), []);
  assert.equal(m.nextWakeMs(), 6020);
});

test('a follower syncs without members to assign', () => {
  const m = make();
  m.start(0);
  const [sync] = m.onJoin(joined({ memberId: 'm2', leader: 'm1' }), 0);
  assert.ok(sync?.type === 'sync' && sync.leaderOf === null);
});

test('KIP-394: MEMBER_ID_REQUIRED joins again at once with the member id the coordinator gave', () => {
  const m = make();
  m.start(0);
  assert.deepEqual(m.onJoin(joined({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'given' }), 1), [
    { type: 'join', memberId: 'given', owned: [], generationId: -1 },
  ]);
});

test('EAGER: REBALANCE_IN_PROGRESS in a heartbeat revokes everything with commit-on-revoke, then joins', () => {
  const m = stable('EAGER');
  m.tick(3000);
  assert.deepEqual(m.onHeartbeat(ErrorCode.REBALANCE_IN_PROGRESS, 1, 3001), [
    { type: 'revoke', partitions: tp('t', 0, 1), commit: true },
    { type: 'join', memberId: 'm1', owned: [], generationId: 1 },
  ]);
  m.onJoin(joined({ generationId: 2 }), 3002);
  assert.deepEqual(m.onSync(0, tp('t', 1), 3003), [{ type: 'assign', partitions: tp('t', 1) }]);
});

test('COOPERATIVE (KIP-429): rejoin keeps consuming, revokes only what moved (committing it), then joins again', () => {
  const m = stable('COOPERATIVE');
  m.tick(3000);
  assert.deepEqual(m.onHeartbeat(ErrorCode.REBALANCE_IN_PROGRESS, 1, 3001), [{ type: 'join', memberId: 'm1', owned: tp('t', 0, 1), generationId: 1 }]);
  m.onJoin(joined({ generationId: 2 }), 3002);
  assert.deepEqual(m.onSync(0, tp('t', 0), 3003), [
    { type: 'revoke', partitions: tp('t', 1), commit: true },
    { type: 'join', memberId: 'm1', owned: tp('t', 0), generationId: 2 },
  ]);
  m.onJoin(joined({ generationId: 3 }), 3004);
  assert.deepEqual(m.onSync(0, tp('t', 0), 3005), [], 'nothing moves in the second round');
  assert.equal(m.state, 'stable');
});

test('ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID: partitions are lost (no commit) and the member joins afresh', () => {
  for (const code of [ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]) {
    const m = stable();
    m.tick(3000);
    assert.deepEqual(m.onHeartbeat(code, 1, 3001), [
      { type: 'revoke', partitions: tp('t', 0, 1), commit: false },
      { type: 'join', memberId: '', owned: [], generationId: -1 },
    ]);
  }
  const s = make();
  s.start(0);
  s.onJoin(joined(), 0);
  assert.deepEqual(types(s.onSync(ErrorCode.ILLEGAL_GENERATION, [], 1)), ['join']);
});

test('FENCED_INSTANCE_ID: lost partitions and a failure, no rejoin', () => {
  const m = stable();
  m.tick(3000);
  assert.deepEqual(types(m.onHeartbeat(ErrorCode.FENCED_INSTANCE_ID, 1, 3001)), ['revoke', 'fail']);
  assert.equal(m.state, 'failed');
  assert.deepEqual(m.tick(1e9), []);
});

test('NOT_COORDINATOR on join: find the coordinator, join again after a growing backoff', () => {
  const m = make();
  m.start(0);
  assert.deepEqual(m.onJoin(joined({ errorCode: ErrorCode.NOT_COORDINATOR }), 0), [{ type: 'find-coordinator' }]);
  assert.equal(m.nextWakeMs(), 100);
  assert.deepEqual(m.tick(99), []);
  assert.deepEqual(types(m.tick(100)), ['join']);
  m.onJoin(joined({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }), 100);
  assert.equal(m.nextWakeMs(), 300, 'the second failure in a row waits twice as long');
});

test('a fatal JoinGroup error (INCONSISTENT_GROUP_PROTOCOL) fails the member', () => {
  const m = make();
  m.start(0);
  const [fail] = m.onJoin(joined({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL }), 0);
  assert.ok(fail?.type === 'fail' && /INCONSISTENT_GROUP_PROTOCOL/.test(fail.message));
});

test('a lost connection while stable keeps the partitions and looks for the coordinator; a stale heartbeat answer is ignored', () => {
  const m = stable();
  m.tick(3000);
  assert.deepEqual(m.onRequestFailed(3001), [{ type: 'find-coordinator' }]);
  assert.deepEqual(m.owned, tp('t', 0, 1));
  assert.deepEqual(m.onHeartbeat(ErrorCode.REBALANCE_IN_PROGRESS, 0, 3002), [], 'an answer for generation 0 is stale');
  assert.equal(m.state, 'stable');
});

test('leave: commit and revoke what it owns, then LeaveGroup', () => {
  const m = stable();
  assert.deepEqual(m.leave(), [
    { type: 'revoke', partitions: tp('t', 0, 1), commit: true },
    { type: 'leave', memberId: 'm1' },
  ]);
  assert.deepEqual(m.leave(), []);
});

test('restart (the assigned partitions could not be started): give them up without commit, join again after a backoff', () => {
  const m = stable();
  assert.deepEqual(m.restart(5000), [{ type: 'revoke', partitions: tp('t', 0, 1), commit: false }]);
  assert.equal(m.nextWakeMs(), 5100);
  assert.deepEqual(m.tick(5100), [{ type: 'join', memberId: 'm1', owned: [], generationId: 1 }]);
});

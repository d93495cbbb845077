// The classic group state machine (src/broker/group/group.ts), driven with explicit times: no
// timers, no sockets. Each test names the Kafka rule it checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Group,
  defaultGroupLimits,
  type Delivery,
  type Effects,
  type GroupLimits,
  type JoinAnswer,
  type JoinInput,
  type SyncAnswer,
} from '../../../src/broker/group/group.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const limits: GroupLimits = { ...defaultGroupLimits, initialRebalanceDelayMs: 300 };
let nextToken = 1;

function joinInput(over: Partial<JoinInput> = {}): JoinInput {
  const token = nextToken++;
  return {
    token,
    freshUuid: `uuid-${token}`,
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    requireKnownMemberId: true,
    ...over,
  };
}

function joinAnswer(effects: Effects, token: number): JoinAnswer | undefined {
  const d = effects.deliveries.find((x): x is Extract<Delivery, { kind: 'join' }> => x.token === token && x.kind === 'join');
  return d?.answer;
}

function syncAnswer(effects: Effects, token: number): SyncAnswer | undefined {
  const d = effects.deliveries.find((x): x is Extract<Delivery, { kind: 'sync' }> => x.token === token && x.kind === 'sync');
  return d?.answer;
}

/** Two-step join (KIP-394): returns the member id and the token of the parked second join. */
function joinNew(group: Group, nowMs: number, over: Partial<JoinInput> = {}): { memberId: string; token: number } {
  const first = joinInput(over);
  const e1 = group.join(first, nowMs);
  const a1 = joinAnswer(e1, first.token)!;
  assert.equal(a1.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  // issue 17: the group is deterministic; the member id's randomness is the caller's input.
  assert.equal(a1.memberId, `c-${first.freshUuid}`);
  const second = joinInput({ ...over, memberId: a1.memberId });
  const e2 = group.join(second, nowMs);
  assert.equal(joinAnswer(e2, second.token), undefined, 'the real join is parked until the rebalance completes');
  return { memberId: a1.memberId, token: second.token };
}

/** Ticks at each deadline until the rebalance being prepared completes (bounded). */
function settle(group: Group): Effects {
  const all: Effects = { deliveries: [], persist: false };
  for (let i = 0; i < 10 && group.state === 'PreparingRebalance'; i++) {
    const e = group.tick(group.nextDeadlineMs());
    all.deliveries.push(...e.deliveries);
    all.persist ||= e.persist;
  }
  assert.notEqual(group.state, 'PreparingRebalance');
  return all;
}

/** Forms a stable group of `n` members; returns their ids (leader first) and the generation. */
function stableGroup(n: number, nowMs = 0): { group: Group; ids: string[]; generation: number; leader: string } {
  const group = new Group('g', limits, nowMs);
  const joins = Array.from({ length: n }, () => joinNew(group, nowMs));
  const done = settle(group);
  const answers = joins.map((j) => joinAnswer(done, j.token)!);
  const leader = answers[0].leader;
  const generation = answers[0].generationId;
  const leaderToken = nextToken++;
  const syncs = answers
    .filter((a) => a.memberId !== leader)
    .map((a) => {
      const token = nextToken++;
      group.sync(
        { token, memberId: a.memberId, groupInstanceId: null, generationId: generation, protocolType: null, protocolName: null, assignments: [] },
        nowMs,
      );
      return token;
    });
  const e = group.sync(
    {
      token: leaderToken,
      memberId: leader,
      groupInstanceId: null,
      generationId: generation,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: answers.map((a, i) => ({ memberId: a.memberId, assignment: Buffer.from(`p${i}`) })),
    },
    nowMs,
  );
  assert.equal(e.deliveries.length, syncs.length + 1);
  assert.equal(group.state, 'Stable');
  return { group, ids: answers.map((a) => a.memberId), generation, leader };
}

test('KIP-394 MEMBER_ID_REQUIRED: a new dynamic member first gets its id, then joins with it', () => {
  const group = new Group('g', limits, 0);
  const { memberId, token } = joinNew(group, 0);
  assert.equal(group.state, 'PreparingRebalance');
  // Kafka's group.initial.rebalance.delay.ms: an empty group waits for more members before answering.
  assert.equal(group.nextDeadlineMs(), 300);
  assert.deepEqual(group.tick(299).deliveries, []);
  const done = group.tick(300);
  const answer = joinAnswer(done, token)!;
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.equal(answer.generationId, 1);
  assert.equal(answer.leader, memberId);
  assert.equal(answer.protocolName, 'range');
  assert.deepEqual(
    answer.members.map((m) => m.memberId),
    [memberId],
  );
  assert.equal(group.state, 'CompletingRebalance');
});

test('JoinGroup v0-3 (no MEMBER_ID_REQUIRED): a new member joins in one step', () => {
  const group = new Group('g', limits, 0);
  const input = joinInput({ requireKnownMemberId: false });
  const e = group.join(input, 0);
  assert.deepEqual(e.deliveries, []);
  const answer = joinAnswer(group.tick(300), input.token)!;
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.ok(answer.memberId.length > 0);
});

test('initial rebalance delay: members that join together share one generation; only the leader gets the subscriptions', () => {
  const group = new Group('g', limits, 0);
  const a = joinNew(group, 0);
  const b = joinNew(group, 100);
  const c = joinNew(group, 250);
  // Members kept arriving during the first delay, so Kafka's InitialDelayedJoin waits once more.
  let e = group.tick(300);
  assert.deepEqual(e.deliveries, []);
  e = group.tick(600);
  const answers = [a, b, c].map((m) => joinAnswer(e, m.token)!);
  assert.ok(answers.every((x) => x.errorCode === ErrorCode.NONE && x.generationId === 1));
  const leader = answers[0].leader;
  assert.equal(leader, a.memberId, 'the first member is the leader');
  assert.equal(answers[0].members.length, 3);
  assert.deepEqual(answers[1].members, []);
  assert.deepEqual(answers[2].members, []);
});

test('SyncGroup: followers wait for the leader, whose assignment is relayed as sent and persisted first', () => {
  const group = new Group('g', limits, 0);
  const a = joinNew(group, 0);
  const b = joinNew(group, 0);
  settle(group);
  const followerSync = group.sync(
    { token: 500, memberId: b.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] },
    310,
  );
  assert.deepEqual(followerSync.deliveries, [], 'a follower waits for the leader');
  assert.equal(followerSync.persist, false);
  const leaderSync = group.sync(
    {
      token: 501,
      memberId: a.memberId,
      groupInstanceId: null,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('A') },
        { memberId: b.memberId, assignment: Buffer.from('B') },
      ],
    },
    320,
  );
  assert.equal(leaderSync.persist, true);
  assert.equal(syncAnswer(leaderSync, 501)!.assignment.toString(), 'A');
  assert.equal(syncAnswer(leaderSync, 500)!.assignment.toString(), 'B');
  assert.equal(group.state, 'Stable');
  // A late sync in Stable gets the stored assignment at once.
  assert.equal(
    syncAnswer(
      group.sync({ token: 502, memberId: b.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] }, 330),
      502,
    )!.assignment.toString(),
    'B',
  );
});

test('SyncGroup errors: unknown member, stale generation, inconsistent protocol, rebalance in progress', () => {
  const { group, ids, generation } = stableGroup(2);
  const sync = (memberId: string, generationId: number, protocolName: string | null = null) =>
    syncAnswer(group.sync({ token: 900, memberId, groupInstanceId: null, generationId, protocolType: null, protocolName, assignments: [] }, 1000), 900)!
      .errorCode;
  assert.equal(sync('nobody', generation), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(sync(ids[1], generation - 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(sync(ids[1], generation, 'roundrobin'), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  group.join(joinInput({ memberId: ids[0] }), 1000);
  assert.equal(group.state, 'PreparingRebalance');
  assert.equal(sync(ids[1], generation), ErrorCode.REBALANCE_IN_PROGRESS);
});

test('Heartbeat: NONE when stable, REBALANCE_IN_PROGRESS while preparing, errors for unknown members and stale generations', () => {
  const { group, ids, generation } = stableGroup(2);
  assert.equal(group.heartbeat(ids[1], null, generation, 1000), ErrorCode.NONE);
  assert.equal(group.heartbeat('who', null, generation, 1000), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(group.heartbeat(ids[1], null, generation + 1, 1000), ErrorCode.ILLEGAL_GENERATION);
  // The leader rejoining starts a rebalance; the follower learns of it through its heartbeat.
  group.join(joinInput({ memberId: ids[0] }), 1000);
  assert.equal(group.heartbeat(ids[1], null, generation, 1100), ErrorCode.REBALANCE_IN_PROGRESS);
});

test('session timeout: a silent member is removed and the others rebalance without it', () => {
  const { group, ids, generation } = stableGroup(2, 0);
  // The follower heartbeats, the leader stays silent past its 10 s session.
  assert.equal(group.heartbeat(ids[1], null, generation, 9_000), ErrorCode.NONE);
  assert.equal(group.nextDeadlineMs(), 10_000);
  group.tick(10_000);
  assert.equal(group.hasMember(ids[0]), false);
  assert.equal(group.state, 'PreparingRebalance');
  assert.equal(group.heartbeat(ids[1], null, generation, 10_001), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = joinInput({ memberId: ids[1] });
  const e = group.join(rejoin, 10_002);
  const answer = joinAnswer(e, rejoin.token)!;
  assert.equal(answer.generationId, generation + 1);
  assert.equal(answer.leader, ids[1], 'leadership passes to a remaining member');
});

test('rebalance timeout: a member that does not rejoin in time is removed when the join completes', () => {
  const { group, ids, generation } = stableGroup(3, 0);
  const leaderRejoin = joinInput({ memberId: ids[0] });
  group.join(leaderRejoin, 1000);
  const r2 = joinInput({ memberId: ids[1] });
  group.join(r2, 1100);
  // ids[2] keeps heartbeating but never rejoins; the rebalance timeout is 20 s.
  for (let t = 2000; t < 21_000; t += 3000) assert.equal(group.heartbeat(ids[2], null, generation, t), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(group.nextDeadlineMs(), 21_000);
  const e = group.tick(21_000);
  assert.equal(joinAnswer(e, leaderRejoin.token)!.generationId, generation + 1);
  assert.equal(joinAnswer(e, leaderRejoin.token)!.members.length, 2);
  assert.equal(group.hasMember(ids[2]), false);
});

test('LeaveGroup: the last member leaving empties the group, bumps the generation and persists it', () => {
  const { group, ids, generation } = stableGroup(2);
  const e1: Effects = { deliveries: [], persist: false };
  assert.equal(group.leave(ids[0], null, 1000, e1), ErrorCode.NONE);
  assert.equal(group.state, 'PreparingRebalance');
  assert.equal(group.leave('ghost', null, 1000, e1), ErrorCode.UNKNOWN_MEMBER_ID);
  const e2: Effects = { deliveries: [], persist: false };
  assert.equal(group.leave(ids[1], null, 1001, e2), ErrorCode.NONE);
  assert.equal(group.state, 'Empty');
  assert.equal(group.generationId, generation + 1);
  assert.equal(e2.persist, true);
  assert.equal(group.memberCount, 0);
});

test('LeaveGroup of a member whose join is parked answers that join with UNKNOWN_MEMBER_ID', () => {
  const group = new Group('g', limits, 0);
  const a = joinNew(group, 0);
  const e: Effects = { deliveries: [], persist: false };
  group.leave(a.memberId, null, 10, e);
  assert.equal(joinAnswer(e, a.token)!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(group.state, 'Empty');
});

test('KIP-345 static membership: a restarted static member takes over without a rebalance; the old id is fenced', () => {
  const group = new Group('g', limits, 0);
  const j1 = joinInput({ groupInstanceId: 'instance-1', clientId: 'c' });
  group.join(j1, 0);
  const j2 = joinInput({ groupInstanceId: 'instance-2', clientId: 'c' });
  group.join(j2, 0);
  const done = settle(group);
  const a1 = joinAnswer(done, j1.token)!;
  const a2 = joinAnswer(done, j2.token)!;
  assert.equal(a1.errorCode, ErrorCode.NONE, 'static members need no MEMBER_ID_REQUIRED round');
  group.sync({ token: 1, memberId: a2.memberId, groupInstanceId: 'instance-2', generationId: 1, protocolType: null, protocolName: null, assignments: [] }, 300);
  group.sync(
    {
      token: 2,
      memberId: a1.memberId,
      groupInstanceId: 'instance-1',
      generationId: 1,
      protocolType: null,
      protocolName: null,
      assignments: [
        { memberId: a1.memberId, assignment: Buffer.from('one') },
        { memberId: a2.memberId, assignment: Buffer.from('two') },
      ],
    },
    300,
  );
  assert.equal(group.state, 'Stable');
  // instance-2 restarts: it joins with no member id but the same instance id and protocols.
  const again = joinInput({ groupInstanceId: 'instance-2' });
  const e = group.join(again, 5000);
  const answer = joinAnswer(e, again.token)!;
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.equal(answer.generationId, 1, 'no new generation');
  assert.notEqual(answer.memberId, a2.memberId);
  assert.equal(e.persist, true, 'the new member id is persisted');
  assert.equal(group.state, 'Stable');
  const sync = group.sync(
    { token: 3, memberId: answer.memberId, groupInstanceId: 'instance-2', generationId: 1, protocolType: null, protocolName: null, assignments: [] },
    5001,
  );
  assert.equal(syncAnswer(sync, 3)!.assignment.toString(), 'two', 'the assignment is kept');
  assert.equal(group.heartbeat(a2.memberId, 'instance-2', 1, 5002), ErrorCode.FENCED_INSTANCE_ID);
  const leaveEffects: Effects = { deliveries: [], persist: false };
  assert.equal(group.leave(a2.memberId, 'instance-2', 5003, leaveEffects), ErrorCode.FENCED_INSTANCE_ID);
});

test('JoinGroup errors: INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID, oversized metadata, GROUP_MAX_SIZE_REACHED', () => {
  const small: GroupLimits = { ...limits, membersMax: 2, memberMetadataBytesMax: 16 };
  const group = new Group('g', small, 0);
  const code = (input: JoinInput) => joinAnswer(group.join(input, 0), input.token)!.errorCode;
  assert.equal(code(joinInput({ sessionTimeoutMs: 1000 })), ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(code(joinInput({ sessionTimeoutMs: 10_000_000 })), ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal(code(joinInput({ protocols: [] })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(code(joinInput({ memberId: 'made-up' })), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(code(joinInput({ protocols: [{ name: 'range', metadata: Buffer.alloc(17) }] })), ErrorCode.INVALID_REQUEST);
  joinNew(group, 0);
  // A member of another protocol type, or with no protocol in common, cannot join.
  assert.equal(code(joinInput({ protocolType: 'connect' })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(code(joinInput({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(1) }] })), ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  joinNew(group, 0);
  assert.equal(code(joinInput()), ErrorCode.GROUP_MAX_SIZE_REACHED);
});

test('protocol selection: the protocol most members prefer among those all support', () => {
  const group = new Group('g', limits, 0);
  const both = (first: string, second: string) => [
    { name: first, metadata: Buffer.from(first) },
    { name: second, metadata: Buffer.from(second) },
  ];
  const a = joinNew(group, 0, { protocols: both('range', 'roundrobin') });
  joinNew(group, 0, { protocols: both('roundrobin', 'range') });
  joinNew(group, 0, { protocols: both('roundrobin', 'range') });
  const answer = joinAnswer(settle(group), a.token)!;
  assert.equal(answer.protocolName, 'roundrobin');
  assert.ok(
    answer.members.every((m) => m.metadata.toString() === 'roundrobin'),
    'the leader gets the metadata of the chosen protocol',
  );
});

test('KIP-394: a member id handed out but never used expires after the session timeout', () => {
  const group = new Group('g', limits, 0);
  const first = joinInput();
  const id = joinAnswer(group.join(first, 0), first.token)!.memberId;
  assert.equal(group.nextDeadlineMs(), 10_000);
  group.tick(10_000);
  const late = joinInput({ memberId: id });
  assert.equal(joinAnswer(group.join(late, 10_001), late.token)!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('OffsetCommit rules: generation -1 on an empty group, REBALANCE_IN_PROGRESS while completing, stale generations refused', () => {
  const empty = new Group('g', limits, 0);
  assert.equal(empty.validateCommit('', null, -1, 0), ErrorCode.NONE);
  assert.equal(empty.validateCommit('someone', null, 3, 0), ErrorCode.UNKNOWN_MEMBER_ID);

  const group = new Group('g', limits, 0);
  const a = joinNew(group, 0);
  group.tick(300);
  assert.equal(group.state, 'CompletingRebalance');
  assert.equal(group.validateCommit(a.memberId, null, 1, 300), ErrorCode.REBALANCE_IN_PROGRESS);

  const stable = stableGroup(2);
  assert.equal(stable.group.validateCommit(stable.ids[1], null, stable.generation, 1000), ErrorCode.NONE);
  assert.equal(stable.group.validateCommit(stable.ids[1], null, stable.generation - 1, 1000), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(stable.group.validateCommit('stranger', null, stable.generation, 1000), ErrorCode.UNKNOWN_MEMBER_ID);
  // Members may still commit what they processed while a rebalance is being prepared.
  stable.group.join(joinInput({ memberId: stable.ids[0] }), 1000);
  assert.equal(stable.group.state, 'PreparingRebalance');
  assert.equal(stable.group.validateCommit(stable.ids[1], null, stable.generation, 1001), ErrorCode.NONE);
});

test('a member rejoining with the same protocols while Stable gets the current generation without a rebalance', () => {
  const { group, ids, generation } = stableGroup(2);
  const again = joinInput({ memberId: ids[1] });
  const answer = joinAnswer(group.join(again, 1000), again.token)!;
  assert.equal(answer.generationId, generation);
  assert.equal(group.state, 'Stable');
});

test('a second join from the same member while parked answers the first one, so the connection is not stuck', () => {
  const group = new Group('g', limits, 0);
  const a = joinNew(group, 0);
  const again = joinInput({ memberId: a.memberId });
  const e = group.join(again, 10);
  assert.equal(joinAnswer(e, a.token)!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(joinAnswer(group.tick(300), again.token)!.errorCode, ErrorCode.NONE);
});

test('group record round trip: a loaded group is Stable with the same generation, leader and assignments', () => {
  const { group, ids, generation, leader } = stableGroup(3);
  const loaded = Group.fromRecord('g', group.toRecord(), limits, 50_000);
  assert.equal(loaded.state, 'Stable');
  assert.equal(loaded.generationId, generation);
  assert.equal(loaded.leader, leader);
  assert.deepEqual(
    loaded.memberViews().map((m) => m.assignment.toString()),
    ['p0', 'p1', 'p2'],
  );
  // Loaded members must heartbeat within a fresh session, counted from the load.
  assert.equal(loaded.heartbeat(ids[1], null, generation, 55_000), ErrorCode.NONE);
  assert.equal(loaded.nextDeadlineMs(), 60_000);
  const empty = new Group('e', limits, 0);
  assert.equal(Group.fromRecord('e', empty.toRecord(), limits, 0).state, 'Empty');
});

// BootstrapDecider rules (src/node/bootstrap.ts): founders agree on one configuration with
// the real storage ids, a group that exists is never bootstrapped again, restarts never
// bootstrap, waiting is bounded and says who is missing. Time is an input: no clock, no I/O.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BootstrapDecider,
  foundingConfState,
  membershipOf,
  recommendedSettleMs,
  type BootstrapConfig,
  type BootstrapDecision,
} from '../../../src/node/bootstrap.ts';
import { bootstrapEntries } from '../../../src/raft/storage.ts';
import { InvariantError } from '../../../src/base/invariant.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';

const SETTLE = 2_200;
const MAX_WAIT = 60_000;
const LOG_EVERY = 10_000;

function sid(id: number, disk = 'a'): string {
  return `storage-${id}-${disk}`;
}

function decider(nodeId: number, over: Partial<BootstrapConfig> = {}): BootstrapDecider {
  return new BootstrapDecider({
    group: '__metadata',
    nodeId,
    storageId: sid(nodeId),
    foundingMembers: [1, 2, 3],
    metadataVoters: 3,
    initialClusterState: 'new',
    storageEmpty: true,
    settleMs: SETTLE,
    maxWaitMs: MAX_WAIT,
    logIntervalMs: LOG_EVERY,
    nowMs: 0,
    ...over,
  });
}

function kind(d: BootstrapDecision): string {
  return d.kind;
}

test('recommendedSettleMs covers two election timeouts and two heartbeats (2,200 ms with the defaults)', () => {
  assert.equal(recommendedSettleMs(100, 10, 1), 2_200);
  assert.throws(() => recommendedSettleMs(0, 10, 1), RangeError);
});

test('three fresh founders, told of each other in different orders and at different times, compute the identical ConfState and byte-identical bootstrap entries', () => {
  const rng = new SeededRng(4);
  for (let round = 0; round < 50; round++) {
    const ids = [1, 2, 3];
    const results = ids.map((me) => {
      const d = decider(me);
      const others = ids.filter((x) => x !== me);
      if (rng.chance(0.5)) others.reverse();
      let now = rng.int(0, 1000);
      for (const peer of others) {
        now += rng.int(0, 3000);
        d.peerConnected(peer, sid(peer), now);
        assert.equal(kind(d.decision), 'wait', 'no bootstrap before every founder is known and the window has passed');
      }
      assert.equal(kind(d.tick(now + SETTLE - 1)), 'wait', 'settle window not over');
      const out = d.tick(now + SETTLE);
      assert.equal(out.kind, 'bootstrap');
      return out;
    });
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    const cs = results[0]!.kind === 'bootstrap' ? results[0]!.confState : assert.fail('not bootstrap');
    assert.deepEqual(cs, { voters: ids.map((id) => ({ id, storageId: sid(id) })), learners: [] });
    const bytes = results.map((r) => (r.kind === 'bootstrap' ? bootstrapEntries(r.confState).map((e) => Buffer.from(e.data).toString('hex')) : []));
    assert.deepEqual(bytes[1], bytes[0]);
    assert.deepEqual(bytes[2], bytes[0]);
  }
});

test('voters are the first metadataVoters founding members by node id (not config order), learners the rest, each with its handshake storage id', () => {
  const founding = [5, 1, 4, 2, 3];
  const d = decider(4, { foundingMembers: founding, metadataVoters: 3 });
  for (const p of [5, 3, 1, 2]) d.peerConnected(p, sid(p), 10);
  const out = d.tick(10 + SETTLE);
  assert.deepEqual(out, {
    kind: 'bootstrap',
    confState: { voters: [1, 2, 3].map((id) => ({ id, storageId: sid(id) })), learners: [4, 5].map((id) => ({ id, storageId: sid(id) })) },
  });
  // The pure function agrees, whatever the map's insertion order.
  assert.deepEqual(foundingConfState(new Map([5, 4, 3, 2, 1].map((id) => [id, sid(id)])), 3), out.kind === 'bootstrap' ? out.confState : null);
});

test('a single-node cluster bootstraps itself after the settle window', () => {
  const d = decider(1, { foundingMembers: [1] });
  assert.equal(kind(d.decision), 'wait');
  assert.deepEqual(d.tick(SETTLE), { kind: 'bootstrap', confState: { voters: [{ id: 1, storageId: sid(1) }], learners: [] } });
});

test('a restart never bootstraps: non-empty storage restarts from disk with new or existing, whatever peers do', () => {
  for (const initialClusterState of ['new', 'existing'] as const) {
    const d = decider(1, { storageEmpty: false, initialClusterState });
    assert.equal(kind(d.decision), 'restart');
    assert.match(d.takeLogs()[0]!.msg, /restarting from it/);
    d.peerConnected(2, sid(2), 1);
    d.peerConnected(3, sid(3), 2);
    d.groupMessage(2, 5, 3);
    d.tick(MAX_WAIT * 2);
    assert.equal(kind(d.decision), 'restart');
  }
});

test("'existing' with empty storage joins at once and never bootstraps", () => {
  const d = decider(4, { initialClusterState: 'existing' });
  assert.equal(kind(d.decision), 'join');
  for (const p of [1, 2, 3]) d.peerConnected(p, sid(p), 1);
  assert.equal(kind(d.tick(MAX_WAIT * 2)), 'join');
});

test('issue 9 item 2: a node whose state of the group was lost (the runnel.db identity kept) never bootstraps: it joins as a new member', () => {
  // A lost metadata directory must not let the node found the group again under its old
  // identity, even with 'new' and every founder connected and quiet through the settle window.
  const d = decider(1, { lostState: 'raft.state is missing', storageId: `${sid(1)}/5e1f0a2b` });
  assert.equal(kind(d.decision), 'join');
  const line = d.takeLogs().find((l) => l.level === 'warn');
  assert.ok(line, 'a warning says why');
  assert.match(line.msg, /__metadata/);
  assert.match(line.msg, /raft\.state is missing/);
  for (const p of [2, 3]) d.peerConnected(p, sid(p), 1);
  assert.equal(kind(d.tick(MAX_WAIT * 2)), 'join');
});

test('missing founding members keep it waiting, with a periodic log line naming them and why; after maxWaitMs it refuses, naming them', () => {
  const d = decider(1);
  let logs = d.takeLogs();
  assert.equal(logs.length, 1, 'a first line at start');
  assert.match(logs[0]!.msg, /missing: 2 \(never connected\), 3 \(never connected\)/);
  d.peerConnected(2, sid(2), 1_000);
  d.peerDisconnected(2, 2_000);
  d.peerConnected(3, '', 3_000);
  assert.equal(d.takeLogs().length, 0, 'no line before the interval is over');
  assert.equal(kind(d.tick(LOG_EVERY)), 'wait');
  logs = d.takeLogs();
  assert.equal(logs.length, 1);
  assert.equal(logs[0]!.level, 'warn');
  assert.match(logs[0]!.msg, /2 \(not connected \(last seen with storage id storage-2-a\)\), 3 \(connected but announced no storage id/);
  assert.deepEqual(logs[0]!.fields.missing, [
    { node: 2, why: 'not connected (last seen with storage id storage-2-a)' },
    { node: 3, why: 'connected but announced no storage id (its transport was started without one)' },
  ]);
  // A long gap between ticks gives one line, not one per missed interval.
  d.tick(LOG_EVERY * 4 + 1);
  assert.equal(d.takeLogs().length, 1);
  d.tick(LOG_EVERY * 4 + 2);
  assert.equal(d.takeLogs().length, 0);
  const out = d.tick(MAX_WAIT);
  assert.equal(out.kind, 'refuse');
  assert.match(out.kind === 'refuse' ? out.reason : '', /gave up after 60000 ms .* missing: 2 \(not connected.*\), 3 \(connected but announced no storage id/);
  assert.equal(d.takeLogs().at(-1)!.level, 'error');
});

test('a wiped founder restarted with new while the others hold logs is never bootstrapped, and is refused once the group shows its old identity', () => {
  // Node 3's disk was wiped: it has a new storage id; nodes 1 and 2 run the group.
  const d = decider(3, { storageId: sid(3, 'wiped') });
  d.peerConnected(1, sid(1), 100);
  d.peerConnected(2, sid(2), 150);
  assert.equal(kind(d.decision), 'wait', 'every id known, but the settle window is not over');
  // The leader heartbeats every member well within the window.
  const out = d.groupMessage(1, 7, 150 + 100);
  assert.equal(out.kind, 'join', 'a peer with a log: start empty, never bootstrap');
  assert.match(d.takeLogs().at(-1)!.msg, /peer 1 already holds a log .* term 7/);
  assert.equal(kind(d.tick(150 + SETTLE * 10)), 'join', 'no bootstrap later either');
  // Replication delivers the founding configuration, which names node 3 with its old disk.
  const existing = { voters: [1, 2, 3].map((id) => ({ id, storageId: sid(id) })), learners: [] };
  const refused = d.configurationLearned(existing, 150 + SETTLE * 10);
  assert.equal(refused.kind, 'refuse');
  const reason = refused.kind === 'refuse' ? refused.reason : '';
  assert.match(reason, /names node 3 with storage id storage-3-a, but this disk is storage-3-wiped/);
  assert.match(reason, /initial_cluster_state: existing/);
  assert.match(reason, /runnel cluster replace-disk 3 \(removes node 3's old identity storage-3-a, then adds it with storage-3-wiped/);
});

test('the settle window covers the race in which a wiped node learns every id before any Raft message arrives', () => {
  const d = decider(3, { storageId: sid(3, 'wiped') });
  d.peerConnected(1, sid(1), 0);
  d.peerConnected(2, sid(2), 0);
  // Without the window this node would bootstrap right here with storage-3-wiped.
  assert.equal(kind(d.tick(SETTLE - 1)), 'wait');
  assert.equal(kind(d.groupMessage(2, 3, SETTLE - 1)), 'join');
});

test('a slow co-founder that hears from a founder which already bootstrapped joins, and the replicated configuration makes it a member (no refusal)', () => {
  const fast = decider(1);
  fast.peerConnected(2, sid(2), 0);
  fast.peerConnected(3, sid(3), 0);
  const founded = fast.tick(SETTLE);
  assert.equal(founded.kind, 'bootstrap');
  // Node 3 still misses node 2 (its connection is in reconnect backoff) when node 1 campaigns.
  const slow = decider(3);
  slow.peerConnected(1, sid(1), 0);
  assert.equal(kind(slow.groupMessage(1, 2, SETTLE + 1500)), 'join');
  slow.peerConnected(2, sid(2), SETTLE + 3000);
  assert.equal(kind(slow.tick(SETTLE * 5)), 'join', 'a join is never turned into a bootstrap');
  // Configurations apply one entry at a time: not yet naming node 3 says nothing.
  assert.equal(kind(slow.configurationLearned({ voters: [{ id: 1, storageId: sid(1) }], learners: [] }, SETTLE * 5)), 'join');
  const cs = founded.kind === 'bootstrap' ? founded.confState : assert.fail();
  assert.equal(kind(slow.configurationLearned(cs, SETTLE * 5)), 'join');
  assert.match(slow.takeLogs().at(-1)!.msg, /it is a member/);
});

test('messages of term 0 do not show a log (an empty node never campaigns), so they do not stop a bootstrap', () => {
  const d = decider(1);
  d.peerConnected(2, sid(2), 0);
  d.peerConnected(3, sid(3), 0);
  d.groupMessage(2, 0, 10);
  assert.equal(kind(d.tick(SETTLE)), 'bootstrap');
});

test('a founding member disconnecting during the settle window restarts it; a non-founding peer connecting does not', () => {
  const d = decider(1, { foundingMembers: [1, 2, 3] });
  d.peerConnected(2, sid(2), 0);
  d.peerConnected(3, sid(3), 0);
  d.peerConnected(9, sid(9), 1000); // not a founding member
  d.peerDisconnected(3, 1_500);
  d.peerConnected(3, sid(3), 1_600);
  assert.equal(kind(d.tick(SETTLE)), 'wait', 'the window restarted at 1,600');
  assert.equal(kind(d.tick(1_600 + SETTLE)), 'bootstrap');
});

test('a founder whose disk was replaced before founding is used with its current storage id', () => {
  const d = decider(1);
  d.peerConnected(2, sid(2), 0);
  d.peerDisconnected(2, 10);
  d.peerConnected(2, sid(2, 'b'), 20);
  assert.match(
    d
      .takeLogs()
      .map((l) => l.msg)
      .join('\n'),
    /reconnected with another storage id/,
  );
  d.peerConnected(3, sid(3), 30);
  const out = d.tick(30 + SETTLE);
  assert.deepEqual(out.kind === 'bootstrap' ? out.confState.voters[1] : null, { id: 2, storageId: sid(2, 'b') });
});

test('two founding members with the same storage id (a copied data directory) are refused', () => {
  const d = decider(1);
  d.peerConnected(2, sid(1), 0);
  d.peerConnected(3, sid(3), 0);
  const out = d.decision;
  assert.equal(out.kind, 'refuse');
  assert.match(out.kind === 'refuse' ? out.reason : '', /founding members 1 and 2 both have storage id storage-1-a/);
});

test("'new' on a node that is not a founding member is refused with the way out", () => {
  const out = decider(7).decision;
  assert.equal(out.kind, 'refuse');
  assert.match(out.kind === 'refuse' ? out.reason : '', /node 7 is not in cluster.initial_members \(1, 2, 3\).*initial_cluster_state: existing/);
});

test("an 'existing' node that the group knows with an old disk stays joined and is warned once with the replace-disk instruction", () => {
  const d = decider(3, { initialClusterState: 'existing', storageId: sid(3, 'new') });
  d.takeLogs();
  const cs = { voters: [1, 2, 3].map((id) => ({ id, storageId: sid(id) })), learners: [] };
  assert.equal(kind(d.configurationLearned(cs, 1)), 'join');
  assert.equal(kind(d.configurationLearned(cs, 2)), 'join');
  const logs = d.takeLogs();
  assert.equal(logs.length, 1);
  assert.equal(logs[0]!.level, 'warn');
  assert.match(logs[0]!.msg, /replace-disk 3/);
});

test('membershipOf: member, absent, or named with another storage id', () => {
  const cs = { voters: [{ id: 1, storageId: 'x' }], learners: [{ id: 2, storageId: 'y' }] };
  assert.equal(membershipOf(1, 'x', cs), 'member');
  assert.equal(membershipOf(2, 'y', cs), 'member');
  assert.equal(membershipOf(3, 'z', cs), 'absent');
  assert.deepEqual(membershipOf(2, 'z', cs), { staleStorageId: 'y' });
});

test('inputs are checked: bad configuration throws RangeError, time going backwards is an invariant violation', () => {
  assert.throws(() => decider(1, { storageId: '' }), RangeError);
  assert.throws(() => decider(1, { foundingMembers: [] }), RangeError);
  assert.throws(() => decider(1, { foundingMembers: [1, 1, 2] }), RangeError);
  assert.throws(() => decider(1, { metadataVoters: 0 }), RangeError);
  assert.throws(() => decider(1, { maxWaitMs: SETTLE }), RangeError);
  assert.throws(() => decider(1, { initialClusterState: 'fresh' as 'new' }), RangeError);
  const d = decider(1, { nowMs: 100 });
  assert.throws(() => d.tick(99), InvariantError);
  assert.throws(() => d.peerConnected(1, sid(1), 100), InvariantError, 'this node is not its own peer');
  assert.throws(() => d.groupMessage(2, -1, 100), InvariantError);
});

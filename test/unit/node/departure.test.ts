// Issue 11, leave: a broker that left the cluster stops only once it is no voter of __metadata
// (src/node/departure.ts): learner at once; voter once it has known no leader for two election
// timeouts (the leader stopped replicating to it after removing it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Departure } from '../../../src/node/departure.ts';

test('issue 11 leave: not removed, never stops; removed as a learner (or no member), stops at once', () => {
  const d = new Departure(2_000);
  assert.equal(d.mayStop({ voter: false, leader: 0, nowMs: 0 }), false, 'not removed yet');
  d.removed(10);
  assert.equal(d.mayStop({ voter: false, leader: 3, nowMs: 10 }), true);
});

test('issue 11 leave: removed but still a voter with a leader, it waits; leaderless for the limit, it stops; a leader heard again restarts the count', () => {
  const d = new Departure(2_000);
  d.removed(0);
  assert.equal(d.mayStop({ voter: true, leader: 3, nowMs: 100 }), false, 'still a voter the leader replicates to');
  assert.equal(d.mayStop({ voter: true, leader: 0, nowMs: 1_000 }), false);
  assert.equal(d.mayStop({ voter: true, leader: 3, nowMs: 2_500 }), false, 'an election, not a removal');
  assert.equal(d.mayStop({ voter: true, leader: 0, nowMs: 3_000 }), false);
  assert.equal(d.mayStop({ voter: true, leader: 0, nowMs: 4_999 }), false);
  assert.equal(d.mayStop({ voter: true, leader: 0, nowMs: 5_000 }), true);
});

// The simulator as part of `npm test`: a fixed, bounded set of seeds (3 and 5 nodes,
// all fault kinds), and a determinism check by trace hash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeed } from './sim.ts';
import { formatFailure, optionsFor } from './run.ts';

const SEEDS = 800;
const TICKS = 2000;

test(`simulation: ${SEEDS} seeds of ${TICKS} ticks keep every safety invariant and recover (Raft §5, thesis §3-§6)`, () => {
  const elect: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runSeed(seed, optionsFor(seed, 0, TICKS, false));
    assert.ok(r.ok, formatFailure(r));
    elect.push(r.ticksToElect);
  }
  // Every seed reached the liveness goal, so each one has a measured election time.
  assert.equal(elect.filter((t) => t < 0).length, 0);
});

test('simulation: the same seed replays the same event trace, another seed does not', () => {
  const opts = { nodes: 5, safetyTicks: 600, livenessTicksMax: 200, trace: true };
  const a = runSeed(4242, opts);
  const b = runSeed(4242, opts);
  const c = runSeed(4243, opts);
  assert.ok(a.ok, formatFailure(a));
  assert.equal(a.traceHash, b.traceHash);
  assert.deepEqual(a.faults, b.faults);
  assert.deepEqual(a.stats, b.stats);
  assert.notEqual(a.traceHash, c.traceHash);
});

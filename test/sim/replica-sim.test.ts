// The whole-replica simulator (replica-sim.ts) as part of `npm test`: a fixed, bounded set of
// seeds with the production RaftHost, RaftLogStorage and ReplicatedPartition on every node, a
// determinism check, and the known paths to lost data it finds that are not fixed yet (as TODO
// tests: they run and report, and pass once the fix lands).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_KINDS, runReplicaSeed } from './replica-sim.ts';
import { formatFailure, replicaOptionsFor } from './run.ts';

const SEEDS = 100;
const TICKS = 2000;

// Left out of the bounded set until their fixes land (then drop the exclusions): removing one
// group's directory (issue 9 item 2) and retention (issue 9 item 5), each with a TODO test below.
const FAULTS = FAULT_KINDS.filter((k) => k !== 'group-wipe');
const REPLAY = `--replica --faults ${FAULTS.join(',')}`;

test(`replica simulation: ${SEEDS} seeds of ${TICKS} ticks keep every safety invariant and recover (Raft §5; acks=all never lost; reads stay below the commit)`, async () => {
  const elect: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await runReplicaSeed(seed, { ...replicaOptionsFor(seed, 0, TICKS, false, undefined, FAULTS), retention: false });
    assert.ok(r.ok, formatFailure(r, REPLAY));
    elect.push(r.ticksToElect);
  }
  assert.equal(elect.filter((t) => t < 0).length, 0);
});

test('replica simulation: the same seed replays the same message trace, another seed does not', async () => {
  const opts = { nodes: 3, safetyTicks: 400, livenessTicksMax: 200, trace: true, retention: false, faults: FAULTS };
  const a = await runReplicaSeed(4242, opts);
  const b = await runReplicaSeed(4242, opts);
  const c = await runReplicaSeed(4243, opts);
  assert.ok(a.ok, formatFailure(a));
  assert.equal(a.traceHash, b.traceHash);
  assert.deepEqual(a.faults, b.faults);
  assert.deepEqual(a.stats, b.stats);
  assert.notEqual(a.traceHash, c.traceHash);
});

/** Runs a scenario's seeds; fails with the first failure. */
async function scenario(name: string, seeds: number[]): Promise<void> {
  for (const seed of seeds) {
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, TICKS, false, name));
    assert.ok(r.ok, formatFailure(r, `--replica --scenario ${name}`));
  }
}

test(
  'replica simulation: a replica whose group directory was removed never votes or acknowledges as its old self (issue 9 item 2)',
  { todo: 'issue 9 item 2: the replica re-founds the group under its old identity (seeds 1, 6, 27: a crash on "commit beyond last index", two leaders in one term, a leader missing committed entries)' },
  () => scenario('group-lost', [1, 6, 27]),
);

test(
  'replica simulation: retention up to the in-memory commit survives a power loss (issue 9 item 5)',
  { todo: 'issue 9 item 5: after a power loss the stored commit lies below the log start and the broker will not start' },
  () => scenario('retention', [1, 2, 3]),
);

test(
  'replica simulation: a power loss right after a partition group is founded cannot make a founder a leader on its own (founding entries are durable before use)',
  { todo: 'bootstrap() writes the founding entries and hard state without an fsync: a torn founding log leaves a founder whose configuration names only itself; it elects itself in term 1 and commits entries the group never saw (seeds 2, 4)' },
  () => scenario('founding', [2, 4]),
);

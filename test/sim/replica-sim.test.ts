// The whole-replica simulator (replica-sim.ts) as part of `npm test`: a fixed, bounded set of
// seeds with the production RaftHost, RaftLogStorage and ReplicatedPartition on every node, a
// determinism check, the scenarios aimed at issue 9's known paths and at bug B5, and the open bugs
// it finds (TODO tests: they run and report, and pass once the fix lands).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runReplicaSeed } from './replica-sim.ts';
import { defaultArgs, formatFailure, replicaOptionsFor, runOne } from './run.ts';
import { runPool } from './seed-pool.ts';

/** About half the seeds draw file disks (PartitionLog on the page-cache file system), which cost about 1.5 times as much. */
const SEEDS = 50;
const TICKS = 1200;
/** The scenario seeds below were picked (and failed before their fixes) at the runner's default length. */
const SCENARIO_TICKS = 2000;

test(`replica simulation: ${SEEDS} seeds of ${TICKS} ticks, every fault kind, keep every safety invariant and recover (Raft §5; acks=all never lost; reads stay below the commit)`, async () => {
  const elect: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    // Faults from tick 0: a crash during the founding itself hit B5 before its fix.
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, TICKS, false));
    assert.ok(r.ok, formatFailure(r, '--replica'));
    elect.push(r.ticksToElect);
  }
  assert.equal(elect.filter((t) => t < 0).length, 0);
});

test('replica simulation: the same seed replays the same message trace, another seed does not', async () => {
  const opts = { nodes: 3, safetyTicks: 400, livenessTicksMax: 200, trace: true };
  const a = await runReplicaSeed(4242, opts);
  const b = await runReplicaSeed(4242, opts);
  const c = await runReplicaSeed(4243, opts);
  assert.ok(a.ok, formatFailure(a, '--replica'));
  assert.equal(a.traceHash, b.traceHash);
  assert.deepEqual(a.faults, b.faults);
  assert.deepEqual(a.stats, b.stats);
  assert.notEqual(a.traceHash, c.traceHash);
});

test('replica simulation: a seed run on a worker thread has the same outcome as in the main thread (issue 10: npm run sim -- --workers N)', async () => {
  const args = { ...defaultArgs(), replica: true, ticks: 300 };
  const seeds = [1, 2, 3];
  const alone = new Map<number, string>();
  for (const seed of seeds) alone.set(seed, (await runOne(args, seed)).digest);
  const pooled = new Map<number, string>();
  await runPool<{ digest: string }>(new URL('./seed-worker.ts', import.meta.url), args, seeds, 2, {
    onOutcome: (seed, outcome) => {
      pooled.set(seed, outcome.digest);
      return true;
    },
  });
  assert.deepEqual(
    [...pooled.entries()].sort((a, b) => a[0] - b[0]),
    [...alone.entries()],
  );
  assert.equal(new Set(alone.values()).size, seeds.length);
});

/** Runs a scenario's seeds; fails with the first failure. */
async function scenario(name: string, seeds: number, first = 1): Promise<void> {
  for (let seed = first; seed < first + seeds; seed++) {
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, SCENARIO_TICKS, false, name));
    assert.ok(r.ok, formatFailure(r, `--replica --scenario ${name}`));
  }
}

test('replica simulation: a replica whose group directory was removed never votes or acknowledges as its old self (issue 9 item 2)', () =>
  // Before the fix, 4 of seeds 1-10 failed (a crash on "commit beyond last index", two leaders in one term, a leader missing committed entries).
  scenario('group-lost', 10));

test('replica simulation: retention up to the in-memory commit survives a power loss (issue 9 item 5)', () =>
  // Before the fix, about 1 seed in 10 failed: after a power loss the stored commit lay below the log start and the broker would not start.
  scenario('retention', 10, 11));

test('replica simulation: a power loss right after a partition group is founded cannot make a founder a leader on its own (B5: founding entries are durable before use)', () =>
  // Before the fix, seeds 4, 7 and 8 failed: a torn founding log left a founder whose configuration
  // named only itself; it elected itself in term 1 and committed entries the group never saw.
  scenario('founding', 8));

test("replica simulation: the final check compares a follower's committed entries only once its storage holds them (B9, withdrawn: default-run seed 992)", async () => {
  // Raft §5.3: a follower learns the commit index from the leader's append, before the host has
  // written (and fsynced) the entries that replace its conflicting suffix; those are committed in
  // the core's log but not yet in storage. Before the fix the final check read storage up to the
  // commit index and reported the stale suffix (term 2 at entry 29 of t-0) as a committed entry
  // that differs from the leader's.
  const seed = 992;
  const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, SCENARIO_TICKS, false));
  assert.ok(r.ok, formatFailure(r, '--replica'));
});

/** Runs `seeds` of a scenario and lists the failures (for the TODO tests of open bugs). */
async function failures(seeds: readonly number[], scenarioName: string): Promise<void> {
  const failed: string[] = [];
  for (const seed of seeds) {
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, SCENARIO_TICKS, false, scenarioName));
    if (!r.ok) failed.push(formatFailure(r, `--replica --scenario ${scenarioName}`));
  }
  assert.deepEqual(failed, []);
}

test('replica simulation: a bit flip in a sealed segment is found by a read or the scrub and repaired from the peers, never applied, replicated or served (issue 9 item 3, B6)', () =>
  // Before the fix 29 of seeds 1..40 failed: sealed segments load without a CRC check, and the
  // replica kept the changed batch (log matching broken, a committed entry differing from the
  // leader's; seed 31: a flipped term, 1026; seed 35: the metadata-like group).
  failures([5, 14, 31, 35], 'sealed-damage'));

// B7 in docs/reliability.md: recovery cut it as a torn tail, the replica had lost entries it
// acknowledged and died on the leader's next heartbeat (`commit 118 beyond last index 117`,
// seed 6); the synced mark (src/storage/synced-mark.ts) now tells it is damage.
test('replica simulation: a bit flip in synced data of the last segment above the stored commit is damage, not a torn tail (issue 9 item 3)', () =>
  failures([6], 'log-damage'));

// B11 in docs/reliability.md: a power loss tore node 1's unsynced raft.state write of
// {term 3} after its sequence, the slot read as the newest with its old body {term 2}, recovery
// cut the acknowledged entry 18 of term 3 and the node died on `commit 18 beyond last index 17`.
test('replica simulation: a torn raft.state write never brings back an older term (Raft §5.1: the stored term never goes back; B11)', () =>
  failures([97], 'sealed-damage'));

// The fault model (issue 10): bit flips in synced data hit a minority of a group's voters only.
// Default-run seed 6809 failed its liveness phase before the scheduler kept to it: node 2's
// replica of t-0 took a flip, then the operator removed voter 1, leaving {2, 3}; node 2 came back
// under a new id and the group had lost a majority of its voters for good. Now such a change is
// skipped (and noted), since it would leave no majority of intact voters. Which seed draws which
// fault moves whenever the number of fsyncs changes (B12's mirrored raft.state writes moved
// 6809's, and their move into sync() moved 6799's; issue 10's fourth speed round, fewer microtask
// turns per host round, moved 5, 43, 56 and 65's), so the test runs a few seeds that draw both a
// skipped removal and a skipped damage now and asks for each kind among them.
test("replica simulation: faults damage a minority of a group's voters only; a change that would leave no intact majority is skipped (issue 10 fault model)", async () => {
  const faults: string[] = [];
  for (const seed of [25, 85]) {
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, SCENARIO_TICKS, false));
    assert.ok(r.ok, formatFailure(r, '--replica'));
    faults.push(...r.faults);
  }
  assert.ok(
    faults.some((f) => /conf change removeNode \d+ skipped/.test(f)),
    faults.join('\n'),
  );
  assert.ok(
    faults.some((f) => /damage on \d+ skipped/.test(f)),
    faults.join('\n'),
  );
});

// B12 in docs/reliability.md: node 2's vote for node 1 in term 10 was in its newer raft.state
// slot; a flip there made load fall back to the older slot (term 9), node 2 campaigned in term 10
// and won it beside node 1. Term and vote changes are now written to both slots. The direct proof
// is the flip test in test/unit/partition/raft-state-store.test.ts; this seed, whose schedule has
// moved since (it now flips __meta's slots at t=76 and t=182), stays as a regression run.
test('replica simulation: a bit flip in the newer raft.state slot never rolls back a durable vote (Raft §5.2; B12, seed 3617)', async () => {
  const seed = 3617;
  const r = await runReplicaSeed(seed, replicaOptionsFor(seed, 0, SCENARIO_TICKS, false));
  assert.ok(r.ok, formatFailure(r, '--replica'));
});

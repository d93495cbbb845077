// Unsafe recovery under seeded faults (issue 11 part 4; docs/raft.md, "Forced configuration"):
// for each seed, a group of 3 or 5 runs with random proposals, isolations and message loss; then
// a majority is lost, the survivor with the longest log forces a configuration of all survivors,
// which they all receive; then the lost members come back with their old disks (their old configuration, in which they
// are a majority) while faults go on. The test/sim simulator checks one history per group, which
// a recovery that leaves the old majority running ends on purpose, so this runs on the scenario
// harness instead, with the checks that hold on the survivors' side:
//   - nothing throws (every core invariant holds on every node, the old ones included);
//   - the entries the forcing node had up to the forced entry never change on it;
//   - the survivors' applied entries agree index by index (one history among them);
//   - a survivor never follows an old member;
//   - once faults stop, the survivors elect a leader among themselves and commit a new entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/index.ts';
import { TestCluster } from './harness.ts';

const SEEDS = Number(process.env.UNSAFE_RECOVERY_SEEDS ?? 120);

function upToDate(c: TestCluster, a: number, b: number): number {
  // §5.4.1 order: the higher last term, then the longer log.
  const ta = c.node(a).termAt(c.node(a).lastIndex) ?? 0;
  const tb = c.node(b).termAt(c.node(b).lastIndex) ?? 0;
  return ta !== tb ? ta - tb : c.node(a).lastIndex - c.node(b).lastIndex;
}

function entryKey(e: Entry): string {
  return `${e.term}:${e.type}:${Buffer.from(e.data).toString('hex')}`;
}

function runSeed(seed: number): void {
  const rng = new Rng(seed);
  const ids = seed % 2 === 0 ? [1, 2, 3, 4, 5] : [1, 2, 3];
  const c = new TestCluster(ids, { checkQuorum: true, preVote: true }, seed);
  let drop = 0;
  c.dropIf = () => drop > 0 && rng.chance(drop);
  let proposals = 0;
  const step = (faults: boolean) => {
    if (faults && rng.chance(0.05)) {
      const id = rng.pick(ids);
      if (c.isolated.has(id)) c.isolated.delete(id);
      else c.isolated.add(id);
    }
    drop = faults ? rng.pick([0, 0, 0.05, 0.2]) : 0;
    for (const id of c.leaders()) if (rng.chance(0.5)) c.node(id).propose(new TextEncoder().encode(`p${++proposals}`));
    c.tickAll(1);
  };
  for (let t = 0; t < 100; t++) step(true);

  // A majority is lost for good: cut off, and (below) later back with its old disks.
  const lost = new Set<number>();
  while (lost.size < Math.floor(ids.length / 2) + 1) lost.add(rng.pick(ids));
  const survivors = ids.filter((id) => !lost.has(id));
  c.isolated.clear();
  for (const id of lost) c.isolated.add(id);
  for (let t = 0; t < 60 && survivors.some((id) => c.node(id).lead !== 0); t++) step(false);
  for (const id of survivors) assert.equal(c.node(id).lead, 0, `seed ${seed}: survivor ${id} still knows a leader`);
  const forcer = survivors.reduce((best, id) => (upToDate(c, id, best) > 0 ? id : best));
  const forced = c.node(forcer).forceConfiguration(survivors);
  assert.ok(forced.ok, `seed ${seed}: ${JSON.stringify(forced)}`);
  c.stabilize();
  // The kept voters must hold the forced configuration (and so the fence) before an old member
  // can reach them: until then they are in the old configuration and may follow its leader.
  for (let t = 0; t < 200 && survivors.some((id) => c.node(id).status().configIndex < forced.index); t++) step(false);
  for (const id of survivors) assert.ok(c.node(id).status().configIndex >= forced.index, `seed ${seed}: survivor ${id} never got the forced configuration`);
  const kept = c
    .peer(forcer)
    .storage.entries(c.peer(forcer).storage.firstIndex(), forced.index + 1, Number.MAX_SAFE_INTEGER)
    .map(entryKey);

  // The old members return with their old disks while faults go on among everyone.
  c.isolated.clear();
  for (let t = 0; t < 150; t++) {
    step(true);
    for (const id of survivors) {
      const lead = c.node(id).lead;
      assert.ok(lead === 0 || survivors.includes(lead), `seed ${seed}: survivor ${id} follows old member ${lead}`);
    }
  }
  const now = c
    .peer(forcer)
    .storage.entries(c.peer(forcer).storage.firstIndex(), forced.index + 1, Number.MAX_SAFE_INTEGER)
    .map(entryKey);
  assert.deepEqual(now, kept, `seed ${seed}: entries up to the forced one changed on the forcing node`);

  // Faults stop among the survivors (the old members may go on): a leader among them commits.
  for (const id of survivors) c.isolated.delete(id);
  let committed = false;
  for (let t = 0; t < 200 && !committed; t++) {
    const leader = survivors.find((id) => c.node(id).state === 'leader');
    if (leader !== undefined) {
      const r = c.node(leader).propose(new TextEncoder().encode('after'));
      c.tickAll(3);
      committed = r.ok && survivors.every((id) => c.node(id).commit >= r.index);
    } else step(false);
  }
  assert.ok(committed, `seed ${seed}: the survivors [${survivors}] never committed a new entry`);
  const applied = survivors.map((id) => new Map(c.peer(id).applied.map((e) => [e.index, entryKey(e)])));
  for (const [index, key] of applied[0]) {
    for (let k = 1; k < applied.length; k++) {
      const other = applied[k].get(index);
      assert.ok(other === undefined || other === key, `seed ${seed}: survivors ${survivors[0]} and ${survivors[k]} applied different entries at ${index}`);
    }
  }
}

test(`unsafe recovery under seeded faults: ${SEEDS} seeds, the survivors keep one history and the old majority never gets in`, () => {
  for (let seed = 1; seed <= SEEDS; seed++) runSeed(seed);
});

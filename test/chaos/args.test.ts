// The chaos runner's command line (test/chaos/args.ts) and the power-loss seeds of its brokers
// (cluster.ts): issue 10's power-loss fault needs brokers in the test-only power-loss mode, which
// is on by default; the fsync-disabled self-check is never part of `all`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from './args.ts';
import { powerLossSeed } from './cluster.ts';

test('issue 10 chaos: power-loss mode is on by default; all holds power-loss but not the power-loss-nofsync self-check', () => {
  const args = parseArgs([]);
  assert.equal(args.powerLossMode, true);
  const names = args.faults.map((f) => f.name);
  assert.ok(names.includes('power-loss'));
  assert.ok(!names.includes('power-loss-nofsync'));
  assert.ok(!names.includes('rollback-majority'));
});

test('issue 10 chaos: --no-power-loss-mode refuses faults that need the mode', () => {
  assert.equal(parseArgs(['--no-power-loss-mode', '--faults', 'kill']).powerLossMode, false);
  for (const f of ['power-loss', 'kill,power-loss-nofsync']) {
    assert.throws(() => parseArgs(['--no-power-loss-mode', '--faults', f]), UsageError);
  }
});

test('issue 10 chaos: each broker tears with its own seed, fixed by the run seed', () => {
  const seeds = [1, 2, 3, 4, 5].map((id) => powerLossSeed(101, id));
  assert.equal(new Set(seeds).size, 5);
  assert.deepEqual(
    seeds,
    [1, 2, 3, 4, 5].map((id) => powerLossSeed(101, id)),
  );
  assert.notDeepEqual(
    seeds,
    [1, 2, 3, 4, 5].map((id) => powerLossSeed(102, id)),
  );
  for (const s of seeds) assert.ok(Number.isSafeInteger(s) && s >= 0);
});

// The test-only power-loss mode (issue 10; docs/reliability.md, "Power loss"). Off unless a
// test sets RUNNEL_TEST_POWER_LOSS=1: then the storage layer writes through PowerLossFs, so a
// kill -9 of this process loses everything not fsynced, as a power loss would.
//   RUNNEL_TEST_POWER_LOSS_SEED=N  also tears: syncs write back random prefixes of other
//                                  files' pending writes (replayable per seed).
//   RUNNEL_TEST_SKIP_FSYNC=1       fsync/fdatasync do nothing: the broken build the
//                                  power-loss test must catch. Only with RUNNEL_TEST_POWER_LOSS.
// RUNNEL_TEST_* variables are not config fields (src/config/env.ts ignores the prefix).
//
// The machine stays up when only the process dies, so the page cache survives: in this mode a
// process that exits (a stop, process.exit, an uncaught error) writes its pending writes back
// first, and PAGE_CACHE_KILL_SIGNAL is a kill -9 with the page cache surviving (write back,
// then SIGKILL itself, with no JavaScript in between). Only a plain SIGKILL is a power loss.

import { Rng } from '../raft/rng.ts';
import { nodeFs, setStorageFs } from '../storage/fs.ts';
import { POWER_LOSS_LIMITS, PowerLossFs } from '../storage/power-loss-fs.ts';

export const POWER_LOSS_ENV = 'RUNNEL_TEST_POWER_LOSS';
export const POWER_LOSS_SEED_ENV = 'RUNNEL_TEST_POWER_LOSS_SEED';
export const SKIP_FSYNC_ENV = 'RUNNEL_TEST_SKIP_FSYNC';
/** Ends the process as a plain kill -9 would, keeping unsynced writes as the page cache would. */
export const PAGE_CACHE_KILL_SIGNAL = 'SIGUSR2';
/** With a seed, the chance that one sync tears each other file with pending writes. */
const TEAR_PROBABILITY = 0.25;

export interface PowerLossMode {
  fs: PowerLossFs;
  seed: number | null;
  skipFsync: boolean;
}

/** Reads the switches; returns null when the mode is off. Throws on a malformed value, naming the variable. */
export function powerLossModeFromEnv(env: NodeJS.ProcessEnv): PowerLossMode | null {
  const on = flag(env, POWER_LOSS_ENV);
  const skipFsync = flag(env, SKIP_FSYNC_ENV);
  const seedText = env[POWER_LOSS_SEED_ENV];
  if (!on) {
    if (skipFsync || seedText !== undefined) throw new Error(`${skipFsync ? SKIP_FSYNC_ENV : POWER_LOSS_SEED_ENV} needs ${POWER_LOSS_ENV}=1`);
    return null;
  }
  let seed: number | null = null;
  if (seedText !== undefined) {
    seed = Number(seedText);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${POWER_LOSS_SEED_ENV}: expected a non-negative integer, got ${JSON.stringify(seedText)}`);
  }
  const rng = seed === null ? null : new Rng(seed);
  const fs = new PowerLossFs(nodeFs, {
    skipFsync,
    random: rng === null ? null : () => rng.float(),
    tearProbability: TEAR_PROBABILITY,
    limits: POWER_LOSS_LIMITS,
  });
  return { fs, seed, skipFsync };
}

/**
 * Switches the storage layer to the mode's file system (call before any log opens) and makes
 * every way of ending the process except a plain SIGKILL keep the unsynced writes.
 */
export function enablePowerLossMode(mode: PowerLossMode): void {
  setStorageFs(mode.fs);
  process.on('exit', () => mode.fs.writeBackAll());
  process.on(PAGE_CACHE_KILL_SIGNAL, () => {
    mode.fs.writeBackAll();
    process.kill(process.pid, 'SIGKILL');
  });
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name];
  if (text === undefined || text === '' || text === '0') return false;
  if (text === '1') return true;
  throw new Error(`${name}: expected 1 or 0, got ${JSON.stringify(text)}`);
}

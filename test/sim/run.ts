// Runs simulator seeds: `npm run sim -- --seeds N --seed-start S [--nodes 3|5] [--ticks T] [--verbose]`.
// Without --nodes, odd seeds run 3 nodes and even seeds 5. Exits non-zero on the first failure.
//
// `--replica` runs the whole-replica simulator (replica-sim.ts) instead of the Raft-core one;
// with it, `--faults kill,power,...` limits the fault kinds and `--scenario NAME` picks a named
// run aimed at one known path (`--scenario list` lists them), `--faults -group-wipe` draws from
// every kind but those listed. `--keep-going` reports every failing seed (one line each) instead
// of stopping at the first. `--seed S` replays one seed with verbose output. `--disk files|memory`
// fixes the disks' kind (default: each seed draws it). `--workers N` runs the seeds on N worker
// threads (seed-pool.ts) and merges the report; each seed's result is the same as without them
// (compare the `digest` of the summary).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { runSeed, type SimResult } from './sim.ts';
import { FAULT_KINDS, SCENARIOS, runReplicaSeed, type FaultKind, type ReplicaSimOptions } from './replica-sim.ts';
import type { DiskKind } from './replica-profile.ts';
import { WORKERS_MAX, runPool } from './seed-pool.ts';

export interface Args {
  seeds: number;
  seedStart: number;
  nodes: number;
  ticks: number;
  verbose: boolean;
  replica: boolean;
  faults: FaultKind[] | undefined;
  scenario: string | undefined;
  keepGoing: boolean;
  disk: DiskKind | undefined;
  workers: number;
}

/** The arguments of a bare `npm run sim` (and the base of a test's). */
export function defaultArgs(): Args {
  return {
    seeds: 100,
    seedStart: 1,
    nodes: 0,
    ticks: 2000,
    verbose: false,
    replica: false,
    faults: undefined,
    scenario: undefined,
    keepGoing: false,
    disk: undefined,
    workers: 1,
  };
}

function parseArgs(argv: string[]): Args {
  const args = defaultArgs();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--seeds') args.seeds = num();
    else if (a === '--seed-start') args.seedStart = num();
    else if (a === '--seed') {
      args.seedStart = num();
      args.seeds = 1;
      args.verbose = true;
    } else if (a === '--nodes') args.nodes = num();
    else if (a === '--ticks') args.ticks = num();
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--replica') args.replica = true;
    else if (a === '--keep-going') args.keepGoing = true;
    else if (a === '--faults') args.faults = parseFaults(argv[++i] ?? '');
    else if (a === '--scenario') args.scenario = argv[++i] ?? '';
    else if (a === '--workers') {
      args.workers = num();
      if (args.workers < 1 || args.workers > WORKERS_MAX) throw new Error(`--workers needs 1..${WORKERS_MAX}`);
    } else if (a === '--disk') {
      const d = argv[++i];
      if (d !== 'memory' && d !== 'files') throw new Error('--disk needs memory or files');
      args.disk = d;
    } else throw new Error(`unknown argument ${a}`);
  }
  if ((args.faults !== undefined || args.scenario !== undefined || args.disk !== undefined) && !args.replica)
    throw new Error('--faults, --scenario and --disk need --replica');
  if (args.scenario !== undefined && args.scenario !== 'list' && !(args.scenario in SCENARIOS)) {
    throw new Error(`unknown scenario ${args.scenario}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  return args;
}

/** `a,b`: those kinds; `-a,b`: every kind but those. */
function parseFaults(list: string): FaultKind[] {
  const except = list.startsWith('-');
  const kinds = (except ? list.slice(1) : list).split(',').filter((k) => k !== '');
  for (const k of kinds) if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`unknown fault ${k}; known: ${FAULT_KINDS.join(', ')}`);
  if (kinds.length === 0) throw new Error('--faults needs a comma-separated list');
  return except ? FAULT_KINDS.filter((k) => !kinds.includes(k)) : (kinds as FaultKind[]);
}

/** 3 or 5 nodes per seed, and the tick budget split into faults and liveness. */
export function optionsFor(seed: number, nodes: number, ticks: number, verbose: boolean) {
  const n = nodes !== 0 ? nodes : seed % 2 === 1 ? 3 : 5;
  const livenessTicksMax = Math.min(500, Math.floor(ticks / 4));
  return { nodes: n, safetyTicks: ticks - livenessTicksMax, livenessTicksMax, verbose };
}

/** optionsFor, plus a scenario's fault kinds and forced profile parts (or an explicit fault list). */
export function replicaOptionsFor(
  seed: number,
  nodes: number,
  ticks: number,
  verbose: boolean,
  scenario?: string,
  faults?: FaultKind[],
  disk?: DiskKind,
): ReplicaSimOptions {
  const s = scenario === undefined ? undefined : SCENARIOS[scenario];
  return {
    ...optionsFor(seed, nodes, ticks, verbose),
    faults: faults ?? s?.faults,
    oneVoter: s?.oneVoter,
    metaGroup: s?.metaGroup,
    retention: s?.retention,
    foundingLoss: s?.foundingLoss,
    disk: disk ?? s?.disk,
  };
}

export interface Failure {
  seed: number;
  error: string;
  profile: string;
  faults: string[];
}

/** `replay` is the argument list that reruns the seed, e.g. `--replica --scenario one-voter`. */
export function formatFailure(r: Failure, replay = ''): string {
  const lines = [
    `FAIL seed ${r.seed}: ${r.error}`,
    `  profile: ${r.profile}`,
    `  faults drawn (${r.faults.length}):`,
    ...r.faults.slice(-40).map((f) => `    ${f}`),
    `  replay: npm run sim -- ${replay === '' ? '' : `${replay} `}--seeds 1 --seed-start ${r.seed} --verbose`,
  ];
  if (r.faults.length > 40) lines.splice(3, 0, `    ... ${r.faults.length - 40} earlier faults omitted`);
  return lines.join('\n');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface SeedOutcome {
  ok: boolean;
  /** Hash of what the seed did (result, counters, faults, profile): equal runs, equal digests. */
  digest: string;
  failure: string;
  ticks: number;
  ticksToElect: number;
  ticksToCommit: number;
  summary: string;
  stats: Record<string, number>;
}

function digestOf(r: Omit<SimResult, 'stats'> & { stats: object }): string {
  const parts = [r.ok, r.error.split('\n')[0], r.ticks, r.ticksToElect, r.ticksToCommit, r.stats, r.faults, r.profile];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

export async function runOne(args: Args, seed: number): Promise<SeedOutcome> {
  if (args.replica) {
    const r = await runReplicaSeed(seed, replicaOptionsFor(seed, args.nodes, args.ticks, args.verbose, args.scenario, args.faults, args.disk));
    const replay = [
      '--replica',
      args.scenario !== undefined ? `--scenario ${args.scenario}` : '',
      args.faults !== undefined ? `--faults ${args.faults.join(',')}` : '',
      args.disk !== undefined ? `--disk ${args.disk}` : '',
    ]
      .filter((x) => x !== '')
      .join(' ');
    return {
      ok: r.ok,
      digest: digestOf(r),
      failure: formatFailure(r, replay),
      ticks: r.ticks,
      ticksToElect: r.ticksToElect,
      ticksToCommit: r.ticksToCommit,
      summary: r.profile,
      stats: { ...r.stats },
    };
  }
  const r = runSeed(seed, optionsFor(seed, args.nodes, args.ticks, args.verbose));
  return {
    ok: r.ok,
    digest: digestOf(r),
    failure: formatFailure(r),
    ticks: r.ticks,
    ticksToElect: r.ticksToElect,
    ticksToCommit: r.ticksToCommit,
    summary: r.profile,
    stats: { ...r.stats },
  };
}

/** Every seed's outcome, indexed by seed - seedStart; stops early (leaving holes) on a failure without --keep-going. */
async function runSeeds(args: Args, report: (seed: number, r: SeedOutcome) => boolean): Promise<(SeedOutcome | undefined)[]> {
  const outcomes: (SeedOutcome | undefined)[] = new Array(args.seeds);
  const seeds = Array.from({ length: args.seeds }, (_, k) => args.seedStart + k);
  const take = (seed: number, r: SeedOutcome): boolean => {
    outcomes[seed - args.seedStart] = r;
    return report(seed, r);
  };
  if (args.workers > 1 && args.seeds > 1) {
    await runPool<SeedOutcome>(new URL('./seed-worker.ts', import.meta.url), args, seeds, args.workers, { onOutcome: take });
    return outcomes;
  }
  for (const seed of seeds) if (!take(seed, await runOne(args, seed))) break;
  return outcomes;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.scenario === 'list') {
    for (const [name, s] of Object.entries(SCENARIOS)) console.log(`${name}: ${s.what} (faults ${s.faults.join(',')})`);
    return;
  }
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const loadStart = readFileSync('/proc/loadavg', 'utf8').trim();
  let firstFailure: string | null = null;
  const outcomes = await runSeeds(args, (seed, r) => {
    if (r.ok) {
      if (args.verbose) console.log(`seed ${seed} ok: ${JSON.stringify(r.stats)} elect=${r.ticksToElect} commit=${r.ticksToCommit}\n  profile: ${r.summary}`);
      return true;
    }
    if (!args.keepGoing) {
      firstFailure = r.failure;
      return false;
    }
    console.log(
      `FAIL seed ${seed}: ${r.failure
        .split('\n')[0]
        .replace(/^FAIL seed \d+: /, '')
        .slice(0, 400)}`,
    );
    return true;
  });
  if (firstFailure !== null) {
    console.error(firstFailure);
    process.exit(1);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Every thread's CPU time (process-wide), the figure to compare across loads and worker counts.
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const elect: number[] = [];
  const commit: number[] = [];
  const failed: number[] = [];
  const totals: Record<string, number> = {};
  const digest = createHash('sha256');
  let ticks = 0;
  outcomes.forEach((r, k) => {
    if (r === undefined) return;
    ticks += r.ticks;
    digest.update(r.digest);
    for (const [key, v] of Object.entries(r.stats)) totals[key] = (totals[key] ?? 0) + v;
    if (!r.ok) failed.push(args.seedStart + k);
    else {
      elect.push(r.ticksToElect);
      commit.push(r.ticksToCommit);
    }
  });
  elect.sort((a, b) => a - b);
  commit.sort((a, b) => a - b);
  const what = args.replica ? `replica seeds${args.scenario !== undefined ? ` (scenario ${args.scenario})` : ''}` : 'seeds';
  console.log(
    `${args.seeds} ${what}, ${failed.length === 0 ? 'all ok' : `${failed.length} failed (${failed.join(' ')})`} (${args.seedStart}..${args.seedStart + args.seeds - 1}) in ${seconds.toFixed(1)} s: ` +
      `${(args.seeds / seconds).toFixed(1)} seeds/s, ${Math.round(ticks / seconds)} ticks/s`,
  );
  console.log(
    `cpu: ${cpuSeconds.toFixed(1)} s user+sys, ${(cpuSeconds / args.seeds).toFixed(3)} s per seed (${args.workers} worker${args.workers === 1 ? '' : 's'}); digest ${digest.digest('hex').slice(0, 16)}`,
  );
  console.log(
    `totals: ${Object.entries(totals)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(`load average: ${loadStart} at the start, ${readFileSync('/proc/loadavg', 'utf8').trim()} at the end`);
  console.log(
    `ticks to elect after faults stop: p50 ${percentile(elect, 50)} p99 ${percentile(elect, 99)} max ${elect[elect.length - 1] ?? 0}; ` +
      `to commit: p50 ${percentile(commit, 50)} p99 ${percentile(commit, 99)} max ${commit[commit.length - 1] ?? 0}`,
  );
  if (failed.length > 0) process.exit(1);
}

if (isMainThread && import.meta.url === `file://${process.argv[1]}`) await main();

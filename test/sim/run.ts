// Runs simulator seeds: `npm run sim -- --seeds N --seed-start S [--nodes 3|5] [--ticks T] [--verbose]`.
// Without --nodes, odd seeds run 3 nodes and even seeds 5. Exits non-zero on the first failure.

import { runSeed } from './sim.ts';
import type { SimResult } from './sim.ts';

interface Args {
  seeds: number;
  seedStart: number;
  nodes: number;
  ticks: number;
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 100, seedStart: 1, nodes: 0, ticks: 2000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--seeds') args.seeds = num();
    else if (a === '--seed-start') args.seedStart = num();
    else if (a === '--nodes') args.nodes = num();
    else if (a === '--ticks') args.ticks = num();
    else if (a === '--verbose') args.verbose = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** 3 or 5 nodes per seed, and the tick budget split into faults and liveness. */
export function optionsFor(seed: number, nodes: number, ticks: number, verbose: boolean) {
  const n = nodes !== 0 ? nodes : seed % 2 === 1 ? 3 : 5;
  const livenessTicksMax = Math.min(500, Math.floor(ticks / 4));
  return { nodes: n, safetyTicks: ticks - livenessTicksMax, livenessTicksMax, verbose };
}

export function formatFailure(r: SimResult): string {
  const lines = [
    `FAIL seed ${r.seed}: ${r.error}`,
    `  profile: ${r.profile}`,
    `  faults drawn (${r.faults.length}):`,
    ...r.faults.slice(-40).map((f) => `    ${f}`),
    `  replay: npm run sim -- --seeds 1 --seed-start ${r.seed} --verbose`,
  ];
  if (r.faults.length > 40) lines.splice(3, 0, `    ... ${r.faults.length - 40} earlier faults omitted`);
  return lines.join('\n');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const started = process.hrtime.bigint();
  const elect: number[] = [];
  const commit: number[] = [];
  let ticks = 0;
  let acked = 0;
  let forwarded = 0;
  let forwardAcked = 0;
  for (let k = 0; k < args.seeds; k++) {
    const seed = args.seedStart + k;
    const r = runSeed(seed, optionsFor(seed, args.nodes, args.ticks, args.verbose));
    ticks += r.ticks;
    acked += r.stats.acked;
    forwarded += r.stats.forwarded;
    forwardAcked += r.stats.forwardAcked;
    if (!r.ok) {
      console.error(formatFailure(r));
      process.exit(1);
    }
    elect.push(r.ticksToElect);
    commit.push(r.ticksToCommit);
    if (args.verbose) console.log(`seed ${seed} ok: ${JSON.stringify(r.stats)} elect=${r.ticksToElect} commit=${r.ticksToCommit}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  elect.sort((a, b) => a - b);
  commit.sort((a, b) => a - b);
  console.log(
    `${args.seeds} seeds ok (${args.seedStart}..${args.seedStart + args.seeds - 1}) in ${seconds.toFixed(1)} s: ` +
      `${(args.seeds / seconds).toFixed(1)} seeds/s, ${Math.round(ticks / seconds)} ticks/s, ${acked} acknowledged proposals, ` +
      `${forwarded} forwarded (${forwardAcked} applied by their forwarder)`,
  );
  console.log(
    `ticks to elect after faults stop: p50 ${percentile(elect, 50)} p99 ${percentile(elect, 99)} max ${elect[elect.length - 1] ?? 0}; ` +
      `to commit: p50 ${percentile(commit, 50)} p99 ${percentile(commit, 99)} max ${commit[commit.length - 1] ?? 0}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main();

// The chaos runner's command line (see run.ts and docs/reliability.md).

import { ALL_FAULTS, FAULT_KINDS, faultKind, type FaultKind } from './faults.ts';

/** The longest run --time accepts: a day. */
const TIME_S_MAX = 24 * 3600;

export interface Args {
  timeS: number;
  seed: number;
  faults: FaultKind[];
  brokers: 3 | 5;
  partitions: number;
  rttMs: number | undefined;
  keep: boolean;
  /**
   * Brokers in the test-only power-loss mode (default): kill faults keep the page cache, the
   * power-loss fault drops unsynced writes. Off: plain brokers, no power-loss fault.
   */
  powerLossMode: boolean;
  /** Extra environment for every broker (RUNNEL_* config overrides, a test-only broker mode). */
  brokerEnv: Record<string, string>;
}

export const USAGE = `usage: npm run chaos -- [--time S] [--seed N] [--faults LIST|all] [--brokers 3|5] [--partitions P] [--rtt-ms MS] [--broker-env K=V] [--no-power-loss-mode] [--keep]
  --time S        seconds of fault injection (default 60); setup, healing and checking come on top
  --seed N        fixes the fault schedule and targets (default: random, printed)
  --faults LIST   comma-separated kinds (default all, which leaves out the self-check):
${FAULT_KINDS.map((k) => `                    ${k.name}: ${k.how}`).join('\n')}
  --brokers 3|5   cluster size (default 3)
  --partitions P  partitions of the workload topic (default 3)
  --rtt-ms MS     cluster.rtt_ms for the brokers (default: the broker's default)
  --broker-env K=V  environment for every broker, repeatable (e.g. RUNNEL_CLUSTER__SNAPSHOT_ENTRIES=200)
  --no-power-loss-mode  plain brokers (default: every broker in the test-only power-loss mode, which
                  a kill -9 does not notice and the power-loss fault needs; power-loss-nofsync
                  also disables their fsync)
  --keep          keep data dirs and logs even when the run is clean`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    timeS: 60,
    seed: (Math.random() * 2 ** 31) >>> 0,
    faults: [...ALL_FAULTS],
    brokers: 3,
    partitions: 3,
    rttMs: undefined,
    keep: false,
    powerLossMode: true,
    brokerEnv: {},
  };
  const int = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${flag}: expected an integer in [${min}, ${max}], got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--time':
        args.timeS = int(flag, argv[++i], 1, TIME_S_MAX);
        break;
      case '--seed':
        args.seed = int(flag, argv[++i], 0, 2 ** 32 - 1);
        break;
      case '--faults': {
        const list = argv[++i];
        if (!list) throw new UsageError('--faults: expected a comma-separated list');
        try {
          args.faults = list === 'all' ? [...ALL_FAULTS] : list.split(',').filter(Boolean).map(faultKind);
        } catch (err) {
          throw new UsageError(`--faults: ${(err as Error).message}`);
        }
        break;
      }
      case '--brokers': {
        const n = int(flag, argv[++i], 3, 5);
        if (n !== 3 && n !== 5) throw new UsageError('--brokers: 3 or 5');
        args.brokers = n;
        break;
      }
      case '--partitions':
        args.partitions = int(flag, argv[++i], 1, 64);
        break;
      case '--rtt-ms':
        args.rttMs = int(flag, argv[++i], 1, 10_000);
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--no-power-loss-mode':
        args.powerLossMode = false;
        break;
      case '--broker-env': {
        const kv = argv[++i] ?? '';
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageError(`--broker-env: expected NAME=VALUE, got ${kv || 'nothing'}`);
        args.brokerEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  const needsMode = args.faults.filter((f) => f.name.startsWith('power-loss'));
  if (!args.powerLossMode && needsMode.length > 0)
    throw new UsageError(`--no-power-loss-mode: ${needsMode.map((f) => f.name).join(', ')} needs the power-loss mode`);
  return args;
}

// The fault kinds of the chaos runner. Each one injects its fault, holds it for the duration it
// is given, and heals it before it returns (also when it throws), so faults never overlap and
// the runner's final heal only has to undo what an interrupted fault left.
//
// Which brokers a fault hits is chosen by the seeded `rng`; the leader a fault aims at is the
// one the cluster reports at that moment, so a replay with the same seed makes the same choices
// where the cluster's state is the same.
//
// Adding a kind: write a FaultKind and list it in FAULT_KINDS.
//
// Brokers normally run in the test-only power-loss mode (cluster.ts, ClusterOptions.powerLoss):
// `cluster.kill` is then a kill -9 whose writes survive in the page cache, `cluster.powerOff` a
// power loss that drops whatever a broker had not fsynced.

import { cpSync, rmSync } from 'node:fs';
import { fillDisk, freeDisk, segmentFiles, damageFile, wipeDir } from './disk.ts';
import type { ChaosCluster } from './cluster.ts';
import type { Lab } from './lab.ts';
import type { SeededRng } from '../helpers/seeded-rng.ts';

export interface FaultContext {
  cluster: ChaosCluster;
  lab: Lab;
  /** Chooses targets (which broker, which link); a stream apart from the schedule's. */
  rng: SeededRng;
  topic: string;
  partitions: number;
  /** The longest a follower waits before it campaigns (the election timeout, randomised up to 2×). */
  electionTimeoutMsMax: number;
  /** Says what happens, for the run's log. */
  note(msg: string): void;
  /** Sleeps, unless the run is being aborted. */
  sleep(ms: number): Promise<void>;
  /** Something went wrong that the checker cannot see (a broker that would not restart). */
  finding(msg: string): void;
}

export interface FaultKind {
  name: string;
  /** How it is injected (for --help and docs/reliability.md). */
  how: string;
  /** Injects, waits `durationMs`, heals; resolves with what it did. */
  run(ctx: FaultContext, durationMs: number): Promise<string>;
  /** False when this run cannot offer it (e.g. the full-disk fault without a tmpfs broker). */
  available?(ctx: FaultContext): boolean;
  /** A fault no system can survive, to show the runner reports loss: never part of `all`. */
  selfCheck?: boolean;
}

function pick<T>(rng: SeededRng, xs: readonly T[]): T {
  return xs[rng.int(0, xs.length - 1)];
}

function pickSome<T>(rng: SeededRng, xs: readonly T[], count: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]);
  return out;
}

function ids(ctx: FaultContext): number[] {
  return ctx.cluster.nodes.map((n) => n.nodeId);
}

/** The largest minority: 1 of 3, 2 of 5. */
function minority(ctx: FaultContext): number {
  return Math.floor((ctx.cluster.nodes.length - 1) / 2);
}

/** The leader of a random partition, or (one time in four) the controller; a random broker if none is known. */
async function someLeader(ctx: FaultContext): Promise<{ nodeId: number; of: string }> {
  const view = await ctx.cluster.view(ctx.topic);
  const partition = ctx.rng.int(0, ctx.partitions - 1);
  const wantController = ctx.rng.chance(0.25);
  if (view) {
    const leader = wantController ? view.controllerId : (view.leaders.get(partition) ?? -1);
    if (leader > 0) return { nodeId: leader, of: wantController ? 'controller' : `leader of ${ctx.topic}-${partition}` };
  }
  return { nodeId: pick(ctx.rng, ids(ctx)), of: 'random broker (no leader known)' };
}

async function restartOrFind(ctx: FaultContext, nodeIds: number[], why: string): Promise<void> {
  const errors = await ctx.cluster.restart(nodeIds);
  for (const [id, err] of errors) ctx.finding(`broker ${id} would not restart after ${why}: ${firstLine(err)}`);
}

function firstLine(err: Error): string {
  return String(err.message).split('\n')[0];
}

async function killAndRestart(
  ctx: FaultContext,
  victims: number[],
  durationMs: number,
  label: string,
  how: 'kill -9' | 'power loss' = 'kill -9',
): Promise<string> {
  ctx.note(`${label}: ${how} ${victims.join(',')}`);
  await (how === 'kill -9' ? ctx.cluster.kill(victims) : ctx.cluster.powerOff(victims));
  try {
    await ctx.sleep(durationMs);
  } finally {
    await restartOrFind(ctx, victims, how);
  }
  return `${label} ${victims.join(',')}`;
}

/** How long every broker stays down after a kill or power loss of all of them. */
const ALL_DOWN_MS_MAX = 3_000;

const killOne: FaultKind = {
  name: 'kill',
  how: 'SIGKILL one broker, restart it after the fault time',
  run: (ctx, d) => killAndRestart(ctx, pickSome(ctx.rng, ids(ctx), 1), d, 'kill'),
};

const killMinority: FaultKind = {
  name: 'kill-minority',
  how: 'SIGKILL a minority (1 of 3, 2 of 5) at once, restart them',
  run: (ctx, d) => killAndRestart(ctx, pickSome(ctx.rng, ids(ctx), minority(ctx)), d, 'kill-minority'),
};

const killAll: FaultKind = {
  name: 'kill-all',
  how: 'SIGKILL every broker at once, restart them all',
  run: (ctx, d) => killAndRestart(ctx, ids(ctx), Math.min(d, ALL_DOWN_MS_MAX), 'kill-all'),
};

const powerLoss: FaultKind = {
  name: 'power-loss',
  how: 'cut the power of one broker, a minority (2 of 5) or every broker at once: a SIGKILL of brokers in the test-only power-loss mode, which loses what they had not fsynced (torn per seed); restart them',
  available: (ctx) => ctx.cluster.powerLossMode,
  run(ctx, d) {
    const variant = ctx.rng.int(0, 2);
    if (variant === 2) return killAndRestart(ctx, ids(ctx), Math.min(d, ALL_DOWN_MS_MAX), 'power-loss all', 'power loss');
    // One or a minority of the brokers in the mode (all but a disk-full run's tmpfs broker).
    const inMode = ctx.cluster.nodes.filter((n) => n.powerLoss).map((n) => n.nodeId);
    const victims = pickSome(ctx.rng, inMode, variant === 0 ? 1 : minority(ctx));
    return killAndRestart(ctx, victims, d, variant === 0 ? 'power-loss one' : 'power-loss minority', 'power loss');
  },
};

const pause: FaultKind = {
  name: 'pause',
  how: 'SIGSTOP a partition leader or the controller for longer than the election timeout, then SIGCONT',
  async run(ctx, d) {
    const target = await someLeader(ctx);
    const holdMs = Math.max(d, 2 * ctx.electionTimeoutMsMax + 500);
    ctx.note(`pause: SIGSTOP ${target.nodeId} (${target.of}) for ${holdMs} ms`);
    ctx.cluster.pause(target.nodeId);
    try {
      await ctx.sleep(holdMs);
    } finally {
      ctx.cluster.resume(target.nodeId);
    }
    return `pause ${target.nodeId} (${target.of})`;
  },
};

/** Cuts `pairs` (directed) for the duration, then heals the network. */
async function cutFor(ctx: FaultContext, pairs: Array<readonly [number, number]>, d: number): Promise<void> {
  await ctx.lab.block(pairs);
  try {
    await ctx.sleep(d);
  } finally {
    await ctx.lab.block([]);
  }
}

function bothWays(a: number[], b: number[]): Array<readonly [number, number]> {
  return a.flatMap((x) => b.flatMap((y) => [[x, y] as const, [y, x] as const]));
}

const partitionHalves: FaultKind = {
  name: 'partition-halves',
  how: 'drop all packets both ways between a random minority and the majority',
  async run(ctx, d) {
    const all = ids(ctx);
    const small = pickSome(ctx.rng, all, ctx.rng.int(1, minority(ctx)));
    const big = all.filter((x) => !small.includes(x));
    ctx.note(`partition-halves: {${small.join(',')}} | {${big.join(',')}}`);
    await cutFor(ctx, bothWays(small, big), d);
    return `partition-halves {${small.join(',')}}|{${big.join(',')}}`;
  },
};

const partitionLeader: FaultKind = {
  name: 'partition-leader',
  how: 'drop all packets both ways between a leader (partition or controller) and every other broker',
  async run(ctx, d) {
    const target = await someLeader(ctx);
    const others = ids(ctx).filter((x) => x !== target.nodeId);
    ctx.note(`partition-leader: isolate ${target.nodeId} (${target.of})`);
    await cutFor(ctx, bothWays([target.nodeId], others), d);
    return `partition-leader ${target.nodeId} (${target.of})`;
  },
};

const partitionOneWay: FaultKind = {
  name: 'partition-oneway',
  how: "drop one direction only: a leader's outgoing packets, its incoming packets, or one random directed link",
  async run(ctx, d) {
    const variant = ctx.rng.int(0, 2);
    let pairs: Array<readonly [number, number]>;
    let what: string;
    if (variant === 2) {
      const [a, b] = pickSome(ctx.rng, ids(ctx), 2);
      pairs = [[a, b]];
      what = `${a} -> ${b} dropped`;
    } else {
      const target = await someLeader(ctx);
      const others = ids(ctx).filter((x) => x !== target.nodeId);
      pairs = others.map((o) => (variant === 0 ? ([target.nodeId, o] as const) : ([o, target.nodeId] as const)));
      what = variant === 0 ? `${target.nodeId} (${target.of}) cannot send` : `${target.nodeId} (${target.of}) cannot hear`;
    }
    ctx.note(`partition-oneway: ${what}`);
    await cutFor(ctx, pairs, d);
    return `partition-oneway ${what}`;
  },
};

/** Flapping: the set of cut links changes every FLAP_STEP_MS range. */
const FLAP_STEP_MS = [200, 1_500] as const;

const flap: FaultKind = {
  name: 'flap',
  how: `links between random pairs cut and restored every ${FLAP_STEP_MS[0]}-${FLAP_STEP_MS[1]} ms`,
  async run(ctx, d) {
    const all = ids(ctx);
    const pairs = all.flatMap((a) => all.filter((b) => b !== a).map((b) => [a, b] as const));
    const deadline = Date.now() + d;
    let steps = 0;
    ctx.note(`flap: for ${d} ms`);
    try {
      // Bounded by the deadline; each step sleeps at least FLAP_STEP_MS[0].
      while (Date.now() < deadline) {
        const cut = pairs.filter(() => ctx.rng.chance(0.3));
        await ctx.lab.block(cut);
        steps++;
        await ctx.sleep(ctx.rng.int(FLAP_STEP_MS[0], FLAP_STEP_MS[1]));
      }
    } finally {
      await ctx.lab.block([]);
    }
    return `flap ${steps} steps`;
  },
};

/**
 * A minority of brokers that is also a minority of the metadata group's voters: a damaged disk
 * may end up wiped, and two wiped voters of three would be a lost majority of that group (with
 * five brokers and three metadata voters, two brokers can be two voters).
 */
function damageableMinority(ctx: FaultContext): number[] {
  const count = ctx.rng.int(1, minority(ctx));
  const voters = ctx.cluster.metadataVoters;
  const votersMax = Math.floor((voters.length - 1) / 2);
  const out: number[] = [];
  for (const id of pickSome(ctx.rng, ids(ctx), ids(ctx).length)) {
    if (out.length === count) break;
    if (voters.includes(id) && out.filter((x) => voters.includes(x)).length >= votersMax) continue;
    out.push(id);
  }
  return out;
}

/** Segment files damaged per broker, at most. */
const DAMAGED_FILES_MAX = 3;

const corrupt: FaultKind = {
  name: 'corrupt',
  how: `SIGKILL a minority (of the brokers and of the metadata voters), flip a bit in or truncate up to ${DAMAGED_FILES_MAX} of each one's segment files, restart (wipe the disk if it refuses)`,
  async run(ctx, d) {
    const victims = damageableMinority(ctx);
    ctx.note(`corrupt: kill -9 ${victims.join(',')}`);
    await ctx.cluster.kill(victims);
    const done: string[] = [];
    try {
      for (const id of victims) {
        const files = segmentFiles(ctx.cluster.node(id).dataDir);
        for (const file of pickSome(ctx.rng, files, ctx.rng.int(1, DAMAGED_FILES_MAX))) {
          const dmg = damageFile(file, ctx.rng);
          const rel = file.slice(ctx.cluster.node(id).dataDir.length + 1);
          done.push(`${id}:${rel} ${dmg.kind}@${dmg.at}/${dmg.sizeBefore}`);
        }
      }
      ctx.note(`corrupt: ${done.join('; ') || 'no segment files yet'}`);
      await ctx.sleep(Math.min(d, 2_000));
    } finally {
      const earlier = new Set(victims.flatMap((id) => ctx.cluster.fatalLines(id)));
      const errors = await ctx.cluster.restart(victims);
      for (const [id, err] of errors) {
        // Refusing to start from a damaged disk is allowed (detected damage); the operator's
        // remedy is a fresh disk, from which the broker must catch up without losing anything.
        ctx.note(`corrupt: broker ${id} refused to start: ${firstLine(err)}; wiping its data dir`);
        const refusal = ctx.cluster.fatalLines(id).filter((l) => !earlier.has(l));
        ctx.cluster.excuse(refusal);
        for (const line of refusal) ctx.note(`corrupt: broker ${id} said ${line.slice(0, 600)}`);
        wipeDir(ctx.cluster.node(id).dataDir);
        await restartOrFind(ctx, [id], 'a wiped data dir');
      }
    }
    return `corrupt ${done.join('; ')}`;
  },
};

const diskFull: FaultKind = {
  name: 'disk-full',
  how: "fill the tmpfs holding one broker's data dir until ENOSPC, hold, free it",
  available: (ctx) => ctx.cluster.nodes.some((n) => n.fillerFile !== null),
  async run(ctx, d) {
    const node = ctx.cluster.nodes.find((n) => n.fillerFile !== null)!;
    const filled = fillDisk(node.fillerFile!);
    ctx.note(`disk-full: broker ${node.nodeId}'s disk full (${(filled / 2 ** 20).toFixed(1)} MiB filler)`);
    try {
      await ctx.sleep(d);
    } finally {
      freeDisk(node.fillerFile!);
    }
    return `disk-full ${node.nodeId}`;
  },
};

/**
 * The self-check: a majority's disks go back in time, consistently (as disks that lied about
 * fsync would after a power loss). Raft cannot survive that, so a run with this fault must
 * report lost acknowledged writes; if it does not, the runner or the checker is blind.
 */
const rollbackMajority: FaultKind = {
  name: 'rollback-majority',
  how: 'self-check, not in "all": copy a majority\'s data dirs, let writes be acknowledged, restore the copies and restart that majority first; must report lost writes',
  selfCheck: true,
  async run(ctx, d) {
    const all = ids(ctx);
    const majority = pickSome(ctx.rng, all, minority(ctx) + 1);
    const rest = all.filter((x) => !majority.includes(x));
    const copyOf = (id: number) => `${ctx.cluster.node(id).configFile}.rollback`;
    ctx.note(`rollback-majority: copying the disks of ${majority.join(',')}`);
    await ctx.cluster.kill(majority);
    for (const id of majority) cpSync(ctx.cluster.node(id).dataDir, copyOf(id), { recursive: true });
    await restartOrFind(ctx, majority, 'the copy');
    try {
      await ctx.sleep(d);
      ctx.note(`rollback-majority: restoring ${majority.join(',')}, ${rest.join(',')} kept down meanwhile`);
      await ctx.cluster.kill(all);
      for (const id of majority) {
        wipeDir(ctx.cluster.node(id).dataDir);
        cpSync(copyOf(id), ctx.cluster.node(id).dataDir, { recursive: true });
      }
      await restartOrFind(ctx, majority, 'the rollback');
      await ctx.sleep(d);
    } finally {
      for (const id of majority) rmSync(copyOf(id), { recursive: true, force: true });
      await restartOrFind(
        ctx,
        all.filter((id) => ctx.cluster.node(id).down),
        'the rollback',
      );
    }
    return `rollback-majority ${majority.join(',')}`;
  },
};

/**
 * The power-loss self-check: brokers whose fsync is disabled (the "broker build with fsync
 * disabled" of issue 10) lose acknowledged writes in a power loss of every broker, and the run
 * must report them. First every broker is killed with its page cache kept and restarted: that
 * puts all it wrote so far on the disk, as the kernel's periodic writeback would (without it,
 * nothing would ever reach the disk and the brokers would only refuse to start). Then writes
 * are acknowledged for the fault time, and the power goes.
 */
const powerLossNoFsync: FaultKind = {
  name: 'power-loss-nofsync',
  how: 'self-check, not in "all": brokers run with fsync disabled (RUNNEL_TEST_SKIP_FSYNC=1); write back every broker\'s page cache (kill -9, restart), let writes be acknowledged, cut the power of every broker; must report lost writes',
  selfCheck: true,
  available: (ctx) => ctx.cluster.fsyncDisabled,
  async run(ctx, d) {
    const all = ids(ctx);
    ctx.note("power-loss-nofsync: writing back every broker's page cache (kill -9, restart)");
    await ctx.cluster.kill(all);
    await restartOrFind(ctx, all, 'kill -9');
    await ctx.sleep(d);
    return killAndRestart(ctx, all, Math.min(d, ALL_DOWN_MS_MAX), 'power-loss-nofsync', 'power loss');
  },
};

export const FAULT_KINDS: readonly FaultKind[] = [
  killOne,
  killMinority,
  killAll,
  powerLoss,
  pause,
  partitionHalves,
  partitionLeader,
  partitionOneWay,
  flap,
  corrupt,
  diskFull,
  rollbackMajority,
  powerLossNoFsync,
];

/** What `--faults all` means: every kind but the self-checks. */
export const ALL_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => !k.selfCheck);

export function faultKind(name: string): FaultKind {
  const k = FAULT_KINDS.find((f) => f.name === name);
  if (!k) throw new Error(`unknown fault "${name}"; known: ${FAULT_KINDS.map((f) => f.name).join(', ')}`);
  return k;
}

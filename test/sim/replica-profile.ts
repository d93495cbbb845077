// What one replica-simulator seed runs with: the options a caller sets, the fault kinds and named
// scenarios, and the profile the seed draws (network, groups, clients, disks).

import type { Rng } from '../../src/raft/index.ts';
import type { SimResult } from './sim.ts';
import { describeNetworkProfile, drawNetworkProfile, type NetworkProfile } from './network.ts';

/** Simulated wall-clock per tick (record timestamps, time-based retention). */
export const TICK_MS = 10;

export const FAULT_KINDS = [
  'kill',
  'power',
  'kill-mid-sync',
  'power-mid-sync',
  'term-crash',
  'pause',
  'isolate',
  'oneway',
  'partition',
  'heal',
  'flap',
  'slow-fsync',
  'fsync-fail',
  'disk-full',
  'membership',
  'transfer',
  'wipe',
  'group-wipe',
  'state-flip',
  'log-flip',
  'sealed-flip',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Kinds that find an open bug (docs/reliability.md, bugs table), left out of the default run so
 * that it stays a regression check; their scenario runs them. Put each back with its fix.
 */
export const OPEN_BUG_FAULTS: readonly FaultKind[] = [];
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) => !OPEN_BUG_FAULTS.includes(k));

/**
 * Named runs aimed at the known paths of issue 9: the fault kinds they draw from and the
 * profile parts they force.
 */
export const SCENARIOS: Record<
  string,
  { faults: readonly FaultKind[]; oneVoter?: boolean; metaGroup?: boolean; retention?: boolean; foundingLoss?: boolean; disk?: DiskKind; what: string }
> = {
  founding: {
    what: 'a power loss right after the groups are founded, keeping only the first founding entry',
    faults: ['kill', 'power', 'heal'],
    foundingLoss: true,
  },
  'group-lost': {
    what: "issue 9 item 2: one group's directory (log and raft.state) removed while the node keeps its identity",
    faults: ['kill', 'group-wipe', 'isolate', 'partition', 'heal'],
  },
  'state-damage': {
    what: 'issue 9 item 3 (raft.state part): a bit flip in a synced raft.state slot',
    faults: ['kill', 'power', 'state-flip', 'isolate', 'heal'],
  },
  'log-damage': {
    what: 'B7 (issue 9 item 3): a bit flip in synced data of the last segment (file disks), torn writes at power losses, full disks',
    faults: ['kill', 'power', 'log-flip', 'disk-full', 'isolate', 'heal'],
    disk: 'files',
  },
  'sealed-damage': {
    what: "B6: a bit flip in synced data of a sealed segment (file disks); the last segment is log-damage's (B7)",
    faults: ['kill', 'power', 'sealed-flip', 'isolate', 'heal'],
    disk: 'files',
  },
  'one-voter': {
    what: 'issue 9 item 4: one-voter groups with learners (metadata_voters: 1), power losses while fsyncs are slow',
    faults: ['kill', 'power', 'power-mid-sync', 'term-crash', 'slow-fsync', 'heal'],
    oneVoter: true,
    metaGroup: true,
  },
  retention: {
    what: 'issue 9 item 5: retention up to the in-memory commit, then power losses',
    faults: ['kill', 'power', 'isolate', 'partition', 'heal', 'slow-fsync'],
    retention: true,
  },
  'kill-then-power': {
    what: 'issue 9 item 6: kill -9 after an unsynced term or vote, restart, then power loss',
    faults: ['kill-mid-sync', 'power', 'power-mid-sync', 'term-crash', 'slow-fsync', 'isolate', 'heal'],
  },
};

/** 'memory': MemoryLog logs (fast); 'files': PartitionLog on a page-cache file system (sim-file-disk.ts). */
export type DiskKind = 'memory' | 'files';

export interface ReplicaSimOptions {
  nodes: number;
  safetyTicks: number;
  livenessTicksMax: number;
  verbose?: boolean;
  /** Fold every delivered message into a trace hash (for the determinism test). */
  trace?: boolean;
  /** Fault kinds to draw from (default: DEFAULT_FAULT_KINDS). */
  faults?: readonly FaultKind[];
  /** Found every group with one voter and the other nodes as learners. */
  oneVoter?: boolean;
  /** Always host the metadata-like group (else the seed draws it). */
  metaGroup?: boolean;
  /** Run retention (by bytes and time) always (true), never (false), or as the seed draws. */
  retention?: boolean;
  /** At tick 0, before any fsync, the first group's preferred founder loses power, keeping one unsynced batch. */
  foundingLoss?: boolean;
  /** The disks' kind (default: the seed draws it). */
  disk?: DiskKind;
}

export interface ReplicaSimStats {
  messages: number;
  dropped: number;
  leaders: number;
  produced: number;
  acked: number;
  readBatches: number;
  crashes: number;
  hostFailures: number;
  refusedStarts: number;
  snapshotsInstalled: number;
  confChanges: number;
  retentionDeletedBatches: number;
}

/** The Raft simulator's result shape, with the replica simulator's counters. */
export type ReplicaSimResult = Omit<SimResult, 'stats'> & { stats: ReplicaSimStats };

export interface Profile extends NetworkProfile {
  checkQuorum: boolean;
  faultEveryTicks: number;
  partitions: number;
  /** Whether every node also hosts the metadata-like group (meta-replica.ts). */
  metaGroup: boolean;
  oneVoter: boolean;
  retentionBytes: number;
  retentionMs: number;
  produceChance: number;
  readChance: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  slowSyncStepsMax: number;
  /** Steps an fsync takes on a healthy disk: while it runs, the host cannot take the next Ready. */
  fsyncSteps: number;
  disk: DiskKind;
  /** File disks: segment size (small, so segments roll, seal and go to retention) and index interval. */
  segmentBytes: number;
  indexIntervalBytes: number;
}

export function drawProfile(rng: Rng, opts: ReplicaSimOptions): Profile {
  const retention = opts.retention ?? rng.chance(0.3);
  return {
    checkQuorum: rng.chance(0.5),
    ...drawNetworkProfile(rng),
    faultEveryTicks: rng.pick([20, 50, 120]),
    partitions: rng.pick([1, 2]),
    metaGroup: opts.metaGroup === true || rng.chance(0.5),
    oneVoter: opts.oneVoter === true || rng.chance(0.1),
    retentionBytes: retention ? rng.pick([-1, 2000, 8000]) : -1,
    retentionMs: retention ? rng.pick([-1, 100 * TICK_MS, 400 * TICK_MS]) : -1,
    produceChance: rng.pick([0.1, 0.4, 0.9]),
    readChance: rng.pick([0.05, 0.3]),
    maxSizePerMsg: rng.pick([256, 4096, 1 << 20]),
    maxInflightMsgs: rng.pick([1, 4, 256]),
    slowSyncStepsMax: rng.pick([2, 8, 40]),
    fsyncSteps: rng.pick([0, 1, 2]),
    disk: opts.disk ?? (rng.chance(0.5) ? 'files' : 'memory'),
    segmentBytes: rng.pick([1024, 4096, 65536]),
    indexIntervalBytes: rng.pick([128, 1024, 4096]),
  };
}

export function describeProfile(p: Profile, opts: ReplicaSimOptions, faultKinds: readonly FaultKind[]): string {
  return (
    `nodes=${opts.nodes} partitions=${p.partitions} meta=${p.metaGroup} oneVoter=${p.oneVoter} checkQuorum=${p.checkQuorum} ${describeNetworkProfile(p)} ` +
    `faultEvery=${p.faultEveryTicks}ticks retention=${p.retentionBytes}B/${p.retentionMs}ms produce=${p.produceChance} read=${p.readChance} ` +
    `maxSizePerMsg=${p.maxSizePerMsg} inflight=${p.maxInflightMsgs} fsync=${p.fsyncSteps}steps slowSync<=${p.slowSyncStepsMax}steps ` +
    `disk=${p.disk}${p.disk === 'files' ? ` segment=${p.segmentBytes}B index=${p.indexIntervalBytes}B` : ''} faults=${faultKinds === DEFAULT_FAULT_KINDS ? 'default' : faultKinds.join(',')}`
  );
}

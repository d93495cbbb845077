// The state of a replica-simulator run that its parts share (replica-sim.ts runs the clock and
// the checks, replica-clients.ts the producers and consumers, replica-faults.ts the faults): the
// simulated brokers, the groups, and what the parts may ask of the run.

import type { Rng } from '../../src/raft/index.ts';
import type { Entry } from '../../src/raft/types.ts';
import type { Invariants } from './invariants.ts';
import { entryKey } from './invariants.ts';
import type { SimNetwork } from './network.ts';
import { batchKey, type OffsetLedger } from './offset-ledger.ts';
import type { GroupOperator } from './operator.ts';
import type { Profile, ReplicaSimStats } from './replica-profile.ts';
import type { GroupPlan, HostedGroup, ReplicaProcess } from './replica-node.ts';
import type { ReplicaDisk } from './sim-disk.ts';
import type { Packet } from './sim-transport.ts';

export const ELECTION_TICKS = 10;

/** An entry's identity for the Raft checks: a stored batch without what its log stamps in. */
export function replicaEntryKey(e: Entry): number {
  return e.type === 'normal' && e.data.length > 0 ? batchKey(e.data) : entryKey(e);
}

/** One simulated broker across its process incarnations. */
export interface Broker {
  id: number;
  disk: ReplicaDisk;
  /** Disk generation: a wiped disk comes back under a new storage id. */
  incarnation: number;
  proc: ReplicaProcess | null;
  downUntilTick: number;
  pausedUntilTick: number;
  inbox: Packet[];
  /** The error the host's loop failed with, until the simulator crashes the process. */
  fatal: unknown;
  /** Why this node may refuse to start (damage injected), or null. */
  damaged: string | null;
  syncFaultUntilTick: number;
  fullUntilTick: number;
  /** A power loss scheduled for this tick (0: none). */
  powerLossAtTick: number;
  /** Per group: last seen commit index, term it last led, last applied index. */
  lastCommit: Map<string, number>;
  ledTerm: Map<string, number>;
  lastApplied: Map<string, number>;
}

/** One Raft group of the run, across all brokers. */
export interface GroupRun {
  plan: GroupPlan;
  inv: Invariants;
  /** Partition groups: what clients were promised, by offset. */
  ledger: OffsetLedger;
  /** The metadata-like group: index -> key of each command its proposer saw applied. */
  metaAcked: Map<number, number>;
  operator: GroupOperator;
  /** Consumer positions (next offset to read). */
  consumers: number[];
}

export interface Leader {
  b: Broker;
  hosted: HostedGroup;
}

/** What the clients and the faults may see and do. */
export interface World {
  readonly rng: Rng;
  readonly profile: Profile;
  readonly stats: ReplicaSimStats;
  readonly brokers: readonly Broker[];
  readonly groups: ReadonlyMap<string, GroupRun>;
  readonly net: SimNetwork<Packet>;
  readonly tick: number;
  /** Running and not paused. */
  up(b: Broker): boolean;
  /** The leader (of the highest term) of a group, among running nodes. */
  leaderOf(group: string): Leader | undefined;
  note(text: string): void;
  /** Runs a check; a violation it throws is kept and thrown at the next check point. */
  guard(check: () => void): void;
  crash(b: Broker, downTicks: number): void;
  newDisk(): ReplicaDisk;
  /** A fresh id for a record or command. */
  nextId(): number;
}

// Deterministic simulation of whole partition replicas: on every simulated broker the production
// RaftHost drives ReplicatedPartitions over RaftLogStorage (replica-node.ts), on a disk whose
// fsyncs, power losses and damage the simulator controls (sim-disk.ts), talking through the real
// wire codec over the shared simulated network (network.ts). Producers append through the
// partition replica and count a batch acknowledged when its acks=all promise resolves; consumers
// read below each replica's high watermark. Safety invariants are checked after every event
// (invariants.ts per Raft group, offset-ledger.ts per partition), then a liveness phase must
// elect leaders and commit a new batch in every group. Same seed, same run.
//
// The host's Ready loop is asynchronous (it awaits fsyncs). The simulator owns every fsync, so
// after each event it runs microtasks until no host is busy, except one waiting on an fsync the
// simulator holds back (a slow disk); held fsyncs complete at a later step.

import { Rng, decodeConfChange } from '../../src/raft/index.ts';
import type { Entry } from '../../src/raft/types.ts';
import type { RaftNode, RaftStatus } from '../../src/raft/index.ts';
import { LAST_OFFSET_DELTA_OFFSET, buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { InvariantViolation, Invariants, entryKey, mix } from './invariants.ts';
import { SimNetwork, describeNetworkProfile, drawNetworkProfile, type NetworkProfile } from './network.ts';
import { GroupOperator } from './operator.ts';
import { OffsetLedger, batchKey, forEachBatch } from './offset-ledger.ts';
import { MemoryDisk, type ReplicaDisk } from './sim-disk.ts';
import { NO_PROPOSAL, encodeCommand } from './meta-replica.ts';
import type { Packet } from './sim-transport.ts';
import { ReplicaProcess, type GroupPlan, type HostedGroup, type RaftTuning } from './replica-node.ts';
import { storageIdOf } from './sim.ts';

const STEPS_PER_TICK = 4;
const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 1;
/** Simulated wall-clock per tick (record timestamps, time-based retention). */
const TICK_MS = 10;
/** Ticks between two retention passes on a broker (HostedReplicas.runRetention's timer). */
const RETENTION_EVERY_TICKS = 8;
/** Microtask turns a settle may take before the hosts count as stuck (a loop that never ends). */
const SETTLE_TURNS_MAX = 100_000;
/** Extra turns after the hosts settle, for client continuations (acks) to run. */
const CLIENT_TURNS = 4;
/** Ticks before a node that refused to start tries again. */
const RESTART_RETRY_TICKS = 20;
/** The metadata-like group's name (as MetadataGroup's `__metadata`). */
const META_GROUP = '__meta';

export const FAULT_KINDS = [
  'kill',
  'power',
  'kill-mid-sync',
  'power-mid-sync',
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
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Named runs aimed at the known paths of issue 9: the fault kinds they draw from and the
 * profile parts they force.
 */
export const SCENARIOS: Record<string, { faults: readonly FaultKind[]; oneVoter?: boolean; metaGroup?: boolean; retention?: boolean; foundingLoss?: boolean; what: string }> = {
  founding: {
    what: 'a power loss right after the groups are founded, keeping only the first founding entry',
    faults: ['kill', 'power', 'heal'],
    foundingLoss: true,
  },
  'group-lost': {
    what: 'issue 9 item 2: one group\'s directory (log and raft.state) removed while the node keeps its identity',
    faults: ['kill', 'group-wipe', 'isolate', 'partition', 'heal'],
  },
  'state-damage': {
    what: 'issue 9 item 3 (raft.state part): a bit flip in a synced raft.state slot',
    faults: ['kill', 'power', 'state-flip', 'isolate', 'heal'],
  },
  'one-voter': {
    what: 'issue 9 item 4: one-voter groups with learners (metadata_voters: 1), power losses while fsyncs are slow',
    faults: ['kill', 'power', 'power-mid-sync', 'slow-fsync', 'heal'],
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
    faults: ['kill-mid-sync', 'power', 'power-mid-sync', 'slow-fsync', 'isolate', 'heal'],
  },
};

export interface ReplicaSimOptions {
  nodes: number;
  safetyTicks: number;
  livenessTicksMax: number;
  verbose?: boolean;
  /** Fold every delivered message into a trace hash (for the determinism test). */
  trace?: boolean;
  /** Fault kinds to draw from (default: all). */
  faults?: readonly FaultKind[];
  /** Found every group with one voter and the other nodes as learners. */
  oneVoter?: boolean;
  /** Always host the metadata-like group (else the seed draws it). */
  metaGroup?: boolean;
  /** Run retention (by bytes and time) always (true), never (false), or as the seed draws. */
  retention?: boolean;
  /** At tick 0, before any fsync, the first group's preferred founder loses power, keeping one unsynced batch. */
  foundingLoss?: boolean;
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

export interface ReplicaSimResult {
  seed: number;
  ok: boolean;
  error: string;
  profile: string;
  faults: string[];
  ticks: number;
  ticksToElect: number;
  ticksToCommit: number;
  traceHash: number;
  stats: ReplicaSimStats;
}

interface Profile extends NetworkProfile {
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
}

function drawProfile(rng: Rng, opts: ReplicaSimOptions): Profile {
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
  };
}

/** A stored batch's identity for log matching: the batch bytes without what the log stamps in. */
function replicaEntryKey(e: Entry): number {
  return e.type === 'normal' && e.data.length > 0 ? batchKey(e.data) : entryKey(e);
}

interface Broker {
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
  /** Per group: last seen commit index, term it last led, last applied index. */
  lastCommit: Map<string, number>;
  ledTerm: Map<string, number>;
  lastApplied: Map<string, number>;
}

interface GroupRun {
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

export class ReplicaSimulation {
  readonly rng: Rng;
  readonly profile: Profile;
  readonly faults: string[] = [];
  readonly stats: ReplicaSimStats = {
    messages: 0,
    dropped: 0,
    leaders: 0,
    produced: 0,
    acked: 0,
    readBatches: 0,
    crashes: 0,
    hostFailures: 0,
    refusedStarts: 0,
    snapshotsInstalled: 0,
    confChanges: 0,
    retentionDeletedBatches: 0,
  };
  tick = 0;
  traceHash = 2166136261;
  private readonly net: SimNetwork<Packet>;
  private readonly brokers: Broker[] = [];
  private readonly groups = new Map<string, GroupRun>();
  private readonly tuning: RaftTuning;
  private readonly faultKinds: readonly FaultKind[];
  private faultsOn = true;
  private nextRecord = 1;
  /** A violation found inside a callback (the host's loop), thrown at the next check. */
  private pending: InvariantViolation | null = null;
  private leaderBecame = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly opts: ReplicaSimOptions,
  ) {
    this.rng = new Rng(seed);
    this.profile = drawProfile(this.rng, opts);
    this.faultKinds = opts.faults ?? FAULT_KINDS;
    const n = opts.nodes;
    const p = this.profile;
    this.net = new SimNetwork<Packet>(n, this.rng, p, this.stats);
    this.tuning = {
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      checkQuorum: p.checkQuorum,
      maxSizePerMsg: p.maxSizePerMsg,
      maxInflightMsgs: p.maxInflightMsgs,
      // As in the Raft simulator: the leader's only backpressure, small enough that the slowest
      // flow-control profile drains its backlog in the liveness phase.
      maxUncommittedBytes: 64 << 10,
    };
    const members = Array.from({ length: n }, (_, i) => ({ id: i + 1, storageId: storageIdOf(i + 1, 0) }));
    const groupCount = p.partitions + (p.metaGroup ? 1 : 0);
    for (let k = 0; k < groupCount; k++) {
      const kind = k < p.partitions ? 'partition' : 'meta';
      // Leadership starts spread: group k prefers node k + 1.
      const preferred = 1 + (k % n);
      const voters = p.oneVoter ? members.filter((m) => m.id === preferred) : members;
      const learners = p.oneVoter ? members.filter((m) => m.id !== preferred) : [];
      const name = kind === 'meta' ? META_GROUP : `t-${k}`;
      const plan: GroupPlan = { kind, name, topic: 't', partition: k, founders: { voters, learners }, preferred };
      this.groups.set(plan.name, {
        plan,
        inv: new Invariants(replicaEntryKey),
        ledger: new OffsetLedger(plan.name),
        operator: new GroupOperator(this.rng, n, (id) => this.identityOf(plan.name, id)),
        consumers: [0, 0],
        metaAcked: new Map(),
      });
    }
    for (let id = 1; id <= n; id++) {
      this.brokers.push({
        id,
        disk: this.newDisk(),
        incarnation: 0,
        proc: null,
        downUntilTick: 0,
        pausedUntilTick: 0,
        inbox: [],
        fatal: null,
        damaged: null,
        syncFaultUntilTick: 0,
        fullUntilTick: 0,
        lastCommit: new Map(),
        ledTerm: new Map(),
        lastApplied: new Map(),
      });
    }
    for (const b of this.brokers) this.start(b);
  }

  private newDisk(): ReplicaDisk {
    const p = this.profile;
    return new MemoryDisk(() => this.net.step, { retentionBytes: p.retentionBytes, retentionMs: p.retentionMs, fsyncSteps: p.fsyncSteps });
  }

  /** The storage id node `id`'s replica of `group` has now (what the operator adds it back with). */
  private identityOf(group: string, id: number): string {
    const b = this.brokers[id - 1];
    return b.proc?.groups.get(group)?.storage.storageId ?? storageIdOf(id, b.incarnation);
  }

  private note(text: string): void {
    const line = `t=${this.tick} ${text}`;
    this.faults.push(line);
    if (this.opts.verbose) console.log(line);
  }

  private violation(msg: string): void {
    this.pending ??= new InvariantViolation(msg);
  }

  private up(b: Broker): boolean {
    return b.proc !== null && b.pausedUntilTick <= this.tick;
  }

  // ------------------------------------------------------------ processes

  private start(b: Broker): void {
    let proc: ReplicaProcess;
    try {
      proc = new ReplicaProcess(b.id, storageIdOf(b.id, b.incarnation), b.disk, this.net, [...this.groups.values()].map((g) => g.plan), this.tuning, this.rng, {
        persist: (group, id, node, entries) => this.guard(() => this.groups.get(group)!.inv.onPersist(node, id, entries)),
        apply: (group, id, entry, hosted, hash) => this.guard(() => this.onApply(group, id, entry, hosted, hash)),
        restore: (group, id) => {
          this.stats.snapshotsInstalled++;
          this.brokers[id - 1].lastApplied.delete(group);
        },
        fatal: (id, err) => {
          this.brokers[id - 1].fatal = err;
        },
        log: (id, level, obj, msg) => this.hostLog(id, level, obj, msg),
      });
    } catch (err) {
      this.refused(b, err);
      return;
    }
    b.proc = proc;
    b.damaged = null;
    b.inbox = [];
    b.lastApplied.clear();
    b.ledTerm.clear();
    for (const [name, g] of proc.groups) b.lastCommit.set(name, g.node.commit);
  }

  /** The node would not start. Expected only when its disk was damaged or its fsyncs fail. */
  private refused(b: Broker, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.stats.refusedStarts++;
    if (b.damaged === null && (err as { code?: string }).code !== 'EIO') {
      this.violation(`node ${b.id} refused to start after a crash without damage: ${msg}`);
      return;
    }
    this.note(`node ${b.id} refused to start (${b.damaged ?? 'fsync failing'}): ${msg}`);
    b.downUntilTick = this.tick + RESTART_RETRY_TICKS;
    // An operator replaces a damaged disk; the node comes back empty under a new identity.
    if (b.damaged !== null) this.wipe(b, 'replace the damaged disk of');
  }

  private crash(b: Broker, downTicks: number): void {
    b.proc?.kill();
    b.proc = null;
    b.fatal = null;
    b.inbox = [];
    b.downUntilTick = this.tick + downTicks;
    this.stats.crashes++;
  }

  private hostLog(id: number, level: string, obj: object, msg?: string): void {
    if (level === 'info') {
      if (this.opts.verbose) console.log(`t=${this.tick} node ${id}: ${msg ?? ''} ${JSON.stringify(obj)}`);
      return;
    }
    const err = (obj as { err?: unknown }).err;
    const detail = err instanceof Error ? err.message : JSON.stringify(obj);
    this.note(`node ${id} ${level}: ${msg ?? ''} ${detail}`);
  }

  /** Runs a check from inside the host's loop, keeping its violation for the simulator to throw. */
  private guard(check: () => void): void {
    try {
      check();
    } catch (err) {
      if (err instanceof InvariantViolation) this.violation(err.message);
      else throw err;
    }
  }

  private onApply(group: string, id: number, e: Entry, hosted: HostedGroup, hash?: number): void {
    const b = this.brokers[id - 1];
    const g = this.groups.get(group)!;
    const last = b.lastApplied.get(group);
    // GroupStateMachine.apply's contract: log order, once per entry.
    if (last !== undefined && e.index !== last + 1) throw new InvariantViolation(`${group}: node ${id} applied ${e.index} after ${last}`);
    b.lastApplied.set(group, e.index);
    g.inv.onApply(id, e, hash);
    if (e.type === 'config') {
      this.stats.confChanges++;
      g.operator.applied(decodeConfChange(e.data), e.index);
    }
    if (hosted.replica === null) return;
    const stored = hosted.storage.log.entryAt(e.index);
    g.ledger.onCommitted(id, stored.baseOffset, batchKey(stored.batch));
  }

  /** After any event on node `b`: leaders, commit indexes. */
  private check(b: Broker): void {
    const proc = b.proc;
    if (proc === null) return;
    for (const [name, hosted] of proc.groups) {
      const node = hosted.node;
      const g = this.groups.get(name)!;
      const prev = b.lastCommit.get(name) ?? 0;
      if (node.commit !== prev) {
        g.inv.onCommit(node, b.id, prev);
        b.lastCommit.set(name, node.commit);
      }
      if (node.state === 'leader' && b.ledTerm.get(name) !== node.term) {
        b.ledTerm.set(name, node.term);
        g.inv.onLeader(node, b.id);
        this.stats.leaders++;
        this.leaderBecame.set(`${name}:${b.id}:${node.term}`, this.tick);
        if (this.opts.verbose) console.log(`t=${this.tick} node ${b.id} became leader of ${name} in term ${node.term}`);
      }
    }
  }

  private throwPending(): void {
    const v = this.pending;
    if (v !== null) throw v;
  }

  /**
   * Runs the hosts until each is idle or waits on a held fsync, then lets client continuations
   * run; crashes the processes whose host failed.
   */
  private async settle(): Promise<void> {
    let ran = false;
    for (let turn = 0; ; turn++) {
      let busy = false;
      for (const b of this.brokers) if (b.proc !== null && b.proc.host.busy && !b.disk.gate.holding) busy = true;
      if (!busy) break;
      if (turn >= SETTLE_TURNS_MAX) throw new InvariantViolation(`a raft host did not settle within ${SETTLE_TURNS_MAX} microtask turns`);
      ran = true;
      await null;
    }
    // Everything else (acks, leader changes, a failed loop) starts in a host's round.
    if (!ran) return;
    for (let k = 0; k < CLIENT_TURNS; k++) await null;
    for (const b of this.brokers) {
      if (b.fatal !== null) this.hostFailed(b);
      this.check(b);
    }
    this.throwPending();
  }

  /** The host's loop failed: expected for an injected fsync or space failure, then the process is dead. */
  private hostFailed(b: Broker): void {
    const err = b.fatal;
    const code = (err as { code?: string }).code;
    const msg = err instanceof Error ? err.message : String(err);
    this.stats.hostFailures++;
    if (code !== 'EIO' && code !== 'ENOSPC') {
      this.violation(`node ${b.id}'s raft host failed: ${err instanceof Error ? (err.stack ?? msg) : msg}`);
      return;
    }
    const down = this.rng.int(1, 2 * ELECTION_TICKS);
    this.note(`node ${b.id}'s raft host stopped on ${msg}: the process exits (restart in ${down} ticks)`);
    this.crash(b, down);
  }

  // ------------------------------------------------------------ network

  private deliver(p: Packet): void {
    const b = this.brokers[p.to - 1];
    if (b.proc === null) return;
    if (this.opts.trace) {
      let h = this.traceHash;
      h = mix(h, p.type.length * 31 + p.type.charCodeAt(0) + p.type.charCodeAt(p.type.length - 1));
      h = mix(mix(mix(h, p.from), p.to), p.term);
      this.traceHash = mix(h, p.bytes.length);
    }
    if (b.pausedUntilTick > this.tick) {
      b.inbox.push(p);
      return;
    }
    this.receive(b, p);
  }

  private receive(b: Broker, p: Packet): void {
    try {
      b.proc!.transport.deliver(p);
    } catch (err) {
      this.violation(`node ${b.id} failed on a ${p.type} from ${p.from} in ${p.group}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    this.check(b);
  }

  // ------------------------------------------------------------ clients

  private leaderOf(group: string): { b: Broker; hosted: HostedGroup } | undefined {
    let best: { b: Broker; hosted: HostedGroup } | undefined;
    for (const b of this.brokers) {
      const hosted = b.proc?.groups.get(group);
      if (hosted === undefined || !(hosted.replica ?? hosted.meta!).isLeader || hosted.node.state !== 'leader') continue;
      if (best === undefined || hosted.node.term > best.hosted.node.term) best = { b, hosted };
    }
    return best;
  }

  /** Produces 1-3 batches of 1-3 records through node `b`'s replica; counts them acknowledged on acks=all. */
  private produce(group: string, hosted: HostedGroup, batchesMax = 3): Promise<boolean> {
    const nowMs = this.tick * TICK_MS;
    const batches: Buffer[] = [];
    const count = this.rng.int(1, batchesMax + 1);
    for (let k = 0; k < count; k++) {
      const records = Array.from({ length: this.rng.int(1, 4) }, () => ({ key: null, value: Buffer.from(`r${this.nextRecord++}`), timestamp: nowMs }));
      batches.push(buildRecordBatch({ records }));
    }
    const keys = batches.map(batchKey);
    const sizes = batches.map((batch) => batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1);
    this.stats.produced += count;
    const ledger = this.groups.get(group)!.ledger;
    return hosted.replica!.append(batches).then(
      (res) =>
        res.committed.then(
          () => {
            let offset = res.baseOffset;
            for (let k = 0; k < count; k++) {
              this.guard(() => ledger.onAcked(offset, keys[k]));
              offset += sizes[k];
            }
            this.stats.acked += count;
            return true;
          },
          () => false,
        ),
      () => false,
    );
  }

  /** Proposes a command to the metadata-like group through `hosted`'s node; resolves true once its proposer applied it. */
  private proposeCommand(g: GroupRun, hosted: HostedGroup): Promise<boolean> {
    const id = `c${this.nextRecord++}`;
    const applied = hosted.meta!.propose(id);
    if (applied === null) return Promise.resolve(false);
    this.stats.produced++;
    const key = batchKey(encodeCommand(id));
    return applied.then((index) => {
      if (index === NO_PROPOSAL) return false;
      this.stats.acked++;
      g.metaAcked.set(index, key);
      return true;
    });
  }

  /** A consumer reads below the high watermark of a replica (usually the leader, as Fetch does). */
  private consume(group: string, g: GroupRun): void {
    const r = this.rng;
    const c = r.int(0, g.consumers.length);
    let b: Broker | undefined;
    let hosted: HostedGroup | undefined;
    if (r.chance(0.8)) {
      const ld = this.leaderOf(group);
      b = ld?.b;
      hosted = ld?.hosted;
    } else {
      b = this.brokers[r.int(0, this.brokers.length)];
      hosted = b.proc?.groups.get(group);
    }
    if (b === undefined || hosted === undefined || !this.up(b)) return;
    const replica = hosted.replica!;
    const hw = replica.highWatermark;
    const pos = Math.max(g.consumers[c], replica.logStartOffset);
    if (pos >= hw || pos > replica.logEndOffset) return;
    const res = replica.log.read(pos, 4096, hw);
    forEachBatch(res.records, (offset, key) => {
      this.stats.readBatches++;
      g.ledger.onSeen(b.id, offset, key);
    });
    g.consumers[c] = res.nextOffset;
  }

  private clients(): void {
    const r = this.rng;
    for (const [name, g] of this.groups) {
      if (g.plan.kind === 'meta') {
        // Any node proposes, as every broker's MetadataGroup can.
        if (r.chance(this.profile.produceChance)) {
          const b = this.brokers[r.int(0, this.brokers.length)];
          const hosted = b.proc?.groups.get(name);
          if (this.up(b) && hosted !== undefined) void this.proposeCommand(g, hosted);
        }
        continue;
      }
      if (r.chance(this.profile.produceChance)) {
        const b = this.brokers[r.int(0, this.brokers.length)];
        const hosted = b.proc?.groups.get(name);
        if (this.up(b) && hosted !== undefined && hosted.replica!.isLeader) void this.produce(name, hosted);
      }
      if (r.chance(this.profile.readChance)) this.consume(name, g);
    }
  }

  /** Retention on every running broker, bounded by each replica's high watermark (HostedReplicas.runRetention). */
  private retention(): void {
    if (this.profile.retentionBytes < 0 && this.profile.retentionMs < 0) return;
    const nowMs = this.tick * TICK_MS;
    for (const b of this.brokers) {
      if (!this.up(b)) continue;
      for (const hosted of b.proc!.groups.values()) {
        if (hosted.replica === null) continue;
        const deleted = hosted.replica.log.applyRetention(nowMs, hosted.replica.highWatermark);
        this.stats.retentionDeletedBatches += deleted.deletedSegments;
      }
    }
  }

  // ------------------------------------------------------------ faults

  private injectFault(): void {
    const r = this.rng;
    const kind = r.pick(this.faultKinds);
    // Half the faults hit a leader: its window between sending and syncing is where early-send
    // and unsynced-term bugs live.
    const leader = r.chance(0.5) ? this.leaderOf(r.pick([...this.groups.keys()]))?.b : undefined;
    const b = leader ?? this.brokers[r.int(0, this.brokers.length)];
    const net = this.net;
    switch (kind) {
      case 'kill': {
        if (b.proc === null) return;
        const down = r.int(1, 6 * ELECTION_TICKS);
        this.note(`kill -9 ${b.id} (down ${down} ticks)`);
        this.crash(b, down);
        return;
      }
      case 'power': {
        // Also while the node is down: a kill -9, then the machine loses power before the restart.
        const wasUp = b.proc !== null;
        if (wasUp) this.crash(b, r.int(1, 4 * ELECTION_TICKS));
        this.note(`power loss ${b.id}${wasUp ? '' : ' (while down)'}: ${b.disk.powerLoss(r)} (down until ${b.downUntilTick})`);
        return;
      }
      case 'kill-mid-sync':
      case 'power-mid-sync': {
        // The most dangerous moment: a process waits on an fsync, its writes are not durable yet.
        const waiting = this.brokers.filter((o) => o.proc !== null && o.disk.gate.holding);
        if (waiting.length === 0) return;
        const t = r.pick(waiting);
        this.crash(t, r.int(1, 4 * ELECTION_TICKS));
        if (kind === 'kill-mid-sync') this.note(`kill -9 ${t.id} while it waits on an fsync (down until ${t.downUntilTick})`);
        else this.note(`power loss ${t.id} while it waits on an fsync: ${t.disk.powerLoss(r)} (down until ${t.downUntilTick})`);
        return;
      }
      case 'pause': {
        if (b.proc === null || b.pausedUntilTick > this.tick) return;
        const ticks = r.int(1, 4 * ELECTION_TICKS);
        b.pausedUntilTick = this.tick + ticks;
        this.note(`pause ${b.id} (${ticks} ticks)`);
        return;
      }
      case 'isolate':
        this.note(net.isolate(b.id));
        return;
      case 'oneway': {
        const cut = net.cutOneWay(b.id);
        if (cut !== null) this.note(cut);
        return;
      }
      case 'partition':
        this.note(net.partition());
        return;
      case 'heal':
        this.note('heal network');
        net.heal();
        return;
      case 'flap':
        this.note(net.flap(b.id, ELECTION_TICKS));
        return;
      case 'slow-fsync': {
        const ticks = r.int(10, 100);
        b.disk.gate.mode = 'slow';
        b.disk.gate.slowSteps = r.int(1, this.profile.slowSyncStepsMax + 1);
        b.syncFaultUntilTick = this.tick + ticks;
        this.note(`slow fsync on ${b.id}: ${b.disk.gate.slowSteps} steps each, for ${ticks} ticks`);
        return;
      }
      case 'fsync-fail': {
        const ticks = r.int(1, 3 * ELECTION_TICKS);
        b.disk.gate.mode = 'fail';
        b.syncFaultUntilTick = this.tick + ticks;
        this.note(`fsync fails on ${b.id} for ${ticks} ticks`);
        return;
      }
      case 'disk-full': {
        const ticks = r.int(5, 60);
        b.disk.full = true;
        b.fullUntilTick = this.tick + ticks;
        this.note(`disk full on ${b.id} for ${ticks} ticks`);
        return;
      }
      case 'membership':
        this.membershipChange(r.pick([...this.groups.keys()]));
        return;
      case 'transfer':
        this.transfer(r.pick([...this.groups.keys()]));
        return;
      case 'wipe':
        this.wipe(b, 'wipe the disk of');
        return;
      case 'group-wipe':
        this.groupWipe(b, r.pick([...this.groups.values()].filter((g) => g.plan.kind === 'partition').map((g) => g.plan.name)));
        return;
      case 'state-flip': {
        // A damaged replica may have to be replaced; only where the group survives that.
        if (this.wipeAllowed(b, [...this.groups.keys()]) === null) return;
        const group = r.pick([...this.groups.keys()]);
        const wasUp = b.proc !== null;
        if (wasUp) this.crash(b, r.int(1, 3 * ELECTION_TICKS));
        const lost = b.disk.powerLoss(r);
        const flip = b.disk.damageState(group, r);
        if (flip === null) return;
        b.damaged = flip;
        this.note(`damage on ${b.id}${wasUp ? '' : ' (while down)'}: power loss (${lost}), then ${flip}`);
        return;
      }
    }
  }

  private membershipChange(group: string): void {
    const ld = this.leaderOf(group);
    if (ld === undefined) return;
    const node = ld.hosted.node;
    const cc = this.groups.get(group)!.operator.nextChange(node.status());
    if (cc === null) return;
    const res = node.proposeConfChange(cc);
    if (res.ok) {
      this.note(`${group}: conf change ${cc.type} ${cc.nodeId}${cc.storageId ? ` (${cc.storageId})` : ''} at ${res.index}`);
      ld.b.proc!.host.kick();
    }
  }

  private transfer(group: string): void {
    const ld = this.leaderOf(group);
    if (ld === undefined) return;
    const to = this.rng.pick(ld.hosted.node.status().config.voters).id;
    if (to !== ld.b.id && ld.hosted.node.transferLeadership(to)) {
      this.note(`${group}: transfer leadership ${ld.b.id} -> ${to}`);
      ld.b.proc!.host.kick();
    }
  }

  /**
   * Whether `b`'s replica of every group in `groups` may be wiped (or damaged) now
   * (GroupOperator.mayWipe): every other node runs (so its uncommitted config entries are
   * visible) and is not damaged, and each group has a leader. Returns the leaders' statuses.
   */
  private wipeAllowed(b: Broker, groups: readonly string[]): Map<string, RaftStatus> | null {
    if (this.brokers.some((o) => o !== b && (o.proc === null || o.damaged !== null))) return null;
    const statuses = new Map<string, RaftStatus>();
    for (const group of groups) {
      const ld = this.leaderOf(group);
      if (ld === undefined) return null;
      const st = ld.hosted.node.status();
      const others = (): boolean => this.brokers.some((o) => o !== b && this.configAfter(o.proc!.groups.get(group)!.node, st.commit));
      if (!this.groups.get(group)!.operator.mayWipe(st, others)) return null;
      statuses.set(group, st);
    }
    return statuses;
  }

  private configAfter(node: RaftNode, index: number): boolean {
    return node.status().configIndex > index;
  }

  /** A disk replaced: the node restarts empty under a new storage id. */
  private wipe(b: Broker, what: string): void {
    const statuses = this.wipeAllowed(b, [...this.groups.keys()]);
    if (statuses === null) return;
    for (const [group, st] of statuses) this.groups.get(group)!.operator.wiped(b.id, st.commit);
    b.incarnation++;
    b.disk = this.newDisk();
    b.damaged = null;
    this.note(`${what} ${b.id} (now ${storageIdOf(b.id, b.incarnation)})`);
    if (b.proc !== null) this.crash(b, this.rng.int(1, 3 * ELECTION_TICKS));
  }

  /**
   * An operator removes one group's directory (its log and raft.state) while the node keeps its
   * identity (issue 9 item 2), with the broker stopped.
   */
  private groupWipe(b: Broker, group: string): void {
    const statuses = this.wipeAllowed(b, [group]);
    if (statuses === null) return;
    this.groups.get(group)!.operator.wiped(b.id, statuses.get(group)!.commit);
    if (b.proc !== null) this.crash(b, this.rng.int(1, 3 * ELECTION_TICKS));
    b.disk.removeGroup(group);
    this.note(`remove the directory of ${group} on ${b.id} (node keeps storage id ${storageIdOf(b.id, b.incarnation)}; down until ${b.downUntilTick})`);
  }

  // ------------------------------------------------------------ the clock

  private onTick(): void {
    for (const b of this.brokers) {
      if (b.syncFaultUntilTick !== 0 && b.syncFaultUntilTick <= this.tick) {
        b.syncFaultUntilTick = 0;
        b.disk.gate.mode = 'ok';
      }
      if (b.fullUntilTick !== 0 && b.fullUntilTick <= this.tick) {
        b.fullUntilTick = 0;
        b.disk.full = false;
      }
      if (b.proc === null && b.downUntilTick <= this.tick) {
        this.note(`restart ${b.id}`);
        this.start(b);
      }
      if (b.proc !== null && b.pausedUntilTick === this.tick && b.inbox.length > 0) {
        const inbox = b.inbox;
        b.inbox = [];
        for (const p of inbox) this.receive(b, p);
      }
    }
    if (this.tick === 0 && this.opts.foundingLoss === true) {
      const b = this.brokers[this.groups.get('t-0')!.plan.preferred - 1];
      this.crash(b, ELECTION_TICKS);
      this.note(`power loss ${b.id} right after founding: ${b.disk.powerLoss(this.rng, 1)}`);
    }
    if (this.faultsOn) {
      this.net.onTick(this.tick);
      if (this.rng.chance(1 / this.profile.faultEveryTicks)) this.injectFault();
      this.clients();
    }
    if (this.tick % RETENTION_EVERY_TICKS === 0) this.retention();
    for (const b of this.brokers) {
      if (!this.up(b)) continue;
      b.proc!.host.tick();
      this.check(b);
    }
  }

  /** Advances the simulation by one tick: the tick itself, then all steps until the next. */
  async advanceTick(): Promise<void> {
    this.onTick();
    this.throwPending();
    await this.settle();
    for (let s = 0; s < STEPS_PER_TICK; s++) {
      this.net.step++;
      for (const b of this.brokers) if (this.up(b)) b.disk.gate.release(!this.faultsOn);
      this.net.deliverDue((p) => this.deliver(p));
      this.throwPending();
      await this.settle();
    }
    this.tick++;
  }

  /** Stops injecting faults and repairs everything (the start of the liveness phase). */
  heal(): void {
    this.faultsOn = false;
    this.net.faultsOn = false;
    this.net.heal();
    for (const b of this.brokers) {
      b.disk.gate.mode = 'ok';
      b.syncFaultUntilTick = 0;
      b.disk.full = false;
      b.fullUntilTick = 0;
      if (b.proc === null) b.downUntilTick = this.tick;
      if (b.pausedUntilTick > this.tick) b.pausedUntilTick = this.tick;
    }
    this.note('heal: faults stop, network repaired, disks healthy, crashed nodes restart');
  }

  /** Every group must elect a leader and commit a new batch; returns ticks to elect and to commit (-1: never). */
  async liveness(): Promise<{ electedAt: number; committedAt: number }> {
    const start = this.tick;
    const markers = new Map<string, { leader: number; term: number; done: boolean }>();
    let electedAt = -1;
    for (let k = 0; k < this.opts.livenessTicksMax; k++) {
      await this.advanceTick();
      let all = true;
      let elected = true;
      for (const name of this.groups.keys()) {
        const m = markers.get(name);
        if (m?.done === true) continue;
        all = false;
        const ld = this.leaderOf(name);
        if (ld === undefined || !this.up(ld.b)) {
          elected = false;
          continue;
        }
        if (m === undefined || m.leader !== ld.b.id || m.term !== ld.hosted.node.term) {
          const marker = { leader: ld.b.id, term: ld.hosted.node.term, done: false };
          markers.set(name, marker);
          const g = this.groups.get(name)!;
          void (g.plan.kind === 'meta' ? this.proposeCommand(g, ld.hosted) : this.produce(name, ld.hosted, 1)).then((acked) => {
            if (acked) marker.done = true;
          });
        }
      }
      if (elected && electedAt < 0) electedAt = this.tick - start;
      if (all) {
        this.finalChecks();
        return { electedAt: Math.max(0, electedAt), committedAt: this.tick - start };
      }
    }
    return { electedAt, committedAt: -1 };
  }

  /** The end: acknowledged and read batches are in every leader's log, and committed prefixes agree. */
  private finalChecks(): void {
    for (const [name, g] of this.groups) {
      const ld = this.leaderOf(name)!;
      const log = ld.hosted.storage.log;
      for (const [index, key] of g.metaAcked) {
        if (index < ld.hosted.storage.firstIndex()) continue;
        const e = index <= ld.hosted.storage.lastIndex() ? ld.hosted.storage.entries(index, index + 1, 0)[0] : undefined;
        if (e === undefined || replicaEntryKey(e) !== key) throw new InvariantViolation(`${name}: the command acknowledged at ${index} is not in leader ${ld.b.id}'s log`);
      }
      g.ledger.checkFinal(ld.b.id, log.logStartOffset, (offset) => {
        if (offset >= log.logEndOffset) return null;
        let key: number | null = null;
        forEachBatch(log.read(offset, 1, Number.MAX_SAFE_INTEGER).records, (base, k) => {
          if (key === null && base === offset) key = k;
        });
        return key;
      });
      const leaderNode = ld.hosted.node;
      for (const b of this.brokers) {
        const hosted = b.proc?.groups.get(name);
        if (hosted === undefined || b === ld.b) continue;
        const from = Math.max(hosted.storage.firstIndex(), ld.hosted.storage.firstIndex());
        const to = Math.min(hosted.node.commit, leaderNode.commit, hosted.storage.lastIndex());
        for (let i = from; i <= to; i++) {
          const mine = hosted.storage.log.entryAt(i);
          const theirs = ld.hosted.storage.log.entryAt(i);
          // Same offsets and term: the stamped bytes agree too, so whole batches compare.
          if (mine.baseOffset !== theirs.baseOffset || mine.term !== theirs.term || !mine.batch.equals(theirs.batch)) {
            throw new InvariantViolation(
              `${name}: committed entry ${i} on node ${b.id} (offset ${mine.baseOffset}, term ${mine.term}) differs from leader ${ld.b.id}'s (offset ${theirs.baseOffset}, term ${theirs.term})`,
            );
          }
        }
      }
    }
  }

  describeProfile(): string {
    const p = this.profile;
    return (
      `nodes=${this.opts.nodes} partitions=${p.partitions} meta=${p.metaGroup} oneVoter=${p.oneVoter} checkQuorum=${p.checkQuorum} ${describeNetworkProfile(p)} ` +
      `faultEvery=${p.faultEveryTicks}ticks retention=${p.retentionBytes}B/${p.retentionMs}ms produce=${p.produceChance} read=${p.readChance} ` +
      `maxSizePerMsg=${p.maxSizePerMsg} inflight=${p.maxInflightMsgs} fsync=${p.fsyncSteps}steps slowSync<=${p.slowSyncStepsMax}steps faults=${this.faultKinds.length === FAULT_KINDS.length ? 'all' : this.faultKinds.join(',')}`
    );
  }
}

export async function runReplicaSeed(seed: number, opts: ReplicaSimOptions): Promise<ReplicaSimResult> {
  let sim: ReplicaSimulation | null = null;
  let error = '';
  let ticksToElect = -1;
  let ticksToCommit = -1;
  try {
    sim = new ReplicaSimulation(seed, opts);
    for (let t = 0; t < opts.safetyTicks; t++) await sim.advanceTick();
    sim.heal();
    const live = await sim.liveness();
    ticksToElect = live.electedAt;
    ticksToCommit = live.committedAt;
    if (live.committedAt < 0) error = `liveness: not every group committed a new batch within ${opts.livenessTicksMax} ticks after faults stopped`;
  } catch (e) {
    const err = e as Error;
    error = `${err.name}: ${err.message}${err instanceof InvariantViolation ? '' : `\n${err.stack ?? ''}`}`;
  }
  return {
    seed,
    ok: error === '',
    error,
    profile: sim?.describeProfile() ?? '',
    faults: sim?.faults ?? [],
    ticks: sim?.tick ?? 0,
    ticksToElect,
    ticksToCommit,
    traceHash: sim?.traceHash ?? 0,
    stats: sim?.stats ?? ({} as ReplicaSimStats),
  };
}

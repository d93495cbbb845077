// Deterministic simulation of whole partition replicas: on every simulated broker the production
// RaftHost drives ReplicatedPartitions over RaftLogStorage (replica-node.ts), on a disk whose
// fsyncs, power losses and damage the simulator controls (sim-disk.ts), talking through the real
// wire codec (one seed in 8; the others hand over copies, sim-transport.ts) over the shared
// simulated network (network.ts). Producers append through the
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
import { InvariantViolation, Invariants, mix } from './invariants.ts';
import { SimNetwork } from './network.ts';
import { GroupOperator } from './operator.ts';
import { OffsetLedger, batchKey, forEachBatch } from './offset-ledger.ts';
import { MemoryDisk, ioCode, type ReplicaDisk } from './sim-disk.ts';
import { FileDisk, SimStorageFs } from './sim-file-disk.ts';
import { codecSeed, type Packet } from './sim-transport.ts';
import { ReplicaProcess, type GroupPlan, type HostedGroup, type RaftTuning } from './replica-node.ts';
import {
  DEFAULT_FAULT_KINDS,
  describeProfile,
  drawProfile,
  type FaultKind,
  type Profile,
  type ReplicaSimOptions,
  type ReplicaSimResult,
  type ReplicaSimStats,
} from './replica-profile.ts';
import { ELECTION_TICKS, replicaEntryKey, type Broker, type GroupRun, type Leader, type World } from './replica-world.ts';
import { produce, proposeCommand, runClients, runRetention } from './replica-clients.ts';
import { Faults } from './replica-faults.ts';
import { storageIdOf } from './sim.ts';

export { DEFAULT_FAULT_KINDS, FAULT_KINDS, SCENARIOS, type FaultKind, type ReplicaSimOptions, type ReplicaSimResult } from './replica-profile.ts';

const STEPS_PER_TICK = 4;
const HEARTBEAT_TICKS = 1;
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

export class ReplicaSimulation implements World {
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
  readonly net: SimNetwork<Packet>;
  readonly brokers: Broker[] = [];
  readonly groups = new Map<string, GroupRun>();
  private readonly tuning: RaftTuning;
  private readonly faultKinds: readonly FaultKind[];
  private readonly injector: Faults;
  private faultsOn = true;
  private lastId = 0;
  /** A violation found inside a callback (the host's loop), thrown at the next check. */
  private pending: InvariantViolation | null = null;
  /** With file disks: the storage file system, routed to each disk (restored by close()). */
  private readonly storageFs: SimStorageFs | null;

  constructor(
    readonly seed: number,
    readonly opts: ReplicaSimOptions,
  ) {
    this.rng = new Rng(seed);
    this.profile = drawProfile(this.rng, opts);
    this.faultKinds = opts.faults ?? DEFAULT_FAULT_KINDS;
    this.injector = new Faults(this, this.faultKinds);
    const n = opts.nodes;
    const p = this.profile;
    this.net = new SimNetwork<Packet>(n, this.rng, p, this.stats);
    this.storageFs = p.disk === 'files' ? new SimStorageFs() : null;
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
        powerLossAtTick: 0,
        lastCommit: new Map(),
        ledTerm: new Map(),
        lastApplied: new Map(),
      });
    }
    for (const b of this.brokers) this.start(b);
  }

  newDisk(): ReplicaDisk {
    const p = this.profile;
    const step = () => this.net.step;
    const options = { retentionBytes: p.retentionBytes, retentionMs: p.retentionMs, fsyncSteps: p.fsyncSteps };
    if (this.storageFs === null) return new MemoryDisk(step, options);
    return new FileDisk(step, this.storageFs, { ...options, segmentBytes: p.segmentBytes, indexIntervalBytes: p.indexIntervalBytes });
  }

  /** Gives the process its storage file system back. */
  close(): void {
    this.storageFs?.restore();
  }

  /** The storage id node `id`'s replica of `group` has now (what the operator adds it back with). */
  private identityOf(group: string, id: number): string {
    const b = this.brokers[id - 1];
    return b.proc?.groups.get(group)?.storage.storageId ?? storageIdOf(id, b.incarnation);
  }

  nextId(): number {
    return ++this.lastId;
  }

  note(text: string): void {
    const line = `t=${this.tick} ${text}`;
    this.faults.push(line);
    if (this.opts.verbose) console.log(line);
  }

  private violation(msg: string): void {
    this.pending ??= new InvariantViolation(msg);
  }

  up(b: Broker): boolean {
    return b.proc !== null && b.pausedUntilTick <= this.tick;
  }

  // ------------------------------------------------------------ processes

  private start(b: Broker): void {
    let proc: ReplicaProcess;
    try {
      proc = new ReplicaProcess(
        b.id,
        storageIdOf(b.id, b.incarnation),
        b.disk,
        this.net,
        codecSeed(this.seed),
        [...this.groups.values()].map((g) => g.plan),
        this.tuning,
        this.rng,
        {
          durable: (group, id, entries, prevTerm) => this.guard(() => this.groups.get(group)!.inv.onDurable(id, entries, prevTerm)),
          apply: (group, id, entry, hosted, hash) => this.guard(() => this.onApply(group, id, entry, hosted, hash)),
          restore: (group, id) => {
            this.stats.snapshotsInstalled++;
            this.brokers[id - 1].lastApplied.delete(group);
          },
          fatal: (id, err) => {
            this.brokers[id - 1].fatal = err;
          },
          log: (id, level, obj, msg) => this.hostLog(id, level, obj, msg),
        },
      );
    } catch (err) {
      this.refused(b, err);
      return;
    }
    b.proc = proc;
    b.damaged = null;
    for (const [name, hosted] of proc.groups) {
      // Damage found at open: the replica runs under a new group-level id, which the operator
      // must bring back (remove the old identity, add the new one) as after a wiped directory.
      const op = this.groups.get(name)!.operator;
      if (hosted.storage.lostReason !== null && op.pendingWipe !== b.id) op.wiped(b.id, Math.max(0, ...this.brokers.map((o) => o.lastCommit.get(name) ?? 0)));
    }
    b.inbox = [];
    b.lastApplied.clear();
    b.ledTerm.clear();
    for (const [name, g] of proc.groups) b.lastCommit.set(name, g.node.commit);
  }

  /** The node would not start. Expected only when its disk was damaged or its fsyncs fail. */
  private refused(b: Broker, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.stats.refusedStarts++;
    const code = ioCode(err);
    // A failing fsync or a full disk (the founding write) stops a start as it stops a host.
    const injected = code === 'EIO' ? 'fsync failing' : code === 'ENOSPC' && b.disk.full ? 'disk full' : null;
    if (b.damaged === null && injected === null) {
      this.violation(`node ${b.id} refused to start after a crash without damage: ${msg}`);
      return;
    }
    this.note(`node ${b.id} refused to start (${b.damaged ?? injected}): ${msg}`);
    b.downUntilTick = this.tick + RESTART_RETRY_TICKS;
    // An operator replaces a damaged disk; the node comes back empty under a new identity.
    if (b.damaged !== null) this.injector.wipe(b, 'replace the damaged disk of');
  }

  crash(b: Broker, downTicks: number): void {
    b.proc?.kill();
    b.proc = null;
    b.fatal = null;
    b.inbox = [];
    b.powerLossAtTick = 0;
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
  guard(check: () => void): void {
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

  /**
   * After any event on node `b`: leaders, commit indexes. After a packet, only its group
   * (`only`): stepping a message changes no other group until the host's next round, which the
   * settle after it checks in full.
   */
  private check(b: Broker, only?: string): void {
    const proc = b.proc;
    if (proc === null) return;
    if (only !== undefined) {
      const hosted = proc.groups.get(only);
      if (hosted !== undefined) this.checkGroup(b, only, hosted);
      return;
    }
    for (const hosted of proc.groups.values()) this.checkGroup(b, hosted.plan.name, hosted);
  }

  private checkGroup(b: Broker, name: string, hosted: HostedGroup): void {
    // Runs after every packet: the group's record is looked up only when something changed.
    const node = hosted.node;
    const prev = b.lastCommit.get(name) ?? 0;
    if (node.commit !== prev) {
      this.groups.get(name)!.inv.onCommit(node, b.id, prev);
      b.lastCommit.set(name, node.commit);
    }
    if (node.state === 'leader' && b.ledTerm.get(name) !== node.term) {
      b.ledTerm.set(name, node.term);
      this.groups.get(name)!.inv.onLeader(node, b.id);
      this.stats.leaders++;
      if (this.opts.verbose) console.log(`t=${this.tick} node ${b.id} became leader of ${name} in term ${node.term}`);
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
      for (const b of this.brokers) if (b.proc?.host.busy && !b.disk.gate.holding) busy = true;
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
    const code = ioCode(err);
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
      this.traceHash = mix(h, p.bytes !== null ? p.bytes.length : p.msg!.entries.length);
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
    this.check(b, p.group);
  }

  // ------------------------------------------------------------ leaders

  leaderOf(group: string): Leader | undefined {
    let best: Leader | undefined;
    for (const b of this.brokers) {
      const hosted = b.proc?.groups.get(group);
      if (hosted === undefined || !(hosted.replica ?? hosted.meta!).isLeader || hosted.node.state !== 'leader') continue;
      if (best === undefined || hosted.node.term > best.hosted.node.term) best = { b, hosted };
    }
    return best;
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
      if (b.powerLossAtTick !== 0 && b.powerLossAtTick <= this.tick && this.faultsOn) this.injector.scheduled(b);
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
      if (this.rng.chance(1 / this.profile.faultEveryTicks)) this.injector.inject();
      runClients(this);
    }
    if (this.tick % RETENTION_EVERY_TICKS === 0) runRetention(this);
    for (const b of this.brokers) {
      if (!this.up(b)) continue;
      b.proc!.stepScrub();
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
      if (this.faultsOn) this.injector.onStep();
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
      b.powerLossAtTick = 0;
      if (b.proc === null) b.downUntilTick = this.tick;
      if (b.pausedUntilTick > this.tick) b.pausedUntilTick = this.tick;
    }
    this.note('heal: faults stop, network repaired, disks healthy, crashed nodes restart');
  }

  /** Every group must elect a leader and commit a new batch; returns ticks to elect and to commit (-1: never). */
  async liveness(): Promise<{ electedAt: number; committedAt: number }> {
    const start = this.tick;
    const markers = new Map<string, { leader: number; term: number; done: boolean; failed: boolean }>();
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
        // A new leader, or the last attempt was refused or lost (a transfer in progress, a
        // step-down): the client tries again, as a producer retries.
        if (m === undefined || m.failed || m.leader !== ld.b.id || m.term !== ld.hosted.node.term) {
          const marker = { leader: ld.b.id, term: ld.hosted.node.term, done: false, failed: false };
          markers.set(name, marker);
          const g = this.groups.get(name)!;
          void (g.plan.kind === 'meta' ? proposeCommand(this, g, ld.hosted) : produce(this, g, ld.hosted, 1)).then((acked) => {
            if (acked) marker.done = true;
            else marker.failed = true;
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
        if (e === undefined || replicaEntryKey(e) !== key)
          throw new InvariantViolation(`${name}: the command acknowledged at ${index} is not in leader ${ld.b.id}'s log`);
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
        // Only what both storages hold: a node can know a commit above the entries its host is
        // still writing (B9: the stale suffix they replace is still on disk until then).
        const to = Math.min(hosted.node.commit, leaderNode.commit, hosted.storage.lastIndex(), hosted.node.persistedIndex, leaderNode.persistedIndex);
        if (from > to) continue;
        // One read of each range (not a segment scan per entry).
        const ours = hosted.storage.log.entries(from, to + 1, Number.MAX_SAFE_INTEGER);
        const leaders = ld.hosted.storage.log.entries(from, to + 1, Number.MAX_SAFE_INTEGER);
        for (let i = from; i <= to; i++) {
          const mine = ours[i - from];
          const theirs = leaders[i - from];
          // Same offsets and term: the stamped bytes agree too, so whole batches compare.
          if (mine.baseOffset !== theirs.baseOffset || mine.term !== theirs.term || !mine.batch.equals(theirs.batch)) {
            throw new InvariantViolation(
              `${name}: committed entry ${i} on node ${b.id} (offset ${mine.baseOffset}, term ${mine.term}, ${mine.batch.length} bytes) differs from leader ${ld.b.id}'s ` +
                `(offset ${theirs.baseOffset}, term ${theirs.term}, ${theirs.batch.length} bytes): first difference at byte ${firstDifference(mine.batch, theirs.batch)}`,
            );
          }
        }
      }
    }
  }

  /** Each node's view of each group, for a liveness failure. */
  describeGroups(): string {
    const lines: string[] = [];
    for (const name of this.groups.keys()) {
      for (const b of this.brokers) {
        const hosted = b.proc?.groups.get(name);
        if (hosted === undefined) {
          lines.push(`    ${name} node ${b.id}: down${b.damaged !== null ? ' (damaged)' : ''}`);
          continue;
        }
        const st = hosted.node.status();
        const members = (ms: { id: number; storageId: string }[]) => ms.map((m) => `${m.id}:${m.storageId}`).join(',');
        lines.push(
          `    ${name} node ${b.id} (${st.storageId}): ${st.state} term ${st.term} lead ${st.lead} commit ${st.commit} last ${st.lastIndex} ` +
            `voters [${members(st.config.voters)}] learners [${members(st.config.learners)}]`,
        );
      }
    }
    return lines.join('\n');
  }

  describeProfile(): string {
    return describeProfile(this.profile, this.opts, this.faultKinds);
  }
}

function firstDifference(a: Buffer, b: Buffer): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
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
    if (live.committedAt < 0) {
      error = `liveness: not every group committed a new batch within ${opts.livenessTicksMax} ticks after faults stopped\n${sim.describeGroups()}`;
    }
  } catch (e) {
    const err = e as Error;
    error = `${err.name}: ${err.message}${err instanceof InvariantViolation ? '' : `\n${err.stack ?? ''}`}`;
  } finally {
    sim?.close();
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

// Deterministic simulation of a Raft group: N RaftNodes in one process on a simulated
// clock, a lossy network and crashable disks, all driven by one seeded PRNG. A run has
// a safety phase (faults) and a liveness phase (no new faults, everything healed) and
// checks the invariants in invariants.ts after every event. Same seed, same run.

import { MemoryStorage, RaftNode, Rng, decodeConfChange } from '../../src/raft/index.ts';
import type { ConfState, Entry, Message, RaftConfig, Ready } from '../../src/raft/index.ts';
import { InvariantViolation, Invariants, fnv, mix } from './invariants.ts';
import { SimNetwork, describeNetworkProfile, drawNetworkProfile, type NetworkProfile } from './network.ts';
import { GroupOperator } from './operator.ts';

export interface SimOptions {
  nodes: number;
  /** Ticks with faults, then at most livenessTicksMax ticks to elect and commit. */
  safetyTicks: number;
  livenessTicksMax: number;
  /** Print every fault and leader change as it happens. */
  verbose?: boolean;
  /** Fold every delivered message into a trace hash (for the determinism test). */
  trace?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  error: string;
  profile: string;
  faults: string[];
  ticks: number;
  ticksToElect: number;
  ticksToCommit: number;
  traceHash: number;
  stats: SimStats;
}

export interface SimStats {
  messages: number;
  dropped: number;
  leaders: number;
  committed: number;
  acked: number;
  reads: number;
  crashes: number;
  snapshotsInstalled: number;
  confChanges: number;
  /** Proposals a follower or learner forwarded to its leader ('prop'), and those its proposer then applied. */
  forwarded: number;
  forwardAcked: number;
}

/** One rtt_ms tick is divided into steps; a normal one-way delay is 1-2 steps. */
const STEPS_PER_TICK = 4;
const ELECTION_TICKS = 10;
const HEARTBEAT_TICKS = 1;

interface Profile extends NetworkProfile {
  checkQuorum: boolean;
  preVote: boolean;
  faultEveryTicks: number;
  tornWrite: number;
  snapshotEntries: number;
  compactionOverhead: number;
  maxInflightMsgs: number;
  maxSizePerMsg: number;
  proposeChance: number;
  /**
   * Chance that a client whose proposal lands on a non-leader forwards it instead of giving
   * up. At most one half, so that with the highest propose chance the offered load (about
   * 1.2 entries per tick) stays below what the slowest profile replicates (about 2).
   */
  forwardChance: number;
}

interface StateMachine {
  index: number;
  hash: number;
}

interface SimNode {
  id: number;
  storage: MemoryStorage;
  node: RaftNode | null;
  incarnation: number;
  downUntilTick: number;
  pausedUntilTick: number;
  inbox: Message[];
  sm: StateMachine;
  lastCommit: number;
  wasLeaderTerm: number;
  dirty: boolean;
}

interface PendingRead {
  node: number;
  minIndex: number;
}

export function storageIdOf(id: number, incarnation: number): string {
  return `n${id}.${incarnation}`;
}

function drawProfile(rng: Rng): Profile {
  return {
    checkQuorum: rng.chance(0.5),
    preVote: rng.chance(0.5),
    ...drawNetworkProfile(rng),
    faultEveryTicks: rng.pick([20, 50, 120]),
    tornWrite: rng.pick([0, 0.001, 0.005]),
    snapshotEntries: rng.pick([0, 10, 40]),
    compactionOverhead: rng.pick([0, 5, 50]),
    maxInflightMsgs: rng.pick([1, 4, 64]),
    maxSizePerMsg: rng.pick([1, 200, 4096]),
    proposeChance: rng.pick([0.1, 0.4, 0.9]),
    forwardChance: rng.pick([0, 0.25, 0.5]),
  };
}

function encodeSm(sm: StateMachine): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setFloat64(0, sm.index);
  v.setUint32(8, sm.hash);
  return b;
}

function decodeSm(data: Uint8Array): StateMachine {
  if (data.length === 0) return { index: 0, hash: 2166136261 };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { index: v.getFloat64(0), hash: v.getUint32(8) };
}

export class Simulation {
  readonly rng: Rng;
  readonly profile: Profile;
  readonly inv = new Invariants();
  readonly faults: string[] = [];
  readonly stats: SimStats = {
    messages: 0,
    dropped: 0,
    leaders: 0,
    committed: 0,
    acked: 0,
    reads: 0,
    crashes: 0,
    snapshotsInstalled: 0,
    confChanges: 0,
    forwarded: 0,
    forwardAcked: 0,
  };
  private readonly nodes: SimNode[] = [];
  private readonly net: SimNetwork<Message>;
  tick = 0;
  private faultsOn = true;
  private readonly operator: GroupOperator;
  traceHash = 2166136261;
  private nextProposal = 1;
  /** (index, term) of proposals the client is waiting for -> proposal id. */
  private readonly inflightProposals = new Map<number, number>();
  /** Forwarded proposal id -> the node that forwarded it and waits to apply it. */
  private readonly forwardedProposals = new Map<number, number>();
  private maxAckedIndex = 0;
  private readonly reads = new Map<string, PendingRead>();
  private nextRead = 1;
  private leaderBecame = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly opts: SimOptions,
  ) {
    this.rng = new Rng(seed);
    this.profile = drawProfile(this.rng);
    const n = opts.nodes;
    this.net = new SimNetwork<Message>(n, this.rng, this.profile, this.stats);
    this.operator = new GroupOperator(this.rng, n, (id) => storageIdOf(id, this.nodes[id - 1].incarnation));
    const confState: ConfState = {
      voters: Array.from({ length: n }, (_, k) => ({ id: k + 1, storageId: storageIdOf(k + 1, 0) })),
      learners: [],
    };
    for (let id = 1; id <= n; id++) {
      const storage = new MemoryStorage(storageIdOf(id, 0));
      storage.bootstrap(confState);
      const sn: SimNode = {
        id,
        storage,
        node: null,
        incarnation: 0,
        downUntilTick: 0,
        pausedUntilTick: 0,
        inbox: [],
        sm: { index: 0, hash: 2166136261 },
        lastCommit: 0,
        wasLeaderTerm: 0,
        dirty: false,
      };
      this.nodes.push(sn);
      this.boot(sn);
    }
  }

  private raftConfig(id: number): Partial<RaftConfig> & { id: number } {
    const p = this.profile;
    return {
      id,
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: HEARTBEAT_TICKS,
      checkQuorum: p.checkQuorum,
      preVote: p.preVote,
      maxInflightMsgs: p.maxInflightMsgs,
      maxInflightBytes: 0,
      maxSizePerMsg: p.maxSizePerMsg,
      // The leader's only backpressure against clients, forwarded proposals included. 8 KiB
      // is 256 client entries of 32 accounted bytes. The slowest profile (one entry per
      // message, one message in flight) replicates about two entries per tick, and with
      // forwarding more client proposals reach the leader, so a much larger backlog could
      // not drain within the liveness phase (with 1 MiB and every proposal forwarded, seed
      // 1519 was 1,059 entries behind at heal). The limit is per leader term: a node that
      // leads several terms without committing can still pile up more (seed 4567 did, 1,007).
      maxUncommittedBytes: 8 << 10,
      maxCommittedBytesPerReady: 1 << 20,
      maxPendingReads: 64,
      snapshotEntries: p.snapshotEntries,
      compactionOverhead: p.compactionOverhead,
    };
  }

  private boot(sn: SimNode): void {
    // The host rebuilds its state machine from the snapshot; Raft replays the rest.
    sn.sm = decodeSm(sn.storage.snapshot().data);
    sn.node = new RaftNode(this.raftConfig(sn.id), sn.storage, this.rng.fork());
    sn.lastCommit = sn.node.commit;
    sn.wasLeaderTerm = 0;
    sn.inbox = [];
  }

  private note(text: string): void {
    const line = `t=${this.tick} ${text}`;
    this.faults.push(line);
    if (this.opts.verbose) console.log(line);
  }

  private up(sn: SimNode): boolean {
    return sn.node !== null && sn.pausedUntilTick <= this.tick;
  }

  // ------------------------------------------------------------ host loop

  private process(sn: SimNode): void {
    const node = sn.node;
    if (node === null) return;
    for (let k = 0; k < 64 && node.hasReady(); k++) {
      const rd = node.ready();
      if (this.faultsOn && this.profile.tornWrite > 0 && this.rng.chance(this.profile.tornWrite)) {
        this.crashMidWrite(sn, rd);
        return;
      }
      this.persist(sn, rd);
      this.inv.onPersist(node, sn.id, rd.entries);
      for (const m of rd.messages) this.net.send(m);
      this.apply(sn, rd);
      node.advance(rd);
      this.check(sn);
    }
  }

  private persist(sn: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      sn.storage.applySnapshot(rd.snapshot);
      sn.sm = decodeSm(rd.snapshot.data);
      this.inv.onSnapshotRestore(sn.id, sn.sm.index, sn.sm.hash);
      this.stats.snapshotsInstalled++;
    }
    sn.storage.append(rd.entries);
    if (rd.hardState !== null) sn.storage.setHardState(rd.hardState);
  }

  /**
   * The process dies while writing this Ready: unsynced writes are lost except for a
   * prefix of the entries that happened to reach the disk, whose last one may be torn
   * (and is then dropped by recovery). Hard state is written after entries, so it is lost.
   */
  private crashMidWrite(sn: SimNode, rd: Ready): void {
    let kept = 0;
    if (rd.snapshot === null && rd.entries.length > 0) {
      kept = this.rng.int(0, rd.entries.length + 1);
      if (kept > 0) sn.storage.append(rd.entries.slice(0, kept));
    }
    const down = this.rng.int(1, 4 * ELECTION_TICKS);
    this.note(`torn-write crash ${sn.id} (kept ${kept}/${rd.entries.length} unsynced entries, down ${down} ticks)`);
    this.crash(sn, down);
  }

  private apply(sn: SimNode, rd: Ready): void {
    for (const e of rd.committedEntries) {
      if (e.index <= sn.sm.index) continue;
      if (e.index !== sn.sm.index + 1) throw new InvariantViolation(`node ${sn.id} applies ${e.index} after ${sn.sm.index}`);
      sn.sm.hash = fnv(mix(mix(sn.sm.hash, e.index), e.term), e.data);
      sn.sm.index = e.index;
      this.inv.onApply(sn.id, e, sn.sm.hash);
      if (e.type === 'normal' && e.data.length === 8) this.checkProposalData(sn, e);
      if (e.type === 'config') {
        this.stats.confChanges++;
        this.operator.applied(decodeConfChange(e.data), e.index);
      }
      this.ackProposal(sn, e);
    }
    for (const r of rd.readStates) {
      const pending = this.reads.get(r.context);
      if (pending === undefined) continue;
      this.reads.delete(r.context);
      // Read-index linearizability (§6.4): the read index covers every write that was
      // acknowledged before the read was asked for.
      if (r.index < pending.minIndex) {
        throw new InvariantViolation(`read ${r.context} on node ${sn.id} got index ${r.index} < acknowledged ${pending.minIndex}`);
      }
      this.stats.reads++;
    }
    const req = rd.snapshotRequest;
    if (req !== null) {
      if (sn.sm.index !== req.index) throw new InvariantViolation(`snapshot request at ${req.index} but node ${sn.id} applied ${sn.sm.index}`);
      sn.storage.createSnapshot(req.index, req.confState, encodeSm(sn.sm));
      sn.storage.compact(Math.min(req.compactTo, req.index));
    }
  }

  /**
   * Every client entry carries a proposal id that some client actually proposed (a forwarded
   * entry arrives intact, whatever the network did to its message). A forwarded proposal
   * counts as acknowledged when the node that forwarded it applies it: that is how a real
   * proposer learns the outcome, since a forwarded result has no index.
   */
  private checkProposalData(sn: SimNode, e: Entry): void {
    const id = new DataView(e.data.buffer, e.data.byteOffset, 8).getFloat64(0);
    if (!Number.isInteger(id) || id < 1 || id >= this.nextProposal) {
      throw new InvariantViolation(`node ${sn.id} applied entry ${e.index} with proposal id ${id}, which no client proposed`);
    }
    if (this.forwardedProposals.get(id) !== sn.id) return;
    this.forwardedProposals.delete(id);
    this.stats.forwardAcked++;
    if (e.index > this.maxAckedIndex) this.maxAckedIndex = e.index;
  }

  private ackProposal(sn: SimNode, e: Entry): void {
    const node = sn.node!;
    if (node.state !== 'leader' || e.data.length !== 8) return;
    const key = e.index * 1048576 + e.term;
    const id = this.inflightProposals.get(key);
    if (id === undefined) return;
    this.inflightProposals.delete(key);
    if (new DataView(e.data.buffer, e.data.byteOffset, 8).getFloat64(0) !== id) {
      throw new InvariantViolation(`proposal ${id} acknowledged at ${e.index} but the entry holds other data`);
    }
    this.stats.acked++;
    if (e.index > this.maxAckedIndex) this.maxAckedIndex = e.index;
  }

  private check(sn: SimNode): void {
    const node = sn.node!;
    this.inv.onCommit(node, sn.id, sn.lastCommit);
    sn.lastCommit = node.commit;
    if (node.state === 'leader' && sn.wasLeaderTerm !== node.term) {
      sn.wasLeaderTerm = node.term;
      this.inv.onLeader(node, sn.id);
      this.stats.leaders++;
      this.leaderBecame.set(`${sn.id}:${node.term}`, this.tick);
      if (this.opts.verbose) console.log(`t=${this.tick} node ${sn.id} became leader of term ${node.term}`);
    }
  }

  // ------------------------------------------------------------ network

  private deliver(m: Message): void {
    const sn = this.nodes[m.to - 1];
    if (sn.node === null) return;
    if (this.opts.trace) {
      let h = this.traceHash;
      h = mix(h, m.type.length * 31 + m.type.charCodeAt(0) + m.type.charCodeAt(m.type.length - 1));
      h = mix(mix(mix(h, m.from), m.to), m.term);
      h = mix(mix(mix(h, m.index), m.commit), m.entries.length);
      this.traceHash = h;
    }
    if (sn.pausedUntilTick > this.tick) {
      sn.inbox.push(m);
      return;
    }
    sn.node.step(m);
    sn.dirty = true;
  }

  // ------------------------------------------------------------ faults

  private crash(sn: SimNode, downTicks: number): void {
    sn.node = null;
    sn.inbox = [];
    sn.downUntilTick = this.tick + downTicks;
    this.stats.crashes++;
    // A process that dies closes its sockets: the others' transports report it (cluster-node.ts).
    this.reportConnectionLost(sn.id);
  }

  /** Every other running node's transport lost its connection to `id` (a hint; it may be wrong). */
  private reportConnectionLost(id: number): void {
    for (const other of this.nodes) {
      if (other.id === id || other.node === null) continue;
      other.node.reportConnectionLost(id);
      other.dirty = true;
    }
  }

  private restart(sn: SimNode): void {
    this.boot(sn);
    sn.dirty = true;
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const sn of this.nodes) {
      if (sn.node !== null && sn.node.state === 'leader' && (best === undefined || sn.node.term > best.node!.term)) best = sn;
    }
    return best;
  }

  private injectFault(): void {
    const r = this.rng;
    const n = this.opts.nodes;
    const target = this.nodes[r.int(0, n)];
    const kind = r.int(0, 12);
    switch (kind) {
      case 0:
      case 1: {
        if (target.node === null) return;
        const down = r.int(1, 6 * ELECTION_TICKS);
        this.note(`crash ${target.id} (down ${down} ticks)`);
        this.crash(target, down);
        return;
      }
      case 2: {
        if (target.node === null || target.pausedUntilTick > this.tick) return;
        const ticks = r.int(1, 4 * ELECTION_TICKS);
        target.pausedUntilTick = this.tick + ticks;
        this.note(`pause ${target.id} (${ticks} ticks)`);
        return;
      }
      case 3:
        this.note(this.net.isolate(target.id));
        // Here the hint is wrong half the time: an isolated node is alive, and may still lead.
        this.reportConnectionLost(target.id);
        return;
      case 4: {
        const cut = this.net.cutOneWay(target.id);
        if (cut !== null) this.note(cut);
        return;
      }
      case 5:
        this.note(this.net.partition());
        return;
      case 6:
      case 7:
        this.note('heal network');
        this.net.heal();
        return;
      case 8:
        this.note(this.net.flap(target.id, ELECTION_TICKS));
        return;
      case 9:
        this.membershipChange();
        return;
      case 10: {
        const ld = this.leader();
        if (ld === undefined) return;
        const conf = ld.node!.status().config;
        const to = r.pick(conf.voters).id;
        if (to !== ld.id && ld.node!.transferLeadership(to)) {
          this.note(`transfer leadership ${ld.id} -> ${to}`);
          ld.dirty = true;
        }
        return;
      }
      case 11:
        this.wipe(target);
        return;
    }
  }

  /** A disk replaced: the node restarts empty under a new storage id. */
  private wipe(sn: SimNode): void {
    const ld = this.leader();
    if (ld === undefined) return;
    const st = ld.node!.status();
    if (!this.operator.mayWipe(st, () => this.nodes.some((o) => this.hasConfigAfter(o, st.commit)))) return;
    this.operator.wiped(sn.id, st.commit);
    sn.incarnation++;
    sn.storage = new MemoryStorage(storageIdOf(sn.id, sn.incarnation));
    this.note(`wipe disk of ${sn.id} (now ${storageIdOf(sn.id, sn.incarnation)})`);
    this.crash(sn, this.rng.int(1, 3 * ELECTION_TICKS));
  }

  private hasConfigAfter(sn: SimNode, index: number): boolean {
    if (sn.node !== null) return sn.node.status().configIndex > index;
    const last = sn.storage.lastIndex();
    const from = Math.max(index + 1, sn.storage.firstIndex());
    if (from > last) return false;
    return sn.storage.entries(from, last + 1, Number.MAX_SAFE_INTEGER).some((e) => e.type === 'config');
  }

  private membershipChange(): void {
    const ld = this.leader();
    if (ld === undefined) return;
    const node = ld.node!;
    const cc = this.operator.nextChange(node.status());
    if (cc === null) return;
    const res = node.proposeConfChange(cc);
    if (res.ok) {
      this.note(`conf change ${cc.type} ${cc.nodeId}${cc.storageId ? ` (${cc.storageId})` : ''} at ${res.index}`);
      ld.dirty = true;
    }
  }

  private client(): void {
    const r = this.rng;
    if (r.chance(this.profile.proposeChance)) {
      const sn = this.nodes[r.int(0, this.opts.nodes)];
      if (this.up(sn) && sn.node!.state === 'leader') {
        const count = r.int(1, 4);
        const datas: Uint8Array[] = [];
        const ids: number[] = [];
        for (let k = 0; k < count; k++) {
          const id = this.nextProposal++;
          const b = new Uint8Array(8);
          new DataView(b.buffer).setFloat64(0, id);
          datas.push(b);
          ids.push(id);
        }
        const res = sn.node!.proposeBatch(datas);
        if (res.ok) {
          for (let k = 0; k < count; k++) this.inflightProposals.set((res.index + k) * 1048576 + res.term, ids[k]);
          sn.dirty = true;
        }
      } else if (this.up(sn) && r.chance(this.profile.forwardChance)) {
        this.forward(sn);
      }
    }
    if (r.chance(0.05)) {
      const sn = this.nodes[r.int(0, this.opts.nodes)];
      if (this.up(sn)) {
        const ctx = `read${this.nextRead++}`;
        if (sn.node!.readIndex(ctx)) {
          this.reads.set(ctx, { node: sn.id, minIndex: this.maxAckedIndex });
          sn.dirty = true;
        }
      }
    }
  }

  /** A client on a non-leader forwards its proposal to the leader that node knows. */
  private forward(sn: SimNode): void {
    const node = sn.node!;
    const count = this.rng.int(1, 4);
    const datas: Uint8Array[] = [];
    const ids: number[] = [];
    for (let k = 0; k < count; k++) {
      const id = this.nextProposal++;
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, id);
      datas.push(b);
      ids.push(id);
    }
    const res = node.forwardProposal(datas);
    if (!res.ok) {
      // A non-leader refuses only when it knows no leader.
      if (res.reason !== 'noLeader' || node.lead !== 0) {
        throw new InvariantViolation(`node ${sn.id} (${node.state}, lead ${node.lead}) refused to forward: ${res.reason}`);
      }
      return;
    }
    if (!res.forwarded || res.leader !== node.lead || res.leader === sn.id) {
      throw new InvariantViolation(`node ${sn.id} (${node.state}) forwarded to ${res.forwarded ? res.leader : 'itself'}, lead is ${node.lead}`);
    }
    for (const id of ids) this.forwardedProposals.set(id, sn.id);
    this.stats.forwarded += count;
    sn.dirty = true;
  }

  // ------------------------------------------------------------ the clock

  private onTick(): void {
    for (const sn of this.nodes) {
      if (sn.node === null && sn.downUntilTick <= this.tick) {
        this.note(`restart ${sn.id}`);
        this.restart(sn);
      }
      if (sn.node !== null && sn.pausedUntilTick === this.tick && sn.inbox.length > 0) {
        const inbox = sn.inbox;
        sn.inbox = [];
        for (const m of inbox) sn.node.step(m);
        sn.dirty = true;
      }
    }
    if (this.faultsOn) {
      this.net.onTick(this.tick);
      if (this.rng.chance(1 / this.profile.faultEveryTicks)) this.injectFault();
      this.client();
    }
    for (const sn of this.nodes) {
      if (!this.up(sn)) continue;
      sn.node!.tick();
      sn.dirty = true;
    }
  }

  /** Advances the simulation by one tick: the tick itself, then all steps until the next. */
  advanceTick(): void {
    this.onTick();
    this.processDirty();
    for (let s = 0; s < STEPS_PER_TICK; s++) {
      this.net.step++;
      this.net.deliverDue((m) => this.deliver(m));
      this.processDirty();
    }
    this.tick++;
  }

  private processDirty(): void {
    for (const sn of this.nodes) {
      if (sn.dirty) {
        sn.dirty = false;
        if (this.up(sn)) this.process(sn);
      }
    }
  }

  /** Stops injecting faults and repairs everything (the start of the liveness phase). */
  heal(): void {
    this.faultsOn = false;
    this.net.faultsOn = false;
    this.net.heal();
    for (const sn of this.nodes) {
      if (sn.node === null) {
        sn.downUntilTick = this.tick;
      }
      if (sn.pausedUntilTick > this.tick) sn.pausedUntilTick = this.tick;
    }
    this.note('heal: faults stop, network repaired, crashed nodes restart');
  }

  /** Proposes a marker and returns the tick when some leader applied it (-1 while waiting). */
  liveness(): { electedAt: number; committedAt: number } {
    const start = this.tick;
    let marker: { index: number; term: number; leader: number } | null = null;
    for (let k = 0; k < this.opts.livenessTicksMax; k++) {
      this.advanceTick();
      const ld = this.leader();
      if (ld === undefined || !this.up(ld)) continue;
      const node = ld.node!;
      if (marker === null || marker.leader !== ld.id || marker.term !== node.term) {
        const res = node.propose(new Uint8Array([0x4c, 0x49, 0x56, 0x45]));
        if (res.ok) {
          marker = { index: res.index, term: res.term, leader: ld.id };
          ld.dirty = true;
        }
        continue;
      }
      if (node.commit >= marker.index && node.termAt(marker.index) === marker.term && ld.sm.index >= marker.index) {
        const became = this.leaderBecame.get(`${ld.id}:${node.term}`) ?? start;
        return { electedAt: Math.max(0, became - start), committedAt: this.tick - start };
      }
    }
    return { electedAt: -1, committedAt: -1 };
  }

  describeProfile(): string {
    const p = this.profile;
    return (
      `nodes=${this.opts.nodes} checkQuorum=${p.checkQuorum} preVote=${p.preVote} ${describeNetworkProfile(p)} ` +
      `faultEvery=${p.faultEveryTicks}ticks torn=${p.tornWrite} ` +
      `snapshotEntries=${p.snapshotEntries} overhead=${p.compactionOverhead} inflight=${p.maxInflightMsgs} ` +
      `maxSizePerMsg=${p.maxSizePerMsg} propose=${p.proposeChance} forward=${p.forwardChance}`
    );
  }

  configEntryText(e: Entry): string {
    const cc = decodeConfChange(e.data);
    return `${cc.type} ${cc.nodeId}`;
  }
}

export function runSeed(seed: number, opts: SimOptions): SimResult {
  const sim = new Simulation(seed, opts);
  let error = '';
  let ticksToElect = -1;
  let ticksToCommit = -1;
  try {
    for (let t = 0; t < opts.safetyTicks; t++) sim.advanceTick();
    sim.heal();
    const live = sim.liveness();
    ticksToElect = live.electedAt;
    ticksToCommit = live.committedAt;
    if (live.committedAt < 0) error = `liveness: no leader committed a new proposal within ${opts.livenessTicksMax} ticks after faults stopped`;
  } catch (e) {
    const err = e as Error;
    error = `${err.name}: ${err.message}${err instanceof InvariantViolation ? '' : `\n${err.stack ?? ''}`}`;
  }
  sim.stats.committed = sim.inv.committedTerms.length - 1;
  return {
    seed,
    ok: error === '',
    error,
    profile: sim.describeProfile(),
    faults: sim.faults,
    ticks: sim.tick,
    ticksToElect,
    ticksToCommit,
    traceHash: sim.traceHash,
    stats: sim.stats,
  };
}

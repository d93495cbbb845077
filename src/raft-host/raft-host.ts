// Drives every Raft group of one broker: ticks, the Ready loop, persistence, sending, applying.
//
// One round of the loop takes the Ready of every group that has one and, in the order the
// Ready contract demands (docs/raft.md): (1) writes snapshots, entries and hard states of all of
// them, (2) syncs every touched storage — the fsyncs of one round run together, so many groups
// and many proposals share them (group commit across groups), (3) sends all messages and flushes
// the transport once, so the heartbeats of every group to a peer travel in one frame, (4) applies
// committed entries and takes the snapshots the core asked for, (5) advances each group. The core stays pure; time enters as tick().
//
// A storage failure of one group (isolateStorageFailures, chaos bug B1) stops that group only:
// nothing of the failed Ready is sent after the write, reported persisted, applied or advanced,
// so the core never counts an entry that is not durable (Raft §5.3, §5.4.1). The group is then
// frozen as a paused process is (no ticks, incoming messages dropped; Raft retransmits): a write
// refused for want of space is retried with the same Ready every storageRetryTicks until it
// succeeds, and the round goes on from where it failed; any other I/O error, and every failed
// fsync, stops the group until the broker restarts and recovers it from the disk (after a failed
// fsync the page cache may hold data the disk lost: "fsyncgate").

import type { Logger } from 'pino';
import type { RaftNode } from '../raft/index.ts';
import type { Entry, HardState, Message, Ready, Snapshot, SnapshotRequest } from '../raft/types.ts';
import type { PeerTransport } from '../transport/types.ts';
import type { GroupStatus } from './group-status.ts';
import { LogDamagedError, storageFailureKind } from '../storage/errors.ts';

/** Default ticks between retries of a write refused for want of space (20 × rtt_ms: about 1 s). */
export const STORAGE_RETRY_TICKS = 20;

/** What the host needs of a group's durable log (RaftLogStorage and MemoryStorage-like stores). */
export interface HostStorage {
  append(entries: readonly Entry[]): void;
  setHardState(hs: HardState): void;
  applySnapshot(snap: Snapshot): void;
  /** Makes everything written so far durable. */
  sync(): Promise<void>;
  /**
   * The snapshot to send to a follower that is behind our first index. For a partition log the
   * state machine is the log itself, so this is the point just before the log start, not the
   * core's restart point (see docs/storage.md).
   */
  logStartSnapshot?(): Snapshot;
  /**
   * Stores a snapshot the state machine took (the core's snapshotRequest), durably, then drops
   * log entries up to `compactTo`. Storages without it (partition groups: the log is the state
   * machine, retention compacts it) ignore snapshot requests.
   */
  saveSnapshot?(snapshot: Snapshot, compactTo: number): void;
  /**
   * Called before committed entries up to `index` are applied: a storage whose state machine
   * acts on entries in ways a restart must not undo (the metadata group) makes a commit index
   * covering them durable first. Partition groups need not: their log is their state.
   */
  beforeApply?(index: number): Promise<void>;
}

export interface GroupStateMachine {
  /** Applies a committed entry; called in log order, once per entry, after it is durable here. */
  apply(entry: Entry): void;
  /** Restores the state machine from a snapshot the group installed. */
  restore?(snapshot: Snapshot): void;
  /** Serialises the state machine at `index`, the entry just applied (snapshot data). */
  snapshot?(index: number): Uint8Array;
  /** Called when this node's view of the leader or term changes. */
  onLeaderChange?(leader: number, term: number): void;
  /** Called once entries up to `lastIndex` are durable here (acks=1 answers at this point). */
  onPersisted?(lastIndex: number): void;
  /**
   * A write of this group failed and the group is frozen: `retrying` when the write is retried
   * until it succeeds (onStorageRecovered follows), false when the group stays stopped until the
   * broker restarts. Waiters on its writes must be answered with a storage error now.
   */
  onStorageFailure?(err: unknown, retrying: boolean): void;
  /** The failed write succeeded on a retry: the group runs again. */
  onStorageRecovered?(): void;
}

/** Where a frozen group's Ready stopped, so a retry goes on from there. */
interface Stalled {
  rd: Ready;
  /** 'persist': its writes (those done skipped); 'apply': beforeApply, then apply and advance. */
  phase: 'persist' | 'apply';
  snapshotDone: boolean;
  entriesDone: boolean;
  /** The host tick at which the write is tried again. */
  retryAtTick: number;
}

interface Hosted {
  name: string;
  node: RaftNode;
  storage: HostStorage;
  sm: GroupStateMachine;
  leader: number;
  term: number;
  /** Term and vote as last persisted: a hard state that changes only the commit index needs no fsync. */
  durableTerm: number;
  durableVote: number;
  /** A write failed and is retried (see the file comment); null while the group runs. */
  stalled: Stalled | null;
  /** A failure no retry mends: the group does nothing until the broker restarts. */
  stopped: boolean;
}

/** One group's Ready in a round, and how far an earlier try of it got. */
interface Work {
  g: Hosted;
  rd: Ready;
  phase: 'persist' | 'apply';
  snapshotDone: boolean;
  entriesDone: boolean;
}

/** Whether the Ready's hard state moves the term or vote away from what is durable here. */
function changesTermOrVote(g: Hosted, rd: Ready): boolean {
  return rd.hardState !== null && (rd.hardState.term !== g.durableTerm || rd.hardState.vote !== g.durableVote);
}

export interface RaftHostOptions {
  nodeId: number;
  transport: PeerTransport;
  logger: Logger;
  /** One tick, in ms (cluster.rtt_ms). */
  tickMs: number;
  /**
   * Sees messages for groups not hosted here (yet): the metadata group before its bootstrap
   * decision reads their terms, and a partition group created here a moment later is found by
   * its first message. The message itself is dropped; Raft retransmits.
   */
  onUnhosted?: (from: number, group: string, msg: Message) => void;
  /**
   * Called when the Ready loop fails (a write or fsync failed, an invariant broke); the host has
   * stopped by then. The default rethrows, so the loop's rejection goes unhandled and takes the
   * process down: a node that cannot keep its Raft promises must stop and restart. The simulator
   * (test/sim) passes its own, to turn the failure into a simulated crash.
   */
  onFatal?: (err: unknown) => void;
  /**
   * Storage failures stop only the group that hit them (see the file comment) instead of the
   * whole host. Off by default: the replica simulator (test/sim) models a failed write as a crash.
   */
  isolateStorageFailures?: boolean;
  /** Ticks between retries of a write refused for want of space (default STORAGE_RETRY_TICKS). */
  storageRetryTicks?: number;
}

/** What settle() returns when it has nothing to run: no item failed. Never added to. */
const NO_FAILURES: ReadonlySet<Work> = new Set<Work>();

/** What the host counts for the broker's metrics (GET /metrics); the default counts nothing. */
export interface RaftHostCounters {
  /** One Ready round's fsyncs, run together, took `seconds`. */
  fsync(seconds: number): void;
  /** A group hosted here started an election (became a candidate; pre-votes are not elections). */
  election(group: string): void;
  /** A snapshot the state machine asked for was taken and saved in `seconds`. */
  snapshot(seconds: number): void;
}

export const noRaftHostCounters: RaftHostCounters = { fsync: () => undefined, election: () => undefined, snapshot: () => undefined };

/** A round whose fsyncs take this long is logged ('slow raft fsync'). */
const SLOW_SYNC_MS = 200;

function rethrow(err: unknown): never {
  throw err;
}

export class RaftHost {
  readonly nodeId: number;
  private readonly transport: PeerTransport;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly groups = new Map<string, Hosted>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly onUnhosted: RaftHostOptions['onUnhosted'];
  private readonly onFatal: (err: unknown) => void;
  private readonly isolateStorageFailures: boolean;
  private readonly storageRetryTicks: number;
  private ticks = 0;
  /** Set by the node that serves GET /metrics; counts nothing until then. */
  counters: RaftHostCounters = noRaftHostCounters;

  constructor(options: RaftHostOptions) {
    this.nodeId = options.nodeId;
    this.transport = options.transport;
    this.logger = options.logger;
    this.tickMs = options.tickMs;
    this.onUnhosted = options.onUnhosted;
    this.onFatal = options.onFatal ?? rethrow;
    this.isolateStorageFailures = options.isolateStorageFailures ?? false;
    this.storageRetryTicks = options.storageRetryTicks ?? STORAGE_RETRY_TICKS;
    this.transport.onMessage((from, group, msg) => this.receive(from, group, msg));
  }

  addGroup(name: string, node: RaftNode, storage: HostStorage, sm: GroupStateMachine): void {
    if (this.groups.has(name)) throw new Error(`raft group ${name} is already hosted`);
    const st = node.status();
    this.groups.set(name, { name, node, storage, sm, leader: 0, term: 0, durableTerm: st.term, durableVote: st.vote, stalled: null, stopped: false });
    this.kick();
  }

  /**
   * Stops one group for good (its storage found damage to synced data, B6): no more ticks,
   * messages or Ready rounds; its state machine is told (onStorageFailure, not retrying). The
   * owner removes it and opens the replica again (the lost-state path).
   */
  stopGroup(name: string, err: unknown): void {
    const g = this.groups.get(name);
    if (g === undefined || g.stopped) return;
    g.stopped = true;
    g.stalled = null;
    this.logger.error({ group: name, node: this.nodeId, err: String(err) }, 'raft group stopped: its log is damaged');
    g.sm.onStorageFailure?.(err, false);
  }

  removeGroup(name: string): void {
    this.groups.delete(name);
  }

  group(name: string): RaftNode | undefined {
    return this.groups.get(name)?.node;
  }

  /** Every hosted group's Raft state, for `./broker status`. */
  statuses(): GroupStatus[] {
    return [...this.groups.values()].map(({ name, node }) => {
      const s = node.status();
      return {
        group: name,
        state: s.state,
        term: s.term,
        leader: s.lead,
        commit: s.commit,
        applied: s.applied,
        firstIndex: s.firstIndex,
        lastIndex: s.lastIndex,
        storageId: s.storageId,
        voters: s.config.voters.map((m) => m.id),
        learners: s.config.learners.map((m) => m.id),
        followers: s.progress
          .filter((f) => f.id !== this.nodeId)
          .map((f) => ({ id: f.id, match: f.match, lag: f.lag, state: f.state, active: f.recentActive, storageId: f.storageId, identityOk: f.identityOk })),
      };
    });
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  start(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  /** Advances every group's clock by one tick (the timer calls this; tests may call it directly). */
  tick(): void {
    this.ticks++;
    // A frozen group's clock stands still, as a paused process's would.
    for (const g of this.groups.values()) if (g.stalled === null && !g.stopped) g.node.tick();
    this.kick();
  }

  /**
   * The transport lost its connection to `peer`: every group that follows it as leader stops
   * trusting it and campaigns soon instead of after an election timeout (Raft.reportConnectionLost).
   */
  reportConnectionLost(peer: number): void {
    if (this.closed) return;
    let groups = 0;
    // A frozen group takes no input, as in receive().
    for (const g of this.groups.values()) if (g.stalled === null && !g.stopped && g.node.reportConnectionLost(peer)) groups++;
    if (groups === 0) return;
    this.logger.info({ peer, groups }, 'leader unreachable: campaigning early');
    this.kick();
  }

  /** Schedules a Ready round; call after propose() so the proposal is written soon. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    queueMicrotask(() => void this.loop());
  }

  /**
   * Whether a Ready round is scheduled or running. A simulator that resolves fsyncs itself
   * drives the host with this: it runs microtasks until no host is busy, except one waiting on
   * an fsync the simulator holds back.
   */
  get busy(): boolean {
    return this.running;
  }

  /** Resolves when no Ready round is running (for orderly shutdown and tests). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
    await this.idle();
  }

  private receive(from: number, group: string, msg: Message): void {
    const g = this.groups.get(group);
    if (!g) {
      // A group we do not host (yet, or any more); Raft retransmits.
      this.onUnhosted?.(from, group, msg);
      return;
    }
    // A frozen group takes no messages: its Ready is still out (Raft retransmits).
    if (g.stalled !== null || g.stopped) return;
    try {
      g.node.step(msg);
    } catch (err) {
      // A read found damage (the log told its owner): this group stops, the broker goes on.
      if (err instanceof LogDamagedError) {
        this.stopGroup(group, err);
        return;
      }
      this.logger.error({ err, group, from, type: msg.type }, 'raft step failed');
      throw err;
    }
    // Most answers (a heartbeat's, an append's that changes nothing) leave no Ready: no round to
    // schedule. During a round the group's Ready is out (hasReady is false until advance), so
    // the loop is told to look again.
    if (this.running || g.node.hasReady()) this.kick();
  }

  private async loop(): Promise<void> {
    try {
      // Bounded: each pass handles the Readies present at its start; new work sets `again`.
      for (let pass = 0; pass < 1_000 && !this.closed; pass++) {
        this.again = false;
        const work: Work[] = [];
        for (const g of this.groups.values()) {
          if (g.stopped) continue;
          const st = g.stalled;
          if (st === null) {
            const rd = this.readyOf(g);
            if (rd !== null) work.push({ g, rd, phase: 'persist', snapshotDone: false, entriesDone: false });
          } else if (st.retryAtTick <= this.ticks) {
            // Retried once per due time; a failure sets the next one.
            st.retryAtTick = Infinity;
            work.push({ g, rd: st.rd, phase: st.phase, snapshotDone: st.snapshotDone, entriesDone: st.entriesDone });
          }
        }
        if (work.length === 0 && !this.again) break;
        if (work.length > 0) await this.round(work);
      }
    } catch (err) {
      // A failed write or a broken invariant: this node cannot keep its Raft promises any more.
      this.logger.fatal({ err }, 'raft host failed; stopping its groups');
      this.closed = true;
      if (this.timer !== null) clearInterval(this.timer);
      this.onFatal(err);
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      if (this.again && !this.closed) this.kick();
    }
  }

  /** The group's Ready, or null; a read that found damage stops the group instead of the host. */
  private readyOf(g: Hosted): Ready | null {
    try {
      return g.node.hasReady() ? g.node.ready() : null;
    } catch (err) {
      if (!(err instanceof LogDamagedError)) throw err;
      this.stopGroup(g.name, err);
      return null;
    }
  }

  private async round(all: Work[]): Promise<void> {
    // 1. Persist, in the contract's order: snapshot, entries, hard state.
    let work = all.filter((w) => w.phase === 'apply' || this.persist(w));
    const persisting = work.filter((w) => w.phase === 'persist');
    // A leader's appends and heartbeats may leave before its own write is durable (Raft thesis
    // §10.2.1): the core counts the leader's log toward a commit only after advance() reports
    // it durable. Sending them first overlaps the followers' fsyncs with the leader's. That is
    // safe only when the term they carry is already durable: a one-voter group campaigns and
    // wins inside one Ready, and if its appends left before the new term's fsync, a power loss
    // would let it win the same term again and send different entries under it.
    // Decided now: a message stepped in during the sync below may change a group's state.
    const leading = new Set(persisting.filter(({ g, rd }) => g.node.state === 'leader' && !changesTermOrVote(g, rd)).map(({ g }) => g));
    for (const { g, rd } of persisting) {
      if (!leading.has(g)) continue;
      for (const msg of rd.messages) if (msg.type === 'app' || msg.type === 'hb') this.send(g, msg);
    }
    this.transport.flush();
    // 2. One sync per storage that must be durable before its messages go, all at once. A hard
    // state that changes only the commit index is written but not synced (etcd's MustSync):
    // a lower commit index after a crash is safe, it is learned again from the leader.
    const mustSync = persisting.filter(({ g, rd }) => rd.snapshot || rd.entries.length > 0 || changesTermOrVote(g, rd));
    // A failed fsync is never retried (storageFailureKind); a write around it that found the
    // disk full (a checkpoint after the fsync) is, after the data was synced.
    const syncStarted = performance.now();
    // Nothing to sync (a round of heartbeats and their answers): no await, so the round goes on
    // in the same turn and nothing else can run in between.
    const syncFailed = mustSync.length === 0 ? NO_FAILURES : await this.settle(mustSync, (g) => g.storage.sync());
    const syncMs = performance.now() - syncStarted;
    if (mustSync.length > 0) this.counters.fsync(syncMs / 1000);
    // Every message of the round waits for these fsyncs: a slow disk delays elections too.
    if (syncMs >= SLOW_SYNC_MS) this.logger.info({ syncMs: Math.round(syncMs), storages: mustSync.length, groups: work.length }, 'slow raft fsync');
    // A group stopped meanwhile (its log found damage) goes no further: nothing of it is sent or applied.
    work = work.filter((w) => !syncFailed.has(w) && !w.g.stopped);
    for (const { g, rd, phase } of work) {
      if (phase !== 'persist' || !rd.hardState) continue;
      g.durableTerm = rd.hardState.term;
      g.durableVote = rd.hardState.vote;
    }
    for (const { g, rd, phase } of work) {
      if (phase === 'persist' && rd.entries.length > 0) g.sm.onPersisted?.(rd.entries[rd.entries.length - 1].index);
    }
    // 3. Send the rest, then one flush for every peer.
    for (const { g, rd, phase } of work) {
      if (phase !== 'persist') continue;
      const early = leading.has(g);
      for (const msg of rd.messages) if (!(early && (msg.type === 'app' || msg.type === 'hb'))) this.send(g, msg);
    }
    this.transport.flush();
    for (const w of work) w.phase = 'apply';
    const applying = work.filter(({ g, rd }) => g.storage.beforeApply && rd.committedEntries.length > 0);
    const prepareFailed =
      applying.length === 0
        ? NO_FAILURES
        : await this.settle(applying, (g, rd) => g.storage.beforeApply!(rd.committedEntries[rd.committedEntries.length - 1].index));
    work = work.filter((w) => !prepareFailed.has(w) && !w.g.stopped);
    // 4. Notice leader changes, then apply and snapshot when asked; 5. advance. A deposed leader
    // must learn that it lost leadership before it applies the new leader's entries: otherwise a
    // waiter on its own entry at index i could be answered by the other entry that now commits
    // at i (chaos bug B2).
    for (const { g, rd } of work) {
      if (rd.softState) {
        // With 'became leader' these date each step of a failover (bench/offsets-failover.ts).
        if (rd.softState.state === 'preCandidate' || rd.softState.state === 'candidate')
          this.logger.info({ group: g.name, state: rd.softState.state, term: g.node.status().term }, 'campaigning');
        if (rd.softState.state === 'candidate') this.counters.election(g.name);
        this.noticeLeader(g, rd.softState.lead, g.node.status().term);
      }
      if (rd.snapshot) g.sm.restore?.(rd.snapshot);
      for (const entry of rd.committedEntries) g.sm.apply(entry);
      if (rd.snapshotRequest) this.takeSnapshot(g, rd.snapshotRequest);
      g.node.advance(rd);
      if (g.stalled !== null) {
        g.stalled = null;
        this.logger.warn({ group: g.name, node: this.nodeId }, 'raft group storage write succeeded again; the group runs');
        g.sm.onStorageRecovered?.();
      }
    }
  }

  /**
   * Runs `op` for every item at once and returns those that failed (each frozen or stopped by
   * storageFailed). Without isolated failures the first rejection fails the round at once, as
   * it always did (the simulator's crash timing).
   */
  private async settle(items: Work[], op: (g: Hosted, rd: Ready) => Promise<void>): Promise<ReadonlySet<Work>> {
    const failed = new Set<Work>();
    if (!this.isolateStorageFailures) {
      await Promise.all(items.map(({ g, rd }) => op(g, rd)));
      return failed;
    }
    const results = await Promise.allSettled(items.map(({ g, rd }) => op(g, rd)));
    results.forEach((result, k) => {
      if (result.status === 'fulfilled') return;
      failed.add(items[k]);
      this.storageFailed(items[k], result.reason);
    });
    return failed;
  }

  /** Step 1 for one group; false when a write failed (the group is frozen then). */
  private persist(w: Work): boolean {
    const { g, rd } = w;
    try {
      if (rd.snapshot && !w.snapshotDone) {
        g.storage.applySnapshot(rd.snapshot);
        w.snapshotDone = true;
      }
      if (rd.entries.length > 0 && !w.entriesDone) {
        // A retry appends the same entries again: those already written have the same index and
        // term, and RaftLogStorage.append skips them (Raft §5.3).
        g.storage.append(rd.entries);
        w.entriesDone = true;
      }
      if (rd.hardState) g.storage.setHardState(rd.hardState);
      return true;
    } catch (err) {
      this.storageFailed(w, err);
      return false;
    }
  }

  /**
   * A storage operation of one group failed: freeze the group (retrying a write refused for want
   * of space), or rethrow into the loop's fatal path when failures are not isolated or the error
   * is not an I/O error (a bug must not be retried).
   */
  private storageFailed(w: Work, err: unknown): void {
    const kind = storageFailureKind(err);
    if (!this.isolateStorageFailures || kind === null) throw err;
    const { g } = w;
    const retrying = kind === 'retry';
    const first = g.stalled === null;
    if (retrying) {
      g.stalled = { rd: w.rd, phase: w.phase, snapshotDone: w.snapshotDone, entriesDone: w.entriesDone, retryAtTick: this.ticks + this.storageRetryTicks };
      // Logged once per failure, not once per retry.
      if (!first) return;
      this.logger.error(
        { group: g.name, node: this.nodeId, err: String(err), retryMs: this.storageRetryTicks * this.tickMs },
        'raft group storage write failed (disk full?); the group is frozen and the write is retried until it succeeds',
      );
    } else {
      g.stalled = null;
      g.stopped = true;
      this.logger.error(
        { group: g.name, node: this.nodeId, err: String(err) },
        'raft group storage failed; the group is stopped until the broker restarts and recovers it from the disk',
      );
    }
    g.sm.onStorageFailure?.(err, retrying);
  }

  private takeSnapshot(g: Hosted, req: SnapshotRequest): void {
    if (!g.storage.saveSnapshot || !g.sm.snapshot) return;
    const started = performance.now();
    const data = g.sm.snapshot(req.index);
    try {
      g.storage.saveSnapshot({ index: req.index, term: req.term, confState: req.confState, data }, req.compactTo);
      this.counters.snapshot((performance.now() - started) / 1000);
    } catch (err) {
      // A snapshot is only an optimisation (the log still holds the entries): a full disk
      // skips it and the core asks again after snapshot_entries more.
      if (!this.isolateStorageFailures || storageFailureKind(err) === null) throw err;
      this.logger.error(
        { group: g.name, node: this.nodeId, index: req.index, err: String(err) },
        'raft snapshot not saved (disk full?); the log is not compacted until a later one is',
      );
    }
  }

  private send(g: Hosted, msg: Message): void {
    const out = msg.type === 'snap' && g.storage.logStartSnapshot ? { ...msg, snapshot: g.storage.logStartSnapshot() } : msg;
    this.transport.send(msg.to, g.name, out);
  }

  private noticeLeader(g: Hosted, leader: number, term: number): void {
    if (leader === g.leader && term === g.term) return;
    const wasLeader = g.leader === this.nodeId;
    g.leader = leader;
    g.term = term;
    if (leader === this.nodeId && !wasLeader) this.logger.info({ group: g.name, term, node: this.nodeId }, 'became leader');
    if (wasLeader && leader !== this.nodeId) this.logger.info({ group: g.name, term, node: this.nodeId, leader }, 'lost leadership');
    g.sm.onLeaderChange?.(leader, term);
  }
}

// RaftNode: the host-facing wrapper around the Raft state machine (etcd's RawNode). It
// packs pending work into a Ready and learns from advance() what the host made durable.
//
// Durability contract: everything in a Ready (snapshot, entries, hard state) must be
// durable before any of its messages is sent. A leader counts its own log toward the
// commit quorum only after advance(ready) reports those entries durable, so "committed"
// always means "on the disks of a quorum", the leader's included.

import { invariant } from '../base/invariant.ts';
import { Raft } from './raft.ts';
import type { ForceResult, ForwardCounters, ForwardResult, ProposeResult } from './raft.ts';
import type { Rng } from './rng.ts';
import type { Storage } from './storage.ts';
import type { ConfChange, ConfState, HardState, Message, RaftConfig, Ready, SoftState, StateType } from './types.ts';

export const DEFAULT_RAFT_CONFIG: Omit<RaftConfig, 'id'> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  checkQuorum: true,
  preVote: true,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 * 1024 * 1024,
  maxSizePerMsg: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
  maxCommittedBytesPerReady: 64 * 1024 * 1024,
  maxPendingReads: 4096,
  snapshotEntries: 0,
  compactionOverhead: 5000,
};

export interface FollowerStatus {
  id: number;
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  recentActive: boolean;
  /** False when the follower answers from a disk the configuration does not name. */
  identityOk: boolean;
  /** The storage id the follower last answered with ('' until it answers). */
  storageId: string;
  /** Entries the follower lacks relative to the leader's last index. */
  lag: number;
}

export interface RaftStatus {
  id: number;
  state: StateType;
  term: number;
  vote: number;
  lead: number;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  leadTransferee: number;
  storageId: string;
  config: ConfState;
  /** Index of the config entry that set `config` (it may not be committed yet). */
  configIndex: number;
  /** Filled on the leader only. */
  progress: FollowerStatus[];
  /** Proposal forwarding ('prop' messages) since this node started: sent, appended as leader, dropped. */
  forwards: ForwardCounters;
  /** Messages dropped since this node started because their sender was fenced by an unsafe recovery. */
  fencedDrops: number;
}

export class RaftNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | null = null;
  private lastSnapshotRequestIndex: number;

  constructor(config: Partial<RaftConfig> & { id: number }, storage: Storage, rng: Rng) {
    const cfg: RaftConfig = { ...DEFAULT_RAFT_CONFIG, ...config };
    this.raft = new Raft(cfg, storage, rng);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
    this.lastSnapshotRequestIndex = storage.snapshot().index;
  }

  get id(): number {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  /**
   * The configuration in force right after entry `index`, for `index` at or above the applied
   * index: what a snapshot of the state machine taken at `index` carries.
   */
  confStateAt(index: number): ConfState {
    return this.raft.conf.at(index).toConfState();
  }

  /** Starts an election now (when this node is a voter and not the leader). */
  campaign(): void {
    this.raft.hup();
  }

  propose(data: Uint8Array): ProposeResult {
    return this.raft.propose([data]);
  }

  /** Proposes several entries at once; they get consecutive indexes from the returned one. */
  proposeBatch(datas: readonly Uint8Array[]): ProposeResult {
    return this.raft.propose(datas);
  }

  /**
   * Proposes on any node (etcd-io/raft's MsgProp). The leader appends the entries as
   * proposeBatch() does and returns their index. A follower or learner that knows a leader
   * sends them to it in a 'prop' message and returns `{ ok: true, forwarded: true }` with
   * no index: the leader appends them under the same limits as its own proposals or drops
   * them, and the message may be lost or duplicated, so the entries may be applied zero,
   * one or several times. The proposer puts a unique proposal id in the data, recognises
   * it when it applies the entry, and times out and retries otherwise (with the same id,
   * so the state machine can ignore a second copy). A node that knows no leader refuses
   * with 'noLeader'. Membership changes cannot be forwarded (proposeConfChange is leader-only).
   */
  forwardProposal(datas: readonly Uint8Array[]): ForwardResult {
    return this.raft.forwardProposal(datas);
  }

  /** forwardProposal(), except that a node knowing no leader sends to `to` (a joiner's members; see Raft.forwardProposalTo). */
  forwardProposalTo(to: number, datas: readonly Uint8Array[]): ForwardResult {
    return this.raft.forwardProposalTo(to, datas);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  /** Unsafe recovery: adopt `voterIds` as the voters without a quorum (Raft.forceConfiguration). */
  forceConfiguration(voterIds: readonly number[]): ForceResult {
    return this.raft.forceConfiguration(voterIds);
  }

  transferLeadership(to: number): boolean {
    return this.raft.transferLeadership(to);
  }

  /**
   * Asks for a linearizable read (thesis §6.4). When confirmed, a ReadState with this
   * context appears in a Ready; serve the read once applied >= its index. Returns false
   * when the request was dropped (no known leader, or too many pending reads). Requests
   * pending at a leader change are dropped silently: hosts time them out and retry.
   */
  readIndex(context: string): boolean {
    return this.raft.readIndex(context);
  }

  /**
   * The transport lost its connection to `id` (see Raft.reportConnectionLost): a hint that ends
   * the lease on a gone leader. Returns whether this node followed `id` and will campaign soon.
   */
  reportConnectionLost(id: number): boolean {
    return this.raft.reportConnectionLost(id);
  }

  reportSnapshot(to: number, ok: boolean): void {
    this.raft.reportSnapshot(to, ok);
  }

  reportUnreachable(to: number): void {
    this.raft.reportUnreachable(to);
  }

  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    const r = this.raft;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.entries.length > 0 || r.log.unstable.snapshot !== null) return true;
    if (r.log.hasNextCommittedEnts()) return true;
    const s = this.prevSoft;
    if (s.state !== r.state || s.lead !== r.lead) return true;
    const h = this.prevHard;
    return h.term !== r.term || h.vote !== r.vote || h.commit !== r.log.committed;
  }

  ready(): Ready {
    invariant(this.outstanding === null, 'ready() called again before advance()');
    const r = this.raft;
    const soft = this.softState();
    const hard = this.hardState();
    const softChanged = soft.state !== this.prevSoft.state || soft.lead !== this.prevSoft.lead;
    const hardChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.commit !== this.prevHard.commit;
    const committedEntries = r.log.nextCommittedEnts(r.cfg.maxCommittedBytesPerReady);
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hard : null,
      snapshot: r.log.unstable.snapshot,
      entries: r.log.unstable.entries.slice(),
      messages: r.msgs,
      committedEntries,
      readStates: r.readStates,
      snapshotRequest: null,
    };
    r.msgs = [];
    r.readStates = [];
    if (committedEntries.length > 0 && r.cfg.snapshotEntries > 0) {
      const last = committedEntries[committedEntries.length - 1];
      if (last.index - this.lastSnapshotRequestIndex >= r.cfg.snapshotEntries) {
        rd.snapshotRequest = {
          index: last.index,
          term: last.term,
          confState: r.conf.at(last.index).toConfState(),
          compactTo: Math.max(0, last.index - r.cfg.compactionOverhead),
        };
        this.lastSnapshotRequestIndex = last.index;
      }
    }
    this.prevSoft = soft;
    this.prevHard = hard;
    this.outstanding = rd;
    return rd;
  }

  /** Tells the core the host persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    invariant(rd === this.outstanding, 'advance() with a Ready that is not the outstanding one');
    const log = this.raft.log;
    if (rd.snapshot !== null) {
      log.unstable.stableSnapTo(rd.snapshot.index);
      if (log.applied < rd.snapshot.index) log.applied = rd.snapshot.index;
      // The installed snapshot is as good as one taken here: count snapshot_entries from it.
      this.lastSnapshotRequestIndex = Math.max(this.lastSnapshotRequestIndex, rd.snapshot.index);
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      log.unstable.stableTo(last.index, last.term);
    }
    if (rd.committedEntries.length > 0) log.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index);
    // Configurations at or below the applied index are never asked for again, whether or not
    // snapshots are on (a partition group never takes one): the history stays bounded.
    this.raft.conf.prune(Math.min(log.applied, log.committed));
    this.outstanding = null;
    this.raft.onPersisted();
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress: FollowerStatus[] = [];
    if (r.state === 'leader') {
      const last = r.log.lastIndex();
      for (const [id, pr] of r.prs) {
        progress.push({
          id,
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          identityOk: pr.identityOk,
          storageId: pr.seenStorageId,
          lag: last - pr.match,
        });
      }
      progress.sort((a, b) => a.id - b.id);
    }
    return {
      id: r.id,
      state: r.state,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      storageId: r.storageId,
      config: r.conf.current().toConfState(),
      configIndex: r.conf.lastIndex(),
      progress,
      forwards: { ...r.forwards },
      fencedDrops: r.fencedDrops,
    };
  }

  /** Cheap accessors for hot paths (the simulator reads these after every event). */
  get state(): StateType {
    return this.raft.state;
  }
  get term(): number {
    return this.raft.term;
  }
  get lead(): number {
    return this.raft.lead;
  }
  get commit(): number {
    return this.raft.log.committed;
  }
  get lastIndex(): number {
    return this.raft.log.lastIndex();
  }
  /** Term of entry i in this node's log (stable or not); undefined if compacted or absent. */
  termAt(i: number): number | undefined {
    return this.raft.log.term(i);
  }
  get firstIndex(): number {
    return this.raft.log.firstIndex();
  }
  /**
   * Highest index the host reported durable (advance). Above it the core's log may differ from
   * storage: a follower learns a commit before its write replacing a conflicting suffix lands.
   */
  get persistedIndex(): number {
    return this.raft.log.persistedIndex();
  }
  isVoter(): boolean {
    return this.raft.promotable();
  }

  private softState(): SoftState {
    return { state: this.raft.state, lead: this.raft.lead };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}

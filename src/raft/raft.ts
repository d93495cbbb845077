// The Raft state machine (Ongaro's thesis; structure after etcd-io/raft). It is pure:
// inputs are tick(), step(message) and proposals; outputs accumulate in `msgs`,
// `readStates` and the log's unstable tail, which RaftNode packs into a Ready. There is
// no I/O, no clock and no Math.random in here.

import { invariant } from '../base/invariant.ts';
import { entrySize } from './entry-size.ts';
import { RaftLog } from './log.ts';
import { ConfigHistory, Membership, decodeConfChange, encodeConfChange } from './membership.ts';
import { ProposalForwarder, normalEntries } from './forwarding.ts';
import type { ForwardCounters, ForwardResult } from './forwarding.ts';
import { CAMPAIGN_TRANSFER, newMessage } from './message.ts';
import { Progress } from './progress.ts';
import { ReadOnly } from './read-only.ts';
import type { PendingRead } from './read-only.ts';
import type { Rng } from './rng.ts';
import type { Storage } from './storage.ts';
import { NONE } from './types.ts';
import type { ConfChange, Entry, Message, MessageType, ProposeResult, RaftConfig, ReadState, StateType } from './types.ts';

export type { ProposeRefusal, ProposeResult } from './types.ts';
export type { ForwardCounters, ForwardResult } from './forwarding.ts';

/**
 * The result of forceConfiguration(): on success the index and term of the forced config
 * entry, the storage ids fenced, and what the log held before (for the operator's report of
 * what may be lost: entries the lost members committed beyond `lastIndexBefore`).
 */
export type ForceResult =
  | { ok: true; index: number; term: number; voters: number[]; fenced: string[]; lastIndexBefore: number; commitBefore: number }
  | { ok: false; reason: 'notAVoter' | 'hasLeader' | 'invalid'; detail: string };

type CampaignKind = 'preElection' | 'election' | 'transfer';

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const EMPTY_DATA = new Uint8Array(0);

export class Raft {
  readonly id: number;
  readonly cfg: RaftConfig;
  readonly storageId: string;
  readonly log: RaftLog;
  readonly conf: ConfigHistory;
  private readonly rng: Rng;

  term = 0;
  vote = NONE;
  lead = NONE;
  state: StateType = 'follower';

  prs = new Map<number, Progress>();
  private readonly votes = new Map<number, boolean>();
  electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  leadTransferee = NONE;

  /** Proposed but uncommitted bytes, and the (last index, bytes) of each proposal batch. */
  private uncommittedBytes = 0;
  private uncommittedQueue: { index: number; bytes: number }[] = [];

  /** Read-index requests this leader has not answered yet (§6.4). */
  private readonly reads: ReadOnly;
  private readonly forwarder = new ProposalForwarder(
    this,
    (m) => this.send(m),
    (ents) => this.proposeEntries(ents),
  );

  msgs: Message[] = [];
  readStates: ReadState[] = [];
  readonly forwards: ForwardCounters = this.forwarder.counters;
  /** Messages dropped because their sender's storage id is fenced (forceConfiguration). */
  fencedDrops = 0;
  private readonly matchScratch: number[] = [];

  constructor(cfg: RaftConfig, storage: Storage, rng: Rng) {
    validateConfig(cfg);
    this.id = cfg.id;
    this.cfg = cfg;
    this.rng = rng;
    this.reads = new ReadOnly(cfg.maxPendingReads);
    const { hardState, storageId } = storage.initialState();
    invariant(storageId !== '', 'storage must carry a storage id');
    this.storageId = storageId;
    this.log = new RaftLog(storage);
    const snap = storage.snapshot();
    this.conf = new ConfigHistory(snap.index, Membership.fromConfState(snap.confState));
    // The configuration is the latest config entry in the log, so rebuild it from the
    // snapshot's configuration and the stable entries after the snapshot (entries kept
    // for compaction overhead may sit before it; they are already in its configuration).
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    if (last > snap.index) {
      for (const e of storage.entries(Math.max(first, snap.index + 1), last + 1, NO_LIMIT)) {
        if (e.type === 'config') this.conf.push(e.index, decodeConfChange(e.data));
      }
    }
    invariant(
      hardState.commit >= first - 1 && hardState.commit <= last,
      () => `hard state commit ${hardState.commit} outside the stored log [${first - 1}, ${last}]`,
    );
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.log.committed = hardState.commit;
    const applied = cfg.applied ?? snap.index;
    this.log.applied = Math.min(Math.max(applied, first - 1), hardState.commit);
    this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- queries

  /** A node may campaign only if the configuration names it as a voter on this very disk. */
  promotable(): boolean {
    return this.conf.current().voters.get(this.id) === this.storageId;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  // ---------------------------------------------------------------- time

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup();
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        // Check-quorum (thesis §6.2): a leader that did not hear from a quorum during
        // the last election timeout steps down, so clients go looking for the real one.
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, NONE);
          return;
        }
      }
      for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
      // A transfer that did not finish within an election timeout is abandoned (§3.10).
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    for (const [id, pr] of this.prs) {
      // A snapshot message may have been lost; after a while, probe again (which resends).
      if (pr.state === 'snapshot' && ++pr.snapshotTicks > 2 * this.cfg.electionTicks) {
        pr.becomeProbe();
        this.sendAppend(id);
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat('');
    }
  }

  private quorumActive(): boolean {
    const conf = this.conf.current();
    let active = 0;
    for (const [id, sid] of conf.voters) {
      if (id === this.id) {
        if (sid === this.storageId) active++;
        continue;
      }
      const pr = this.prs.get(id);
      if (pr?.recentActive && pr.identityOk) active++;
    }
    return active >= conf.quorum();
  }

  // ---------------------------------------------------------------- state changes

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.votes.clear();
    this.prs = new Map();
    this.reads.reset();
    this.uncommittedBytes = 0;
    this.uncommittedQueue = [];
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.rng.int(0, this.cfg.electionTicks);
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  private becomePreCandidate(): void {
    invariant(this.state !== 'leader', 'leader cannot become pre-candidate');
    // Pre-vote (thesis §9.6) does not touch term or vote: a node that cannot win does not
    // disturb the cluster by bumping terms.
    this.votes.clear();
    this.lead = NONE;
    this.state = 'preCandidate';
    this.resetRandomizedElectionTimeout();
  }

  private becomeCandidate(): void {
    invariant(this.state !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  private becomeLeader(): void {
    invariant(this.state === 'candidate', () => `only a candidate can become leader, not a ${this.state}`);
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const last = this.log.lastIndex();
    for (const id of this.conf.current().memberIds()) this.prs.set(id, this.newProgress(id, last + 1));
    if (!this.prs.has(this.id)) this.prs.set(this.id, this.newProgress(this.id, last + 1));
    const self = this.prs.get(this.id)!;
    self.seenStorageId = this.storageId;
    self.identityOk = this.conf.current().storageIdOf(this.id) === this.storageId;
    self.match = this.log.persistedIndex();
    self.becomeReplicate();
    self.recentActive = true;
    // An empty entry of the new term lets the leader commit everything before it (§5.4.2)
    // and learn the commit index for read-index (§6.4).
    this.appendProposal([{ index: 0, term: 0, type: 'normal', data: EMPTY_DATA }]);
    this.bcastAppend();
  }

  private newProgress(id: number, next: number): Progress {
    const pr = new Progress(next, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    if (id === this.id) {
      pr.seenStorageId = this.storageId;
      pr.identityOk = this.conf.current().storageIdOf(id) === this.storageId;
    }
    return pr;
  }

  // ---------------------------------------------------------------- elections

  /** Starts an election now if this node may (also used by hosts to bootstrap quickly). */
  hup(): void {
    if (this.state === 'leader' || !this.promotable()) return;
    this.campaign(this.cfg.preVote ? 'preElection' : 'election');
  }

  private campaign(kind: CampaignKind): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    let type: MessageType;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
      type = 'preVote';
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      type = 'vote';
    }
    if (this.poll(this.id, true, this.storageId) === 'won') {
      if (kind === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.conf.current().voters.keys()) {
      if (id === this.id) continue;
      const m = newMessage(type, this.id, id, voteTerm);
      m.index = lastIndex;
      m.logTerm = lastTerm;
      if (kind === 'transfer') m.context = CAMPAIGN_TRANSFER;
      this.send(m);
    }
  }

  /** Records a vote; votes only count from voters answering from the disk the config names. */
  private poll(from: number, granted: boolean, storageId: string): 'won' | 'lost' | 'pending' {
    const conf = this.conf.current();
    if (conf.voters.get(from) === storageId && !this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const [id, v] of this.votes) {
      if (!conf.voters.has(id)) continue;
      if (v) yes++;
      else no++;
    }
    const q = conf.quorum();
    if (yes >= q) return 'won';
    if (no > conf.voters.size - q) return 'lost';
    return 'pending';
  }

  // ---------------------------------------------------------------- messages in

  step(m: Message): void {
    invariant(m.to === this.id, () => `message for ${m.to} stepped into ${this.id}`);
    // A member an unsafe recovery removed may come back with its old disk and the old
    // configuration, in which it and the other lost members are still a majority: they can
    // elect a leader of a higher term whose appends would overwrite entries committed here.
    // Nothing it says is heard, whatever its term (docs/raft.md, "Forced configuration").
    if (this.conf.current().fenced.has(m.storageId)) {
      this.fencedDrops++;
      return;
    }
    if (m.type === 'prop') {
      // A forwarded proposal carries data, not Raft state: its term is only the sender's
      // view when it sent it, so it neither deposes nor updates anyone (etcd treats MsgProp
      // as a local message for the same reason). Entries get the leader's term on append.
      this.forwarder.receive(m);
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === CAMPAIGN_TRANSFER;
        // Leader stickiness (thesis §4.2.3): while we hear from a leader, a rejoining or
        // removed node cannot make us bump our term or give away our vote. It needs
        // check-quorum: without it a leader cut off from the majority would ignore the
        // higher term forever and the rest could never elect anyone it follows.
        const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
        if (!force && inLease) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote asks about a future term; answering it changes nothing here.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we will campaign in; keep ours until then.
      } else if (m.type === 'app' || m.type === 'hb' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'app' || m.type === 'hb')) {
        // A stale leader (for instance one cut off by a partition) learns our term and
        // steps down. Without this, pre-vote would keep it from ever hearing a higher term.
        this.send(newMessage('appResp', this.id, m.from, this.term));
      } else if (m.type === 'preVote' || m.type === 'vote') {
        // §5.1: reject a stale request with our term, so the candidate catches up. A
        // candidate that is not in our configuration (or we not in its) would otherwise
        // never hear of our term, and the two could campaign past each other forever
        // (found by the simulator, seed 7789).
        const r = newMessage(m.type === 'vote' ? 'voteResp' : 'preVoteResp', this.id, m.from, this.term);
        r.reject = true;
        this.send(r);
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.state) {
      case 'follower':
        this.stepFollower(m);
        return;
      case 'preCandidate':
      case 'candidate':
        this.stepCandidate(m);
        return;
      case 'leader':
        this.stepLeader(m);
        return;
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote = this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === 'preVote' && m.term > this.term);
    // §5.4.1: grant only to a candidate whose log is at least as up to date as ours.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send(newMessage(respType, this.id, m.from, m.term));
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      const r = newMessage(respType, this.id, m.from, this.term);
      r.reject = true;
      this.send(r);
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'hb':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        // Leadership transfer (§3.10): campaign at once, skipping pre-vote and the lease.
        this.campaign('transfer');
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.state === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'hb':
      case 'snap':
        // §5.2: a leader of our term exists; accept it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      default:
        if (m.type !== myResp) return;
        switch (this.poll(m.from, !m.reject, m.storageId)) {
          case 'won':
            if (this.state === 'preCandidate') this.campaign('election');
            else this.becomeLeader();
            return;
          case 'lost':
            this.becomeFollower(this.term, NONE);
            return;
          case 'pending':
            return;
        }
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'appResp':
        this.handleAppendResponse(m);
        return;
      case 'hbResp':
        this.handleHeartbeatResponse(m);
        return;
      case 'readIndex':
        this.handleReadIndex(m.from, m.context);
        return;
      case 'app':
      case 'hb':
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: invariant(false) throws
      case 'snap':
        invariant(false, () => `leader ${this.id} of term ${this.term} got ${m.type} from ${m.from} of the same term`);
      // invariant(false) throws: nothing falls through.
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- follower side

  private handleAppend(m: Message): void {
    const resp = newMessage('appResp', this.id, m.from, this.term);
    if (m.index < this.log.committed) {
      resp.index = this.log.committed;
      this.send(resp);
      return;
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      // §5.3: the logs agree up to m.index; append what is new, drop what conflicts.
      const ents = m.entries;
      const lastNew = m.index + ents.length;
      const ci = this.log.findConflict(ents);
      if (ci !== 0) {
        invariant(ci > this.log.committed, () => `entry ${ci} conflicts with committed ${this.log.committed}`);
        const from = ci - m.index - 1;
        this.appendToLog(from === 0 ? ents : ents.slice(from));
      }
      this.log.commitTo(Math.min(m.commit, lastNew));
      resp.index = lastNew;
      this.send(resp);
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    resp.reject = true;
    resp.index = m.index;
    resp.rejectHint = hint.index;
    resp.logTerm = hint.term;
    this.send(resp);
  }

  private handleHeartbeat(m: Message): void {
    // The leader's idea of our match index was measured on a disk; if that is not ours
    // (we were wiped), its commit index says nothing about our log.
    if (m.toStorageId === this.storageId) this.log.commitTo(m.commit);
    const resp = newMessage('hbResp', this.id, m.from, this.term);
    resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    invariant(s !== null, 'snap message without a snapshot');
    const resp = newMessage('appResp', this.id, m.from, this.term);
    if (this.restore(s)) resp.index = this.log.lastIndex();
    else resp.index = this.log.committed;
    this.send(resp);
  }

  private restore(s: { index: number; term: number; confState: import('./types.ts').ConfState; data: Uint8Array }): boolean {
    if (s.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.index, s.term)) {
      // We already hold the snapshot's last entry, so our log matches up to it (§5.3).
      this.log.commitTo(s.index);
      return false;
    }
    this.log.restore(s);
    this.conf.reset(s.index, Membership.fromConfState(s.confState));
    return true;
  }

  // ---------------------------------------------------------------- log and config

  /** The single path by which entries enter the log; keeps the configuration in step. */
  private appendToLog(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0].index;
    let changed = false;
    if (first <= this.conf.lastIndex()) {
      this.conf.truncateFrom(first);
      changed = true;
    }
    this.log.append(ents);
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      if (e.type === 'config') {
        this.conf.push(e.index, decodeConfChange(e.data));
        changed = true;
      }
    }
    if (changed) this.onConfigChanged();
  }

  private onConfigChanged(): void {
    const conf = this.conf.current();
    if (this.state === 'leader') {
      const last = this.log.lastIndex();
      for (const id of conf.memberIds()) if (!this.prs.has(id)) this.prs.set(id, this.newProgress(id, last));
      for (const id of [...this.prs.keys()]) if (id !== this.id && !conf.isMember(id)) this.prs.delete(id);
      for (const [id, pr] of this.prs) {
        pr.identityOk = conf.storageIdOf(id) === (id === this.id ? this.storageId : pr.seenStorageId);
      }
      if (this.leadTransferee !== NONE && !conf.isVoter(this.leadTransferee)) this.leadTransferee = NONE;
    } else if (this.state !== 'follower' && !this.promotable()) {
      this.becomeFollower(this.term, NONE);
    }
  }

  private appendProposal(ents: Entry[]): void {
    let index = this.log.lastIndex();
    let bytes = 0;
    for (const e of ents) {
      e.index = ++index;
      e.term = this.term;
      bytes += entrySize(e);
    }
    this.appendToLog(ents);
    this.uncommittedBytes += bytes;
    this.uncommittedQueue.push({ index, bytes });
  }

  // ---------------------------------------------------------------- proposals

  propose(datas: readonly Uint8Array[]): ProposeResult {
    if (datas.length === 0) return { ok: false, reason: 'empty' };
    return this.proposeEntries(normalEntries(datas));
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.state !== 'leader') return { ok: false, reason: 'notLeader' };
    // One change at a time (thesis §4.1), and only after this leader committed an entry of
    // its own term: without that, a change from an older term that this leader does not
    // know about could overlap ours (the single-server change bug, raft-dev 2015).
    if (!this.committedEntryInCurrentTerm() || this.conf.lastIndex() > this.log.committed) {
      return { ok: false, reason: 'confChangePending' };
    }
    const why = this.conf.current().validate(cc);
    if (why !== null) return { ok: false, reason: 'invalidConfChange', detail: why };
    return this.proposeEntries([{ index: 0, term: 0, type: 'config', data: encodeConfChange(cc) }]);
  }

  /**
   * Unsafe recovery: the group lost a majority of its voters for good, so no configuration
   * change can ever commit. This node (a voter without a leader) adopts, without a quorum, a
   * configuration whose voters are `voterIds` (itself included, current voters only, with the
   * storage ids the configuration names; no learners) and fences the storage id of every member
   * left out. The config entry is appended at a new term (one above this node's, so above every
   * term in its log) and committed at once together with everything before it in this log;
   * then the node campaigns. It must hold the most up-to-date log of `voterIds` (§5.4.1 order):
   * the others accept its log as followers, which a longer log of theirs would contradict.
   * What the lost members committed beyond this log is lost; that is what "unsafe" means.
   */
  forceConfiguration(voterIds: readonly number[]): ForceResult {
    if (!this.promotable()) return { ok: false, reason: 'notAVoter', detail: `node ${this.id} is not a voter of this group on this disk` };
    if (this.state === 'leader' && !this.cfg.checkQuorum) {
      // Without check-quorum a leader cut off from every voter never steps down by itself.
      return {
        ok: false,
        reason: 'hasLeader',
        detail: `this node leads term ${this.term} and check-quorum is off, so it cannot tell whether a quorum is alive: restart it, then recover`,
      };
    }
    if (this.state === 'leader' || this.lead !== NONE) {
      return { ok: false, reason: 'hasLeader', detail: `node ${this.lead} leads term ${this.term}: a quorum is alive; change the membership normally` };
    }
    if (this.log.hasPendingSnapshot()) return { ok: false, reason: 'invalid', detail: 'a snapshot is being installed; try again' };
    const conf = this.conf.current();
    const ids = [...new Set(voterIds)].sort((a, b) => a - b);
    if (!ids.includes(this.id)) return { ok: false, reason: 'invalid', detail: `the voters must include this node (${this.id})` };
    const unknown = ids.filter((id) => !conf.isVoter(id));
    if (unknown.length > 0) return { ok: false, reason: 'invalid', detail: `not voters of this group: ${unknown.join(', ')}` };
    const voters = ids.map((id) => ({ id, storageId: conf.voters.get(id)! }));
    const fenced: string[] = [];
    for (const id of conf.memberIds()) if (!ids.includes(id)) fenced.push(conf.storageIdOf(id)!);
    if (fenced.length === 0) return { ok: false, reason: 'invalid', detail: 'every member is kept: nothing to recover' };
    const lastIndexBefore = this.log.lastIndex();
    const commitBefore = this.log.committed;
    // A new term, with no vote: the entry below is then the only one of its term anywhere.
    this.becomeFollower(this.term + 1, NONE);
    const index = lastIndexBefore + 1;
    const cc: ConfChange = { type: 'force', nodeId: this.id, storageId: this.storageId, voters, fenced };
    this.appendToLog([{ index, term: this.term, type: 'config', data: encodeConfChange(cc) }]);
    this.log.commitTo(index);
    const term = this.term;
    this.hup();
    return { ok: true, index, term, voters: ids, fenced, lastIndexBefore, commitBefore };
  }

  /** Proposes on the leader, or forwards to the leader this node knows (ProposalForwarder.forward). */
  forwardProposal(datas: readonly Uint8Array[]): ForwardResult {
    return this.forwarder.forward(datas);
  }

  /** As forwardProposal(), but with no leader known sends to `to` (ProposalForwarder.forwardTo). */
  forwardProposalTo(to: number, datas: readonly Uint8Array[]): ForwardResult {
    return this.forwarder.forwardTo(to, datas);
  }

  private proposeEntries(ents: Entry[]): ProposeResult {
    if (this.state !== 'leader') return { ok: false, reason: 'notLeader' };
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferring' };
    let bytes = 0;
    for (const e of ents) bytes += entrySize(e);
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      return { ok: false, reason: 'tooManyUncommittedBytes' };
    }
    this.appendProposal(ents);
    this.bcastAppend();
    return { ok: true, index: ents[0].index, term: this.term };
  }

  // ---------------------------------------------------------------- leader side

  private send(m: Message): void {
    if (m.type === 'prop') {
      // Membership changes are never forwarded: they must pass the leader's own checks
      // (one at a time, after committing an entry of its term), which proposeConfChange does.
      for (const e of m.entries) invariant(e.type === 'normal', () => `node ${this.id} tried to forward a ${e.type} entry`);
    }
    m.storageId = this.storageId;
    this.msgs.push(m);
  }

  bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  /** Sends one append (or a snapshot) to `to` unless its flow control says wait. */
  sendAppend(to: number, sendIfEmpty = true): boolean {
    const pr = this.prs.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents = prevTerm === undefined ? undefined : this.log.entriesFrom(pr.next, this.cfg.maxSizePerMsg);
    if (ents === undefined) return this.sendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    const m = newMessage('app', this.id, to, this.term);
    m.index = prevIndex;
    m.logTerm = prevTerm!;
    m.entries = ents;
    m.commit = this.log.committed;
    let bytes = 0;
    for (let i = 0; i < ents.length; i++) bytes += entrySize(ents[i]);
    pr.sentEntries(ents.length, prevIndex + ents.length, bytes);
    this.send(m);
    return true;
  }

  private sendSnapshot(to: number, pr: Progress): boolean {
    // A follower we have not heard from lately may be down; do not ship it a snapshot.
    if (!pr.recentActive) return false;
    const snap = this.log.snapshot();
    invariant(snap.index > 0, () => `follower ${to} needs entries below ${this.log.firstIndex()} but there is no snapshot`);
    pr.becomeSnapshot(snap.index);
    const m = newMessage('snap', this.id, to, this.term);
    m.snapshot = snap;
    this.send(m);
    return true;
  }

  private bcastHeartbeat(round: string): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      const m = newMessage('hb', this.id, id, this.term);
      // Never tell a follower to commit beyond what it is known to hold (§5.3).
      m.commit = Math.min(pr.match, this.log.committed);
      m.toStorageId = pr.seenStorageId;
      m.context = round;
      this.send(m);
    }
  }

  private sendTimeoutNow(to: number): void {
    this.send(newMessage('timeoutNow', this.id, to, this.term));
  }

  /** A response arriving from another disk than before means the follower lost its log. */
  private noteIdentity(from: number, pr: Progress, storageId: string): void {
    if (storageId === pr.seenStorageId) return;
    if (pr.seenStorageId !== '') pr.resetForNewStorage(this.log.lastIndex());
    pr.seenStorageId = storageId;
    pr.identityOk = this.conf.current().storageIdOf(from) === storageId;
  }

  private handleAppendResponse(m: Message): void {
    const pr = this.prs.get(m.from);
    if (pr === undefined) return;
    this.noteIdentity(m.from, pr, m.storageId);
    pr.recentActive = true;
    if (m.reject) {
      // Fast back-off: skip past the follower's conflicting term in one round trip.
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe'))) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.onCommitAdvanced();
      if (this.state !== 'leader') return;
      this.bcastAppend();
    } else if (oldPaused) {
      this.sendAppend(m.from);
    }
    // Pipelining: keep the window full while there is something to send.
    for (let k = 0; k < this.cfg.maxInflightMsgs && this.sendAppend(m.from, false); k++);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: Message): void {
    const pr = this.prs.get(m.from);
    if (pr === undefined) return;
    this.noteIdentity(m.from, pr, m.storageId);
    pr.recentActive = true;
    pr.probeSent = false;
    // Appends may have been lost: free one slot so replication can make progress.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.context !== '') this.ackRead(m.from, pr, m.context);
  }

  /** Commits the highest index stored on a quorum of identity-checked voters (§5.3, §5.4.2). */
  private maybeCommit(): boolean {
    const conf = this.conf.current();
    // Insertion sort, descending, into a reused array: groups are small and this runs
    // on every acknowledgement.
    const matches = this.matchScratch;
    let n = 0;
    for (const id of conf.voters.keys()) {
      const pr = this.prs.get(id);
      const v = pr?.identityOk ? pr.match : 0;
      let k = n++;
      while (k > 0 && matches[k - 1] < v) {
        matches[k] = matches[k - 1];
        k--;
      }
      matches[k] = v;
    }
    const mci = matches[conf.quorum() - 1];
    return this.log.maybeCommit(mci, this.term);
  }

  private onCommitAdvanced(): void {
    const committed = this.log.committed;
    while (this.uncommittedQueue.length > 0 && this.uncommittedQueue[0].index <= committed) {
      this.uncommittedBytes -= this.uncommittedQueue.shift()!.bytes;
    }
    if (this.reads.hasWaiting() && this.committedEntryInCurrentTerm()) {
      for (const r of this.reads.takeWaiting()) this.handleReadIndex(r.from, r.context);
    }
    const conf = this.conf.current();
    if (!conf.isVoter(this.id) && committed >= this.conf.lastIndex()) {
      // §4.2.2: a leader removed from the configuration steps down once the change is
      // committed. It tells its most up-to-date voter to start an election right away.
      this.bcastAppend();
      let best = NONE;
      let bestMatch = -1;
      for (const id of conf.voters.keys()) {
        const pr = this.prs.get(id);
        if (pr?.identityOk && pr.match > bestMatch) {
          best = id;
          bestMatch = pr.match;
        }
      }
      if (best !== NONE) this.sendTimeoutNow(best);
      this.becomeFollower(this.term, NONE);
    }
  }

  /** Called when the host reported entries durable: the leader may now count itself. */
  onPersisted(): void {
    if (this.state !== 'leader') return;
    const self = this.prs.get(this.id);
    if (self === undefined) return;
    if (self.maybeUpdate(this.log.persistedIndex()) && this.maybeCommit()) {
      this.onCommitAdvanced();
      if (this.state === 'leader') this.bcastAppend();
    }
  }

  // ---------------------------------------------------------------- read index (§6.4)

  readIndex(context: string): boolean {
    if (this.state === 'leader') return this.handleReadIndex(this.id, context);
    if (this.lead === NONE) return false;
    const m = newMessage('readIndex', this.id, this.lead, this.term);
    m.context = context;
    this.send(m);
    return true;
  }

  private handleReadIndex(from: number, context: string): boolean {
    if (this.reads.full()) return false;
    if (!this.committedEntryInCurrentTerm()) {
      this.reads.wait(from, context);
      return true;
    }
    const conf = this.conf.current();
    const read = this.reads.newRead(this.log.committed, from, context);
    if (conf.voters.get(this.id) === this.storageId) read.acks.add(this.id);
    if (read.acks.size >= conf.quorum()) {
      this.releaseRead(read);
      return true;
    }
    this.reads.add(read);
    this.bcastHeartbeat(read.round);
    return true;
  }

  private ackRead(from: number, pr: Progress, round: string): void {
    const conf = this.conf.current();
    if (!conf.isVoter(from) || !pr.identityOk) return;
    for (const r of this.reads.ack(from, round, conf)) this.releaseRead(r);
  }

  private releaseRead(r: PendingRead): void {
    if (r.from === this.id) {
      this.readStates.push({ index: r.index, context: r.context });
    } else {
      const m = newMessage('readIndexResp', this.id, r.from, this.term);
      m.index = r.index;
      m.context = r.context;
      this.send(m);
    }
  }

  // ---------------------------------------------------------------- transfer (§3.10)

  transferLeadership(to: number): boolean {
    if (this.state !== 'leader' || to === this.id) return false;
    if (!this.conf.current().isVoter(to)) return false;
    const pr = this.prs.get(to);
    if (pr === undefined) return false;
    if (this.leadTransferee === to) return true;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
    return true;
  }

  // ---------------------------------------------------------------- host reports

  reportSnapshot(to: number, ok: boolean): void {
    const pr = this.prs.get(to);
    if (this.state !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // After a successful send, wait for the follower's answer before probing again.
    if (ok) pr.probeSent = true;
  }

  /**
   * The host's transport lost its connection to `id`: when `id` is the leader this follower
   * hears, the leader's process most likely ended (kill -9, a crash and a clean exit all close
   * its sockets), so waiting out a whole election timeout (electionTicks to 2 × electionTicks)
   * only delays the failover. The follower forgets the leader, which also ends its lease, so it
   * grants the other followers' pre-votes, and campaigns after 1 to electionTicks − 1 ticks:
   * random, so that followers told at the same moment rarely campaign together (a tie splits
   * the vote and costs a normal timeout). It is only a hint: terms and votes are untouched,
   * and if the leader is alive (only this connection dropped), the pre-vote finds the other
   * followers in their lease, nothing changes, and the next heartbeat makes this node follow
   * it again. A host that never calls this gets plain Raft timing. Returns whether it did anything.
   */
  reportConnectionLost(id: number): boolean {
    if (this.state !== 'follower' || id === NONE || this.lead !== id || !this.promotable()) return false;
    this.lead = NONE;
    this.electionElapsed = 0;
    this.randomizedElectionTimeout = 1 + this.rng.int(0, this.cfg.electionTicks - 1);
    return true;
  }

  reportUnreachable(to: number): void {
    const pr = this.prs.get(to);
    if (this.state === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }
}

function validateConfig(cfg: RaftConfig): void {
  invariant(Number.isInteger(cfg.id) && cfg.id > 0, 'config.id must be a positive integer');
  invariant(cfg.heartbeatTicks > 0, 'heartbeatTicks must be positive');
  invariant(cfg.electionTicks > cfg.heartbeatTicks, 'electionTicks must exceed heartbeatTicks');
  invariant(cfg.maxInflightMsgs > 0, 'maxInflightMsgs must be positive');
  invariant(cfg.maxSizePerMsg > 0, 'maxSizePerMsg must be positive');
  invariant(cfg.maxUncommittedBytes > 0, 'maxUncommittedBytes must be positive');
  invariant(cfg.maxCommittedBytesPerReady > 0, 'maxCommittedBytesPerReady must be positive');
  invariant(cfg.maxPendingReads > 0, 'maxPendingReads must be positive');
  invariant(cfg.snapshotEntries >= 0 && cfg.compactionOverhead >= 0, 'snapshot settings must be >= 0');
}

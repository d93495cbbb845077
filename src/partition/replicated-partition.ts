// One replica of a partition in cluster mode: a Raft group whose log is the partition's segment
// log (docs/cluster-design.md). The leader turns each produced RecordBatch into one proposal; the
// batch gets its offsets when the entry is written to the leader's log, is acknowledged for
// acks=1 once that write is durable here, and for acks=all once the entry is committed (durable
// on a majority). The high watermark is the offset after the last committed entry, so consumers
// never see a record a failover could take back.

//
// Idempotent producers (KIP-98): the producer state describes this replica's log, so every
// replica keeps it (from the batches its storage appends) and a new leader answers retries as
// the old one would. Batches the leader proposed but has not written yet are "in flight"; a
// retry of one of those is answered with a retriable error, since its offsets are not known.
//
// DeleteRecords (issue 12): the leader proposes a command (raft-entry-codec.ts) naming the new
// log start, and every replica moves its log start when it applies the command, so all of them
// cut at the same log position. A leader proposes only targets above every earlier one (it has
// applied every earlier command before it serves clients), so the newest command in the log
// names the furthest start. The move is durable (the log's checkpoint) when it happens, but the
// commit index covering the command may be stored before the command is applied, and a restart
// applies nothing at or below the stored commit: so a replica opening its log looks for the
// newest command among the last Raft-only batches (recoverLogStart) and applies it again.

import type { RaftNode, RaftStatus } from '../raft/index.ts';
import type { Entry, Snapshot } from '../raft/types.ts';
import type { RaftLogStorage } from './raft-log-storage.ts';
import type { GroupStateMachine } from '../raft-host/raft-host.ts';
import { batchView, readBatchHeader, type BatchView } from '../protocol/record-batch.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { lastSequenceOf, type ProducerStateTable, type SequenceCheck } from './producer-state.ts';
import { PartitionProducers, type PartitionProducersOptions } from './partition-producers.ts';
import { KafkaOffsetsReplica } from './kafka-offsets-replica.ts';
import { decodeSnapshotData } from './raft-log-storage.ts';
import { deleteRecordsBatch, deleteRecordsTarget } from './raft-entry-codec.ts';
import type { EpochStart, RaftIndexedLog } from '../storage/log.ts';
import { leaderEpochCache } from '../storage/leader-epoch-cache.ts';
import { invariant } from '../base/invariant.ts';
import { NotEnoughReplicasError, NotLeaderError, ReplicaStorageError, type IdempotentAppend, type PartitionReplica } from './replicas.ts';

/**
 * Raft-only batches at the end of the committed log a replica reads when it opens, looking for a
 * DeleteRecords command a crash may have kept it from applying (see the file comment). Only the
 * commands of the last rounds before a crash can be unapplied, and few Raft-only batches (one
 * per election or membership change) follow them.
 */
const RESTART_RAFT_ONLY_SCANNED_MAX = 16;
/** Bytes read per Raft-only batch in that scan (a command's batch is under 100 bytes). */
const RESTART_READ_BYTES_MAX = 4096;

export interface ReplicatedAppend {
  baseOffset: number;
  lastOffset: number;
}

interface Waiter {
  index: number;
  /**
   * The term the entry at `index` was proposed in (absent: offset waiters). The entry there
   * counts only while it has this term: a new leader may have replaced it (Raft §5.3).
   */
  term?: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ReplicatedPartition implements GroupStateMachine, PartitionReplica {
  readonly topic: string;
  readonly index: number;
  readonly storage: RaftLogStorage;
  private readonly nodeId: number;
  private readonly kick: () => void;
  private node: RaftNode | null = null;
  private hw: number;
  private leader = 0;
  private term = 0;
  /** The last index applied here (committed), and the term in which this node last saw one of its own term's entries commit. */
  private appliedIndex = 0;
  private readyTerm = 0;
  private persistedIndex = 0;
  private persistWaiters: Waiter[] = [];
  private commitWaiters: Waiter[] = [];
  /** acks=all waiters by offset (an idempotent retry knows offsets, not Raft indexes). */
  private durableWaiters: Waiter[] = [];
  private readonly advanceListeners = new Set<() => void>();
  private readonly leadershipListeners: Array<(leader: number, term: number) => void> = [];
  /** Idempotent producers' sequences (KIP-98) of this replica's log: loaded in the background, kept by append. */
  readonly producerState: PartitionProducers;
  /** Producer batches proposed here as leader and not yet in the local log: id → epoch, last sequence. */
  private inflight = new Map<number, { epoch: number; lastSeq: number }>();
  /** Set while the group is frozen by a storage failure (RaftHost): appends are refused with it. */
  private storageFailure: ReplicaStorageError | null = null;
  /** This replica as Kafka clients see it: Kafka offsets, Raft-only batches left out (issue 12). */
  readonly kafka: KafkaOffsetsReplica;
  /** The log start the DeleteRecords commands applied here name (a log offset; see the file comment). */
  private logStartTarget: number;
  /** On the leader: the furthest log start it proposed in this term. */
  private proposedLogStart = 0;
  /** DeleteRecords waiters by log start offset. */
  private logStartWaiters: Waiter[] = [];

  constructor(topic: string, index: number, storage: RaftLogStorage, nodeId: number, kick: () => void, producers: PartitionProducersOptions = {}) {
    this.topic = topic;
    this.index = index;
    this.storage = storage;
    this.nodeId = nodeId;
    this.kick = kick;
    this.appliedIndex = storage.initialState().hardState.commit;
    this.hw = storage.offsetAfter(this.appliedIndex);
    this.persistedIndex = storage.lastIndex();
    this.producerState = new PartitionProducers(storage.log, `${topic}-${index}`, producers);
    this.kafka = new KafkaOffsetsReplica(this);
    this.logStartTarget = recoverLogStart(storage.log, this.hw);
    this.advanceLogStart();
    storage.observe({
      appended: (batch, baseOffset) => {
        const header = readBatchHeader(batch, 0);
        if (header.producerId < 0) return;
        this.producerState.record(header, baseOffset);
        const pending = this.inflight.get(header.producerId);
        if (pending && pending.lastSeq === lastSequenceOf(header.baseSequence, header.lastOffsetDelta)) this.inflight.delete(header.producerId);
      },
      // Raft replaced part of the log (a conflicting suffix, or a snapshot install): the state
      // is loaded again from the newest snapshot below the cut (the log deleted those above it)
      // and the log after it, in the background.
      reset: () => this.producerState.reload(),
    });
  }

  /**
   * KIP-98 checks against this replica's log and the batches in flight (see the file comment).
   * A building block of appendIdempotent, which clients' batches go through.
   */
  checkProducerBatches(batches: Buffer[]): SequenceCheck {
    return this.checkViews(batches.map(batchView));
  }

  private checkViews(batches: readonly BatchView[]): SequenceCheck {
    // While the state loads, the in-flight check below cannot tell either.
    if (this.producerState.loading !== null) return this.producerState.check(batches);
    const pending = new Map(this.inflight);
    for (const header of batches) {
      const ahead = header.producerId < 0 ? undefined : this.inflight.get(header.producerId);
      if (!ahead || ahead.epoch !== header.producerEpoch || header.baseSequence > ahead.lastSeq) continue;
      // A retry of a batch proposed here: if it reached the log the table answers it as a
      // duplicate (the in-flight entry must not hide it); if not, its offsets are unknown yet.
      if (!this.producerState.entry(header.producerId)?.batches.some((b) => b.firstSeq === header.baseSequence)) {
        return { kind: 'error', errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, message: 'a retry of a batch that is still being written; retry' };
      }
      pending.delete(header.producerId);
    }
    return this.producerState.check(batches, pending);
  }

  /** A producer's epoch and last batches in this replica's log (tests, admin views). */
  producerEntry(producerId: number): ReturnType<ProducerStateTable['entry']> {
    return this.producerState.entry(producerId);
  }

  /**
   * PartitionReplica.deleteRecords in log offsets (`offset` at most the high watermark): proposes
   * the command unless an earlier one already goes as far; resolves once this replica's log
   * starts at or after `offset`.
   */
  deleteRecords(offset: number): Promise<void> {
    if (this.storageFailure !== null) return Promise.reject(this.storageFailure);
    const node = this.node;
    // Serving: every earlier command is applied here, so the targets proposed keep growing.
    if (node === null || !this.servesClients) {
      return Promise.reject(this.leader === 0 ? new NotEnoughReplicasError(this.topic, this.index) : new NotLeaderError(this.topic, this.index, this.leader));
    }
    invariant(Number.isSafeInteger(offset) && offset <= this.hw, `DeleteRecords to ${offset} beyond the high watermark ${this.hw}`);
    const start = this.storage.log.logStartOffset;
    if (offset <= start) return Promise.resolve();
    if (offset > Math.max(this.logStartTarget, this.proposedLogStart)) {
      const proposed = node.proposeBatch([deleteRecordsBatch(offset)]);
      if (!proposed.ok) {
        return Promise.reject(
          proposed.reason === 'notLeader' ? new NotLeaderError(this.topic, this.index, this.leader) : new NotEnoughReplicasError(this.topic, this.index),
        );
      }
      this.proposedLogStart = offset;
      this.kick();
    }
    return this.waitFor(this.logStartWaiters, offset, start);
  }

  leaderEpochCache(currentEpoch: number): EpochStart[] {
    return leaderEpochCache(this.storage.log, currentEpoch);
  }

  /**
   * Moves the log start towards the applied commands' target, no further than retention may go
   * (RaftLogStorage.retentionBoundOffset: a config entry leaves the log only once the history
   * recording it is durable; the rest follows after the next sync, onPersisted).
   */
  private advanceLogStart(): void {
    const log = this.storage.log;
    // A damaged log is left as it is (it starts over, B6), as retention leaves it.
    if (log.damage !== null) return;
    if (this.logStartTarget > log.logStartOffset) {
      const to = Math.min(this.logStartTarget, this.storage.retentionBoundOffset(this.hw));
      if (to > log.logStartOffset) log.deleteRecordsBefore(to);
    }
    this.logStartWaiters = settle(this.logStartWaiters, log.logStartOffset);
  }

  /** Resolves once `lastOffset` is below the high watermark; rejects when this replica stops leading. */
  waitDurable(lastOffset: number): Promise<void> {
    if (lastOffset < this.hw) return Promise.resolve();
    if (!this.isLeader) return Promise.reject(new NotLeaderError(this.topic, this.index, this.leader));
    return this.waitFor(this.durableWaiters, lastOffset + 1, this.hw);
  }

  attach(node: RaftNode): void {
    this.node = node;
  }

  get log() {
    return this.storage.log;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** Also bounded by what the durable Raft state records (RaftLogStorage.retentionBoundOffset). */
  get retentionBoundOffset(): number {
    return this.storage.retentionBoundOffset(this.hw);
  }

  get logStartOffset(): number {
    return this.storage.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.storage.log.logEndOffset;
  }

  get isLeader(): boolean {
    return this.leader === this.nodeId;
  }

  /**
   * Leads, and knows its high watermark: an entry of the current term is committed, so every
   * entry before it is too (Raft §5.4.2). Until then the high watermark can lag the old leader's
   * (entries it committed without telling this node), and serving a reader would show
   * acknowledged records missing and the log end going back (Kafka: KIP-207). Clients are told
   * NOT_LEADER_OR_FOLLOWER meanwhile and retry; the window is one round trip to a majority.
   */
  get servesClients(): boolean {
    if (!this.isLeader) return false;
    if (this.readyTerm !== this.term && this.storage.term(this.appliedIndex) === this.term) this.readyTerm = this.term;
    return this.readyTerm === this.term;
  }

  get leaderId(): number {
    return this.leader;
  }

  /** The leader epoch Kafka clients see: the Raft term of the current leader. */
  get leaderEpoch(): number {
    return this.term;
  }

  /**
   * PartitionReplica.appendIdempotent: the check and the proposal run synchronously, in this one
   * call; the promise settles once the entries are durable in this leader's log.
   */
  appendIdempotent(batches: readonly BatchView[]): Promise<IdempotentAppend> {
    const check = this.checkViews(batches);
    if (check.kind === 'error') return Promise.resolve({ kind: 'refused', errorCode: check.errorCode, message: check.message });
    if (check.kind === 'duplicate') return Promise.resolve({ kind: 'duplicate', baseOffset: check.firstOffset, lastOffset: check.lastOffset });
    return this.proposeViews(batches).then(({ baseOffset, lastOffset }) => ({ kind: 'appended', baseOffset, lastOffset }));
  }

  /**
   * Proposes the batches (one entry each) and resolves with their offsets once the entries are
   * durable in this leader's log; `committed` resolves when a majority has them (acks=all).
   * No producer check: clients' batches go through appendIdempotent.
   */
  append(batches: Buffer[]): Promise<ReplicatedAppend & { committed: Promise<void> }> {
    return this.proposeViews(batches.map(batchView));
  }

  private proposeViews(batches: readonly BatchView[]): Promise<ReplicatedAppend & { committed: Promise<void> }> {
    // Not async: the proposal must happen in the caller's turn, right after the producer check.
    if (this.storageFailure !== null) return Promise.reject(this.storageFailure);
    const node = this.node;
    if (node === null || !this.isLeader) {
      return Promise.reject(this.leader === 0 ? new NotEnoughReplicasError(this.topic, this.index) : new NotLeaderError(this.topic, this.index, this.leader));
    }
    const proposed = node.proposeBatch(batches.map((b) => b.buf));
    if (!proposed.ok) {
      // 'tooManyUncommittedBytes': followers do not keep up (or no majority answers); a
      // transfer in progress: the leadership is moving. Both pass; the producer retries.
      return Promise.reject(
        proposed.reason === 'notLeader' ? new NotLeaderError(this.topic, this.index, this.leader) : new NotEnoughReplicasError(this.topic, this.index),
      );
    }
    for (const header of batches) {
      if (header.producerId >= 0) {
        this.inflight.set(header.producerId, { epoch: header.producerEpoch, lastSeq: lastSequenceOf(header.baseSequence, header.lastOffsetDelta) });
      }
    }
    return this.finishAppend(proposed.index, batches.length);
  }

  private async finishAppend(first: number, count: number): Promise<ReplicatedAppend & { committed: Promise<void> }> {
    // The core answers with the index of the first entry of the batch.
    const last = first + count - 1;
    const term = this.term;
    const persisted = this.waitFor(this.persistWaiters, last, this.persistedIndex, term);
    const committed = this.waitFor(this.commitWaiters, last, this.committedIndex(), term);
    // The caller may only care about persistence (acks=1); an unobserved rejection must not crash.
    committed.catch(() => undefined);
    this.kick();
    await persisted;
    return {
      baseOffset: this.storage.offsetAfter(first - 1),
      lastOffset: this.storage.offsetAfter(last) - 1,
      committed,
    };
  }

  /**
   * The offset below which every recently active replica holds the log: on the leader the lowest
   * match among active followers (one that is behind the log start already needs a snapshot and
   * is left out), elsewhere the high watermark. Deleting the head below it forces no snapshot on
   * a replica that keeps up.
   */
  caughtUpOffset(): number {
    const status = this.node?.status();
    if (!status) return this.hw;
    return caughtUpOffset(status, this.hw, this.storage.firstIndex(), (index) => this.storage.offsetAfter(index));
  }

  /** Called after every change of leader or term this replica learns of. */
  onLeadership(listener: (leader: number, term: number) => void): void {
    this.leadershipListeners.push(listener);
  }

  /** The Raft node (status, leadership transfer); null before attach(). */
  get raft(): RaftNode | null {
    return this.node;
  }

  onAdvance(listener: () => void): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  // ---------------------------------------------------------------- GroupStateMachine

  apply(entry: Entry): void {
    // The log itself is the state machine: applying an entry moves the high watermark, and a
    // DeleteRecords command the log start.
    this.committedThrough(entry.index);
    const target = entry.type === 'normal' ? deleteRecordsTarget(entry.data) : null;
    if (target !== null && target > this.logStartTarget) {
      this.logStartTarget = target;
      this.advanceLogStart();
    }
  }

  /**
   * An installed snapshot: every entry up to its index is committed, and the log restarts after
   * it, where the sender's log started (DeleteRecords may have put that inside the next entry).
   */
  restore(snapshot: Snapshot): void {
    this.committedThrough(snapshot.index);
    this.logStartTarget = Math.max(this.logStartTarget, decodeSnapshotData(snapshot.data).logStartOffset);
    this.advanceLogStart();
  }

  private committedThrough(index: number): void {
    if (index > this.appliedIndex) this.appliedIndex = index;
    const wasServing = this.readyTerm === this.term;
    const hw = this.storage.offsetAfter(index);
    const advanced = hw > this.hw;
    if (advanced) {
      this.hw = hw;
      this.durableWaiters = settle(this.durableWaiters, hw);
    }
    // The term's blank entry may add no offset, yet committing it is what lets the leader serve.
    const becameServing = !wasServing && this.servesClients;
    if (advanced || becameServing) {
      for (const listener of this.advanceListeners) listener();
    }
    this.commitWaiters = this.settleOwn(this.commitWaiters, index);
  }

  onPersisted(lastIndex: number): void {
    this.persistedIndex = lastIndex;
    this.persistWaiters = this.settleOwn(this.persistWaiters, lastIndex);
    // A move the retention bound held back may go further now.
    if (this.logStartTarget > this.storage.log.logStartOffset) this.advanceLogStart();
  }

  onLeaderChange(leader: number, term: number): void {
    const node = this.node;
    const wasLeader = this.isLeader;
    this.leader = leader;
    this.term = term;
    this.proposedLogStart = 0;
    if (wasLeader && leader !== this.nodeId) {
      // Entries we proposed may still commit under the new leader or be truncated; the producer
      // cannot be told which, so it gets NOT_LEADER_OR_FOLLOWER and retries (the idempotent
      // producer removes the duplicates that a retry can cause).
      this.failAll(new NotLeaderError(this.topic, this.index, leader));
      this.node = node;
      this.inflight.clear();
    }
    for (const listener of this.advanceListeners) listener();
    for (const listener of this.leadershipListeners) listener(leader, term);
  }

  onStorageFailure(err: unknown, retrying: boolean): void {
    const failure = new ReplicaStorageError(this.topic, this.index, err, retrying);
    this.storageFailure = failure;
    // The writes in flight are not durable here and may never be: their producers are answered
    // now (a retry is safe: an idempotent producer's is deduplicated). The node stays attached;
    // the group runs again once the write succeeds.
    const node = this.node;
    this.failAll(failure);
    this.node = node;
    this.inflight.clear();
  }

  onStorageRecovered(): void {
    this.storageFailure = null;
  }

  /** Stops the replica (broker shutdown): waiters are told, and the log and Raft state are closed durably. */
  async close(): Promise<void> {
    this.failAll(new Error(`partition ${this.topic}-${this.index} closed`));
    this.producerState.close();
    // The log takes its producer snapshot as it closes, from the state still held.
    await this.storage.close();
  }

  /**
   * Its log found damage (B6) and the group is stopped: waiters are told, and the replica lets go
   * of everything but the log, which a new replica over it starts over (the lost-state path).
   */
  release(err: unknown): void {
    this.failAll(new Error(`${this.topic}-${this.index}: its log is damaged (${String(err)}); the replica starts over and is repaired from its peers`));
    this.producerState.close();
    for (const listener of this.advanceListeners) listener();
    this.storage.detach();
  }

  /** For a deleted topic: waiters are told; the caller deletes the files. */
  async abandon(): Promise<void> {
    this.failAll(new Error(`partition ${this.topic}-${this.index} was deleted`));
    this.producerState.close();
    for (const listener of this.advanceListeners) listener();
    await this.storage.close();
  }

  private failAll(error: Error): void {
    for (const waiter of [...this.persistWaiters, ...this.commitWaiters, ...this.durableWaiters, ...this.logStartWaiters]) waiter.reject(error);
    this.persistWaiters = [];
    this.commitWaiters = [];
    this.durableWaiters = [];
    this.logStartWaiters = [];
    this.node = null;
  }

  private committedIndex(): number {
    return this.node?.commit ?? 0;
  }

  private waitFor(list: Waiter[], index: number, reached: number, term?: number): Promise<void> {
    if (index <= reached && (term === undefined || this.storage.term(index) === term)) return Promise.resolve();
    if (index <= reached) return Promise.reject(new NotLeaderError(this.topic, this.index, this.leader));
    return new Promise((resolve, reject) => list.push({ index, term, resolve, reject }));
  }

  /**
   * settle() for waiters on this leader's own entries: one whose index is reached resolves only
   * if the entry there still has the term it was proposed in; otherwise another leader's entry
   * took its place (it was truncated), and the producer is told to retry (NOT_LEADER_OR_FOLLOWER).
   */
  private settleOwn(waiters: Waiter[], reached: number): Waiter[] {
    return settle(waiters, reached, (waiter) => {
      if (waiter.term === undefined || this.storage.term(waiter.index) === waiter.term) waiter.resolve();
      else waiter.reject(new NotLeaderError(this.topic, this.index, this.leader));
    });
  }
}

/**
 * ReplicatedPartition.caughtUpOffset over a Raft status: the high watermark, lowered on a leader
 * to the offset after the lowest match of a recently active follower that still has entries in
 * the log (`firstIndex` on); `offsetAfter` maps a Raft index to the offset after it.
 */
export function caughtUpOffset(status: RaftStatus, hw: number, firstIndex: number, offsetAfter: (index: number) => number): number {
  if (status.state !== 'leader') return hw;
  let offset = hw;
  for (const p of status.progress) {
    if (p.id === status.id || !p.recentActive || p.match < firstIndex - 1) continue;
    offset = Math.min(offset, offsetAfter(p.match));
  }
  return offset;
}

/**
 * The log start the newest DeleteRecords command in the committed log (below log offset `hw`)
 * names, looking at the last RESTART_RAFT_ONLY_SCANNED_MAX Raft-only batches; 0 without one.
 */
export function recoverLogStart(log: RaftIndexedLog, hw: number): number {
  if (log.damage !== null) return 0;
  for (const offset of log.kafkaOffsets.newestBelow(hw, RESTART_RAFT_ONLY_SCANNED_MAX)) {
    if (offset < log.logStartOffset) break;
    const { records } = log.read(offset, RESTART_READ_BYTES_MAX, offset + 1);
    const target = records.length === 0 ? null : deleteRecordsTarget(records);
    if (target !== null) return target;
  }
  return 0;
}

/** Answers the waiters whose index is reached (by default: resolves them); returns the rest, in order. */
function settle(waiters: Waiter[], reached: number, answer: (waiter: Waiter) => void = (waiter) => waiter.resolve()): Waiter[] {
  if (waiters.length === 0 || waiters[0].index > reached) return waiters;
  const still: Waiter[] = [];
  for (const waiter of waiters) {
    if (waiter.index <= reached) answer(waiter);
    else still.push(waiter);
  }
  return still;
}

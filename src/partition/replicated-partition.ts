// One replica of a partition in cluster mode: a Raft group whose log is the partition's segment
// log (docs/cluster-design.md). The leader turns each produced RecordBatch into one proposal; the
// batch gets its offsets when the entry is written to the leader's log, is acknowledged for
// acks=1 once that write is durable here, and for acks=all once the entry is committed (durable
// on a majority). The high watermark is the offset after the last committed entry, so consumers
// never see a record a failover could take back.

import type { RaftNode } from '../raft/index.ts';
import type { Entry } from '../raft/types.ts';
import type { RaftLogStorage } from './raft-log-storage.ts';
import type { GroupStateMachine } from '../cluster/raft-host.ts';

export class NotLeaderError extends Error {
  readonly leaderId: number;
  constructor(topic: string, index: number, leaderId: number) {
    super(`this broker does not lead ${topic}-${index}` + (leaderId > 0 ? ` (broker ${leaderId} does)` : ''));
    this.name = 'NotLeaderError';
    this.leaderId = leaderId;
  }
}

export interface ReplicatedAppend {
  baseOffset: number;
  lastOffset: number;
}

interface Waiter {
  index: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ReplicatedPartition implements GroupStateMachine {
  readonly topic: string;
  readonly index: number;
  readonly storage: RaftLogStorage;
  private readonly nodeId: number;
  private readonly kick: () => void;
  private node: RaftNode | null = null;
  private hw: number;
  private leader = 0;
  private term = 0;
  private persistedIndex = 0;
  private persistWaiters: Waiter[] = [];
  private commitWaiters: Waiter[] = [];
  private readonly advanceListeners = new Set<() => void>();

  constructor(topic: string, index: number, storage: RaftLogStorage, nodeId: number, kick: () => void) {
    this.topic = topic;
    this.index = index;
    this.storage = storage;
    this.nodeId = nodeId;
    this.kick = kick;
    this.hw = storage.offsetAfter(storage.initialState().hardState.commit);
    this.persistedIndex = storage.lastIndex();
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

  get logStartOffset(): number {
    return this.storage.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.storage.log.logEndOffset;
  }

  get isLeader(): boolean {
    return this.leader === this.nodeId;
  }

  get leaderId(): number {
    return this.leader;
  }

  /** The leader epoch Kafka clients see: the Raft term of the current leader. */
  get leaderEpoch(): number {
    return this.term;
  }

  /**
   * Proposes the batches (one entry each) and resolves with their offsets once the entries are
   * durable in this leader's log; `committed` resolves when a majority has them (acks=all).
   */
  async append(batches: Buffer[]): Promise<ReplicatedAppend & { committed: Promise<void> }> {
    const node = this.node;
    if (node === null || !this.isLeader) throw new NotLeaderError(this.topic, this.index, this.leader);
    const proposed = node.proposeBatch(batches);
    if (!proposed.ok) throw new Error(`proposal refused by ${this.topic}-${this.index}: ${proposed.reason}`);
    // The core answers with the index of the first entry of the batch.
    const first = proposed.index;
    const last = first + batches.length - 1;
    const persisted = this.waitFor(this.persistWaiters, last, this.persistedIndex);
    const committed = this.waitFor(this.commitWaiters, last, this.committedIndex());
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

  onAdvance(listener: () => void): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  // ---------------------------------------------------------------- GroupStateMachine

  apply(entry: Entry): void {
    // The log itself is the state machine: applying an entry only moves the high watermark.
    const hw = this.storage.offsetAfter(entry.index);
    if (hw > this.hw) {
      this.hw = hw;
      for (const listener of this.advanceListeners) listener();
    }
    this.commitWaiters = settle(this.commitWaiters, entry.index);
  }

  onPersisted(lastIndex: number): void {
    this.persistedIndex = lastIndex;
    this.persistWaiters = settle(this.persistWaiters, lastIndex);
  }

  onLeaderChange(leader: number, term: number): void {
    const wasLeader = this.isLeader;
    this.leader = leader;
    this.term = term;
    if (wasLeader && leader !== this.nodeId) {
      // Entries we proposed may still commit under the new leader or be truncated; the producer
      // cannot be told which, so it gets NOT_LEADER_OR_FOLLOWER and retries (the idempotent
      // producer removes the duplicates that a retry can cause).
      const error = new NotLeaderError(this.topic, this.index, leader);
      for (const waiter of [...this.persistWaiters, ...this.commitWaiters]) waiter.reject(error);
      this.persistWaiters = [];
      this.commitWaiters = [];
    }
    for (const listener of this.advanceListeners) listener();
  }

  private committedIndex(): number {
    return this.node?.status().commit ?? 0;
  }

  private waitFor(list: Waiter[], index: number, reached: number): Promise<void> {
    if (index <= reached) return Promise.resolve();
    return new Promise((resolve, reject) => list.push({ index, resolve, reject }));
  }
}

/** Resolves the waiters whose index is reached; returns the rest, in order. */
function settle(waiters: Waiter[], reached: number): Waiter[] {
  if (waiters.length === 0 || waiters[0].index > reached) return waiters;
  const still: Waiter[] = [];
  for (const waiter of waiters) {
    if (waiter.index <= reached) waiter.resolve();
    else still.push(waiter);
  }
  return still;
}

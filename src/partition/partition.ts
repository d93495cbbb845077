// One partition replica on a single node: the segment log, its high watermark, and the waiters
// that long-polling fetches and acks=all produces leave on it.
//
// The high watermark is the end of what is durable under the flush policy. With the default
// 'group' policy a batch becomes visible to consumers, and an acks=all produce is answered, only
// after the fsync that covers it: the single-node form of "committed on a majority". With 'interval'
// or 'none' the OS decides when bytes reach the disk, so the high watermark follows the log end at
// once. In cluster mode a Raft group replaces this class's flush-driven high watermark with the
// commit index; the produce and fetch handlers see the same interface.

import type { EpochStart, Log } from '../storage/log.ts';
import { leaderEpochCache } from '../storage/leader-epoch-cache.ts';
import { batchView, type BatchView } from '../protocol/record-batch.ts';
import type { AppendResult, IdempotentAppend, PartitionReplica } from './replicas.ts';
import type { ProducerStateTable, SequenceCheck } from './producer-state.ts';
import { PartitionProducers, type PartitionProducersOptions } from './partition-producers.ts';

export type FlushMode = 'group' | 'interval' | 'none';

export type { AppendResult } from './replicas.ts';

export class Partition implements PartitionReplica {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  /** Idempotent producers' sequences (KIP-98), derived from the log: loaded in the background, kept by append. */
  readonly producerState: PartitionProducers;
  private readonly flushMode: FlushMode;
  private hw: number;
  private closed = false;
  /** Called whenever the high watermark moves, so long-polling fetches can re-check. */
  private readonly advanceListeners = new Set<() => void>();
  /** acks=all produces waiting for the high watermark to pass their last offset. */
  private durableWaiters: Array<{ offset: number; resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(topic: string, index: number, log: Log, flushMode: FlushMode, producers: PartitionProducersOptions = {}) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.flushMode = flushMode;
    // What recovery found on disk is durable once the log's first sync after a crash has ended
    // (it runs off the event loop; PartitionLog.open); with the other flush modes it counts as
    // durable at once, as every append does.
    this.hw = flushMode === 'group' ? log.flushedOffset : log.logEndOffset;
    this.producerState = new PartitionProducers(log, `${topic}-${index}`, producers);
    if (this.hw < log.logEndOffset) this.requestFlush();
  }

  /**
   * Checks the producer sequences of batches about to be appended: all new and in order, a retry
   * of one batch already in the log (its original offsets), or the error for the whole request.
   * A building block of appendIdempotent, which clients' batches go through; tests call it alone.
   */
  checkProducerBatches(batches: Buffer[]): SequenceCheck {
    return this.producerState.check(batches.map(batchView));
  }

  /** PartitionReplica.appendIdempotent: check and append synchronously, in this one call. */
  appendIdempotent(batches: readonly BatchView[], leaderEpoch: number): Promise<IdempotentAppend> {
    try {
      const check = this.producerState.check(batches);
      if (check.kind === 'error') return Promise.resolve({ kind: 'refused', errorCode: check.errorCode, message: check.message });
      if (check.kind === 'duplicate') return Promise.resolve({ kind: 'duplicate', baseOffset: check.firstOffset, lastOffset: check.lastOffset });
      const { baseOffset, lastOffset } = this.appendViews(batches, leaderEpoch);
      return Promise.resolve({ kind: 'appended', baseOffset, lastOffset });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A producer's epoch and last batches in this partition (tests, admin views). */
  producerEntry(producerId: number): ReturnType<ProducerStateTable['entry']> {
    return this.producerState.entry(producerId);
  }

  get highWatermark(): number {
    // Damage found after open (the log's background scrub) ends the log below what was acknowledged.
    return Math.min(this.hw, this.log.logEndOffset);
  }

  get retentionBoundOffset(): number {
    return this.highWatermark;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /**
   * Appends validated batches (one RecordBatch each) and returns the offsets they received,
   * without the producer check: batches of idempotent producers go through appendIdempotent.
   */
  append(batches: Buffer[], leaderEpoch: number): AppendResult {
    return this.appendViews(batches.map(batchView), leaderEpoch);
  }

  private appendViews(batches: readonly BatchView[], leaderEpoch: number): AppendResult {
    if (this.closed) throw new Error(`partition ${this.topic}-${this.index} is closed`);
    let baseOffset = -1;
    let lastOffset = -1;
    for (const batch of batches) {
      const result = this.log.append(batch.buf, leaderEpoch);
      if (baseOffset < 0) baseOffset = result.baseOffset;
      lastOffset = result.lastOffset;
      // Every append goes through here, so the producer state always describes the log.
      if (batch.producerId >= 0) this.producerState.record(batch, result.baseOffset);
    }
    if (this.flushMode === 'group') this.requestFlush();
    else this.advanceTo(this.log.logEndOffset);
    return { baseOffset, lastOffset };
  }

  /** Resolves once `lastOffset` is below the high watermark (durable under the flush policy). */
  waitDurable(lastOffset: number): Promise<void> {
    if (lastOffset < this.hw) return Promise.resolve();
    return new Promise((resolve, reject) => this.durableWaiters.push({ offset: lastOffset, resolve, reject }));
  }

  onAdvance(listener: () => void): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  leaderEpochCache(currentEpoch: number): EpochStart[] {
    return leaderEpochCache(this.log, currentEpoch);
  }

  /** DeleteRecords: moves the log start offset; nothing below it can be read again. */
  async deleteRecords(offset: number): Promise<void> {
    this.log.deleteRecordsBefore(offset);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Answer the acks=all produces still waiting if their data reaches the disk now.
    if (this.flushMode === 'group') {
      try {
        await this.log.flush();
        this.advanceTo(this.log.flushedOffset);
      } catch {
        // requestFlush's handler already failed the waiters.
      }
    }
    this.failWaiters(new Error(`partition ${this.topic}-${this.index} closed`));
    this.producerState.close();
    // The log takes its producer snapshot as it closes, from the state still held.
    await this.log.close();
  }

  /** For a deleted topic: answer waiters with an error and drop the log handle. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.failWaiters(new Error(`partition ${this.topic}-${this.index} was deleted`));
    this.producerState.close();
    this.notifyListeners();
    await this.log.close();
  }

  // Group commit happens in the log: every append made while an fsync runs shares the next one,
  // so asking after each append costs one promise, not one fsync.
  private requestFlush(): void {
    this.log.flush().then(
      () => this.advanceTo(this.log.flushedOffset),
      (err: unknown) => {
        // A failed fsync means nothing written since the last good one can be promised (the
        // kernel may have dropped the dirty pages): fail the waiters and keep the high watermark
        // where it was, so no consumer sees data that may be gone. The log refuses appends now.
        this.failWaiters(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private failWaiters(error: Error): void {
    for (const waiter of this.durableWaiters) waiter.reject(error);
    this.durableWaiters = [];
  }

  private advanceTo(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    if (this.durableWaiters.length > 0) {
      const still: typeof this.durableWaiters = [];
      for (const waiter of this.durableWaiters) {
        if (waiter.offset < offset) waiter.resolve();
        else still.push(waiter);
      }
      this.durableWaiters = still;
    }
    this.notifyListeners();
  }

  private notifyListeners(): void {
    for (const listener of this.advanceListeners) listener();
  }
}

// The interface of a partition log, shared by the file-backed PartitionLog and the
// in-memory MemoryLog (tests, Raft simulation). Offsets are JS numbers.

import type { BatchHeader } from '../protocol/record-batch.ts';
import type { LogDamage } from './errors.ts';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

export interface ReadResult {
  /** Whole RecordBatch v2 batches, back to back; empty when there is nothing to return. */
  records: Buffer;
  /** The offset to read next: after the last batch returned, or the requested offset. */
  nextOffset: number;
}

/** Batch headers without their records (Log.readHeaders). */
export interface HeaderRead {
  /** The fixed headers of whole batches, in offset order. */
  headers: BatchHeader[];
  /** The offset to read next: after the last batch returned, or the requested offset. */
  nextOffset: number;
  /** Bytes read from storage to find them (the cost a caller budgets). */
  bytesRead: number;
}

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

/** The state derived from the log as of `offset` (= the log end) for a snapshot, or null for none. */
export type SnapshotSource = (offset: number) => Buffer | null;

/**
 * Snapshots of state derived from the log (the idempotent producers' state), one per offset,
 * kept by the log (docs/storage.md, "Producer snapshots"): it takes one from the source when a
 * segment rolls and when it closes cleanly, and deletes the ones a truncation, a reset or the
 * log start made wrong. Every offset it lists lies within [logStartOffset, logEndOffset].
 */
export interface LogSnapshots {
  /** Offsets of the snapshots held, ascending. */
  offsets(): number[];
  /** The bytes of one, or null when it is gone or unreadable. */
  read(offset: number): Buffer | null;
  /** Deletes a snapshot its reader found unusable, so it is not tried again. */
  discard(offset: number): void;
  setSource(source: SnapshotSource | null): void;
}

export interface Log {
  /** Absent where the log keeps no snapshots (the in-memory log): state is then replayed from the start. */
  readonly snapshots?: LogSnapshots;
  readonly logStartOffset: number;
  /** The next offset to assign. */
  readonly logEndOffset: number;
  /** Every offset below this is durable on disk. */
  readonly flushedOffset: number;
  readonly sizeBytes: number;
  /** Term of the last batch (or the last term the log held when it is empty); -1 if none. */
  readonly lastTerm: number;
  /**
   * Appends exactly one validated RecordBatch v2, stamping baseOffset (= logEndOffset) and
   * partitionLeaderEpoch (= term) into `batch` in place. Terms never go down.
   */
  append(batch: Buffer, term: number): AppendResult;
  /** Resolves when everything appended before the call is durable (per flush policy). */
  flush(): Promise<void>;
  /**
   * Whole batches whose offsets reach `offset` and end below maxOffsetExclusive, up to
   * maxBytes (the first batch always, even if larger). Throws OffsetOutOfRangeError
   * outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number): ReadResult;
  /**
   * The headers of the batches from the one holding `offset` that end below maxOffsetExclusive,
   * without their records, until maxBytes have been read from storage (at least one header when
   * there is any): for state replayed from batch headers (the producer state). Throws
   * OffsetOutOfRangeError as read() does.
   */
  readHeaders(offset: number, maxBytes: number, maxOffsetExclusive: number): HeaderRead;
  /** The first batch with maxTimestamp >= timestamp: its base offset (at least logStartOffset). */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null;
  /** The largest batch maxTimestamp at or after the log start (from per-segment maxima); -1 if none. */
  maxTimestamp(): number;
  termAt(offset: number): number | undefined;
  /**
   * The terms (Kafka leader epochs) of the batches from the segment holding the log start on,
   * each with the first offset written in it, ascending: the raw input of Kafka's leader-epoch
   * cache (leader-epoch-cache.ts).
   */
  leaderEpochs(): EpochStart[];
  /** Removes every batch whose last offset is >= offset (Raft truncate-suffix). */
  truncateTo(offset: number): void;
  /** DeleteRecords: advances logStartOffset; whole segments below it go. */
  deleteRecordsBefore(offset: number): void;
  /** Deletes expired head segments that end at or below maxOffsetExclusive (default: no bound). */
  applyRetention(nowMs: number, maxOffsetExclusive?: number): RetentionResult;
  close(): Promise<void>;
}

/** A leader epoch (a Raft term) and the first offset written in it. */
export interface EpochStart {
  epoch: number;
  startOffset: number;
}

/** One Raft entry as the log stores it: one RecordBatch, its term and its offsets. */
export interface RaftBatch {
  /** The entry's Raft index (entries count 1, 2, 3, ...; offsets count records). */
  index: number;
  /** The batch's partitionLeaderEpoch. */
  term: number;
  baseOffset: number;
  lastOffset: number;
  /** The whole batch as stored (baseOffset and partitionLeaderEpoch stamped). */
  batch: Buffer;
}

/**
 * A log that is also a Raft log (docs/storage.md, "Raft index translation"): every
 * batch is one entry, so appending a batch appends entry lastRaftIndex + 1. The first
 * entry is the batch that holds logStartOffset; everything before it counts as
 * compacted, and the term of entry firstRaftIndex - 1 stays known.
 */
export interface RaftIndexedLog extends Log {
  /**
   * Synced data that recovery found damaged, or null. A damaged log is read-only up to the
   * damage; resetTo() is the one change it accepts (a Raft replica starting over).
   */
  readonly damage: LogDamage | null;
  /** Calls `listener` when damage is found after open (a file-backed log's scrub or reads); returns the unsubscribe. */
  onDamage?(listener: (damage: LogDamage) => void): () => void;
  /** Raft index of the batch holding logStartOffset (lastRaftIndex + 1 when there is none). */
  readonly firstRaftIndex: number;
  /** Raft index of the last batch; firstRaftIndex - 1 when the log holds no entry. */
  readonly lastRaftIndex: number;
  /** Raft index of the batch holding `offset` (an offset of a batch still on disk). */
  raftIndexOf(offset: number): number;
  /** The entry with Raft index i, firstRaftIndex <= i <= lastRaftIndex. */
  entryAt(raftIndex: number): RaftBatch;
  /** Entries [lo, hi) within [firstRaftIndex, lastRaftIndex + 1), up to maxBytes of batches (at least one). */
  entries(lo: number, hi: number, maxBytes: number): RaftBatch[];
  /** Term of entry i for firstRaftIndex - 1 <= i <= lastRaftIndex, else undefined. */
  termAtRaftIndex(i: number): number | undefined;
  /** Removes entry i and every later one (Raft's conflict truncation); i > lastRaftIndex does nothing. */
  truncateToRaftIndex(i: number): void;
  /** The offset one past entry i's last record, for firstRaftIndex - 1 <= i <= lastRaftIndex. */
  offsetAfterRaftIndex(i: number): number;
  /**
   * Drops every entry and restarts the log empty at `offset`, the next entry getting
   * Raft index `raftIndex` and the entry before it having term `prevTerm` (InstallSnapshot).
   */
  resetTo(start: RaftStart): void;
  /**
   * Kafka offsets over the log: log offsets less the Raft-only batches below them
   * (offset-translator.ts; docs/storage.md, "Kafka offsets"). The object may be replaced by a
   * truncation, retention or reset: read it anew for each use.
   */
  readonly kafkaOffsets: KafkaOffsets;
  /**
   * flush(), blocking the caller until it is done: only for the rare write that must be durable
   * before anything else happens (a group's founding entries, RaftLogStorage.bootstrap).
   */
  flushSync(): void;
}

export interface RaftStart {
  offset: number;
  raftIndex: number;
  prevTerm: number;
  /** Raft-only batches below `offset` (the Kafka offset translation base; default 0). */
  raftOnlyBefore?: number;
}

/** Log offset <-> Kafka offset (offset-translator.ts). */
export interface KafkaOffsets {
  /** No Raft-only batch counted: Kafka offsets are log offsets. */
  readonly isIdentity: boolean;
  toKafka(logOffset: number): number;
  /** The log offset holding Kafka offset `kafkaOffset` (never a Raft-only batch's). */
  toLog(kafkaOffset: number): number;
  /** Raft-only batches below `logOffset`. */
  deltaAt(logOffset: number): number;
  /** Log offsets of the newest Raft-only batches still in the log below `logOffset`, newest first, at most `max`. */
  newestBelow(logOffset: number, max: number): number[];
}

// The interface of a partition log, shared by the file-backed PartitionLog and the
// in-memory MemoryLog (tests, Raft simulation). Offsets are JS numbers.

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

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
}

export interface Log {
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
  /** The first batch with maxTimestamp >= timestamp: its base offset (at least logStartOffset). */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null;
  termAt(offset: number): number | undefined;
  /** Removes every batch whose last offset is >= offset (Raft truncate-suffix). */
  truncateTo(offset: number): void;
  /** DeleteRecords: advances logStartOffset; whole segments below it go. */
  deleteRecordsBefore(offset: number): void;
  /** Deletes expired head segments that end at or below maxOffsetExclusive (default: no bound). */
  applyRetention(nowMs: number, maxOffsetExclusive?: number): RetentionResult;
  close(): Promise<void>;
}

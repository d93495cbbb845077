// The log of one partition replica: a directory of segments (docs/storage.md). It is both
// the Kafka partition log and the Raft log: each RecordBatch is one entry whose term is
// its partitionLeaderEpoch. Raft indexes count batches (1, 2, 3, ...) while offsets count
// records; each segment knows the Raft index of its first batch (its .raft sidecar) and
// its sparse index entries know theirs, so both lookups cost the same.
//
// Reads and appends are synchronous (page cache); durability is asynchronous: flush()
// shares fdatasyncs between callers (group commit) and never blocks the event loop.

import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  batchCrcIsValid,
  readInt64,
  setBaseOffset,
  setPartitionLeaderEpoch,
  isControlBatch,
  ATTRIBUTES_OFFSET,
  type BatchHeader,
} from '../protocol/record-batch.ts';
import { fsyncDirSync, readCheckpoint, writeCheckpoint, writeCheckpointAsync, type Checkpoint, type RecoveryIndexCounts } from './checkpoint.ts';
import { LogDamagedError, LogFailedError, OffsetOutOfRangeError, type LogDamage } from './errors.ts';
import { invariant } from '../base/invariant.ts';
import { storageFs } from './fs.ts';
import { GroupCommit } from './group-commit.ts';
import { SILENT_LOGGER, validateLogConfig, type LogConfig, type LogLike } from './log-config.ts';
import type { AppendResult, EpochStart, HeaderRead, KafkaOffsets, RaftBatch, RaftIndexedLog, RaftStart, ReadResult, RetentionResult } from './log.ts';
import { Segment, type SegmentBatch } from './segment.ts';
import { scrubQueue, type ScrubQueue } from './scrub-queue.ts';
import type { ScanResult } from './batch-scan.ts';
import { isRaftOnlyBatch, OffsetTranslator } from './offset-translator.ts';
import { deleteSegmentFiles, loadSegments, type LoadedSegments, type OpenOptions, type RaftRecovery } from './log-recovery.ts';
import { SnapshotFiles } from './snapshot-files.ts';
import { SyncedMark, readSyncedMark } from './synced-mark.ts';

export type { OpenOptions } from './log-recovery.ts';

/**
 * What segment.ms reads at most to find a segment's first client batch (once per active segment
 * after an open, truncation or reset): Raft's control batches come first in a segment, a few.
 */
const FIRST_TIMESTAMP_HEADERS_MAX = 64;
const FIRST_TIMESTAMP_READ_BYTES_MAX = 256 * 1024;

/** The max timestamp of the segment's first batch that is not a control batch and has one, or null. */
function firstClientTimestamp(segment: Segment): number | null {
  const { headers } = segment.readHeaders(segment.baseOffset, FIRST_TIMESTAMP_READ_BYTES_MAX, Infinity);
  for (const h of headers.slice(0, FIRST_TIMESTAMP_HEADERS_MAX)) {
    if (h.maxTimestamp >= 0 && !isControlBatch(h.attributes)) return h.maxTimestamp;
  }
  return null;
}

const EMPTY = Buffer.alloc(0);
/** Bytes the background scrub CRC-checks per step of the scrub queue (about 2-5 ms of CRC-32C). */
const SCRUB_STEP_BYTES = 1024 * 1024;

/** Holds in force on the recovery-point timers of every log in the process (holdRecoveryPoints). */
let recoveryPointHolds = 0;

/**
 * Stops every log's timer from recording its recovery point until the returned release is called
 * (a broker opening its partitions: each record is a checkpoint write whose rename waits on the
 * file system's journal while the recovered tails are fsynced). Safe to defer: the checkpoint on
 * disk stays true, and a crash meanwhile only makes recovery check more. Releasing twice does nothing.
 */
export function holdRecoveryPoints(): () => void {
  recoveryPointHolds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    recoveryPointHolds--;
  };
}

export function recoveryPointsHeld(): boolean {
  return recoveryPointHolds > 0;
}

export class PartitionLog implements RaftIndexedLog {
  readonly dir: string;
  /** Producer-state snapshots (snapshot-files.ts): taken at each roll and at a clean close. */
  readonly snapshots: SnapshotFiles;
  private config: LogConfig;
  /**
   * segment.ms: the max timestamp of the active segment's first client batch (null: none yet),
   * found once per active segment; dropped by a truncation or reset, which may remove that batch.
   */
  private activeFirstTimestamp: { segment: Segment; timestamp: number | null } | null = null;
  private readonly logger: LogLike;
  private segments: Segment[];
  private startOffset: number;
  private recoveryPoint: number;
  /** Index entries below a recovery point inside a segment, as on disk (checkpoint.ts); null at a segment start. */
  private recoveryIndex: RecoveryIndexCounts | null;
  /** Bumped by every synchronous checkpoint write: an asynchronous one prepared before it is dropped. */
  private checkpointGeneration = 0;
  /** Bumped by truncations and resets: a scrub running over the old bytes stops. */
  private rewrites = 0;
  private recoveryTimer: NodeJS.Timeout | null = null;
  /** The recovery-point checkpoint being written, if any. */
  private persisting: Promise<void> | null = null;
  /** The background CRC check of the synced bytes open did not check (resolves when done or stopped). */
  private scrubDone: Promise<void> = Promise.resolve();
  /** Set once a scrub found damage: the next open CRC-checks the segment holding this offset. */
  private verifyFrom: number | undefined;
  /** Where this log's scrubs queue (the process's, unless open was given another). */
  private readonly scrubs: ScrubQueue;
  /**
   * A Raft log (opened with its stored commit): its scrub covers every segment open trusted, and
   * its Raft reads CRC-check the batches of segments not checked yet (B6).
   */
  private readonly raftChecks: boolean;
  /** Told once when damage is found after open (by the scrub or a Raft read). */
  private damageListeners: Array<(damage: LogDamage) => void> = [];
  private lastTermEver: number;
  private durableOffset: number;
  private totalBytes: number;
  private dirDirty = false;
  private readonly groupCommit: GroupCommit;
  private syncsInFlight = 0;
  private syncRoundsDone = 0;
  /** fds of deleted segments, closed once no fdatasync may still be using them. */
  private fdsToClose: number[] = [];
  /** The lowest log end offset a truncation left while a sync was running. */
  private truncatedDuringSync = Infinity;
  private intervalTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  /** Synced data found damaged at open: read-only up to it, files untouched (docs/storage.md, "Recovery"). */
  private damaged: LogDamage | null;
  /** With damage: the segments after the damaged one, left on disk and not loaded. */
  private unloadedBases: number[];
  /** close() has started: no more changes. */
  private closing = false;
  /** The one close in progress or done (close() may be called by the replica and by the LogManager). */
  private closeDone: Promise<void> | null = null;
  private closed = false;
  /** firstRaftIndex for the current log start (a lookup when the start is inside a segment). */
  private firstRaftCache: { startOffset: number; raftIndex: number } | null = null;
  /**
   * The checkpoint on disk still says "clean shutdown": the log was opened clean and nothing has
   * changed since. The first change writes an unclean checkpoint first (beginChange).
   */
  private cleanOnDisk = false;
  /** A Raft log's synced mark (synced-mark.ts): written after each sync round, read by recovery. */
  private mark: SyncedMark | null = null;
  /** Kafka offsets over this log (offset-translator.ts): from the segments' Raft-only batches. */
  private translator: OffsetTranslator;
  private readonly onSync: ((seconds: number) => void) | undefined;

  private constructor(
    dir: string,
    config: LogConfig,
    logger: LogLike,
    loaded: LoadedSegments,
    checkpoint: Checkpoint,
    fileNames: string[],
    checkAtOpen: boolean,
    scrubs: ScrubQueue,
    onSync: ((seconds: number) => void) | undefined,
  ) {
    this.dir = dir;
    this.onSync = onSync;
    this.scrubs = scrubs;
    this.raftChecks = checkAtOpen;
    this.config = config;
    this.logger = logger;
    const segments = loaded.segments;
    this.segments = segments;
    this.damaged = loaded.damage;
    this.unloadedBases = loaded.unloadedBases;
    const leo = segments[segments.length - 1].nextOffset;
    this.startOffset = Math.min(Math.max(checkpoint.logStartOffset, segments[0].baseOffset), leo);
    // Not lowered to the active segment's base: after a clean shutdown everything up to the log
    // end was synced, and recovery must keep knowing that (a bad batch below it is damage).
    this.recoveryPoint = Math.min(checkpoint.recoveryPoint, leo);
    this.recoveryIndex = loaded.recoveryIndex !== null && this.recoveryPoint === checkpoint.recoveryPoint ? loaded.recoveryIndex : null;
    this.lastTermEver = checkpoint.lastTerm;
    this.durableOffset = leo;
    this.totalBytes = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
    this.translator = translatorOf(segments);
    this.snapshots = new SnapshotFiles(dir, logger, fileNames);
    this.groupCommit = new GroupCommit(() => this.syncOnce());
    if (config.flush.mode === 'interval') {
      this.intervalTimer = setInterval(() => {
        this.groupCommit.request().catch(() => undefined);
      }, config.flush.intervalMs);
      this.intervalTimer.unref();
    }
    // A log that CRC-checks its synced bytes at open anyway (a Raft log) gains nothing from a
    // recovery point inside a segment, so it does not pay the fsyncs.
    if (loaded.damage === null && !checkAtOpen) {
      this.recoveryTimer = setInterval(() => {
        if (recoveryPointHolds === 0 && this.durableOffset > this.recoveryPoint) this.persistRecoveryPoint().catch(() => undefined);
      }, config.recoveryPointIntervalMs);
      this.recoveryTimer.unref();
    }
  }

  /**
   * Opens the log in `dir`, creating it or recovering it (see docs/storage.md). For a Raft log,
   * `syncedRaftIndex` is the stored commit index: every entry up to it was synced, so recovery
   * reports a bad batch there as damage instead of cutting it as a torn tail.
   */
  static open(dir: string, config: LogConfig, logger: LogLike = SILENT_LOGGER, options: OpenOptions = {}): PartitionLog {
    validateLogConfig(config);
    storageFs().mkdir(dir);
    const stored = readCheckpoint(dir, logger);
    const checkpoint: Checkpoint = stored ?? { logStartOffset: 0, recoveryPoint: 0, lastTerm: -1, cleanShutdown: false };
    const fileNames = storageFs().readdir(dir);
    // A Raft replica must know of damage to its synced entries before it votes (issue 9 item 3), so a
    // Raft log CRC-checks the synced part of a segment at open; other logs leave it to the scrub.
    const checkAtOpen = options.syncedRaftIndex !== undefined;
    const raft: RaftRecovery | null = checkAtOpen
      ? { syncedRaftIndex: options.syncedRaftIndex ?? 0, termMax: options.termMax ?? Infinity, mark: readSyncedMark(dir) }
      : null;
    const loaded = loadSegments(dir, fileNames, config, logger, checkpoint, raft);
    // An empty directory starts the Raft numbering at 1. (A host that installed a Raft
    // snapshot and crashed while resetting the log repairs this from its own snapshot
    // record; see RaftLogStorage.)
    const created = loaded.segments.length === 0;
    if (created) loaded.segments.push(Segment.create(dir, checkpoint.logStartOffset, { firstRaftIndex: 1, prevTerm: 0 }));
    const log = new PartitionLog(dir, config, logger, loaded, checkpoint, fileNames, checkAtOpen, options.scrubQueue ?? scrubQueue, options.onSync);
    if (checkAtOpen) {
      // Created at 0 when missing (a mark only ever says less than what is synced); files of a
      // damaged log stay as they were until its reset lowers the mark.
      log.mark = new SyncedMark(dir, { offset: 0, lastTerm: -1 }, logger);
      if (loaded.damage === null && raft?.markLowered === true && raft.mark !== null) log.mark.lowerNow(raft.mark);
      if (loaded.damage === null) log.noteSynced();
    }
    if (loaded.damage !== null) {
      fsyncDirSync(dir);
      logger.error({ dir, ...loaded.damage, segmentsNotLoaded: loaded.unloadedBases.length }, 'damage in synced log data');
      // The checkpoint stays as it was, so the next open classifies the same bytes the same way.
      return log;
    }
    // Recovery may have cut the log below a snapshot, and retention may have passed one.
    log.snapshots.dropAbove(log.logEndOffset);
    log.snapshots.dropBelow(log.logStartOffset);
    if (stored?.cleanShutdown && !created && !loaded.recovered) {
      // Nothing changed since the clean shutdown, so the clean checkpoint stays true until the
      // first change writes an unclean one (beginChange): a restart costs no fsync per
      // partition, and a crash before any change finds the log exactly as it was closed.
      log.cleanOnDisk = true;
      // Its index files are current, so the unclean checkpoint of the first change can count on them.
      const holder = log.segments[log.segmentIndexFor(log.recoveryPoint)];
      log.recoveryIndex = holder.indexCountsBelow(log.recoveryPoint);
    } else if (
      checkAtOpen ||
      stored === null ||
      stored.cleanShutdown ||
      created ||
      stored.verifyFrom !== undefined ||
      log.recoveryPoint !== stored.recoveryPoint ||
      log.startOffset !== Math.max(stored.logStartOffset, loaded.segments[0].baseOffset)
    ) {
      fsyncDirSync(dir);
      log.writeCheckpointNow();
    } else {
      // The unclean checkpoint on disk still says what is true (recovery changed nothing it
      // records), so a restart after kill -9 costs no synchronous fsync per partition: the
      // recovered bytes and the directory are synced by the first round, started here.
      log.dirDirty = loaded.dirChanged;
    }
    if (loaded.recovered && (log.segments.some((s) => s.logDirty) || log.dirDirty)) {
      log.durableOffset = Math.min(log.durableOffset, log.recoveryPoint);
      log.groupCommit.request().catch(() => undefined);
    }
    const toScrub = checkAtOpen
      ? log.segments.filter((s) => s.uncheckedEnd > 0).map((segment) => ({ segment, endPosition: segment.uncheckedEnd }))
      : loaded.unverified === null
        ? []
        : [loaded.unverified];
    if (toScrub.length > 0) log.scrubDone = log.scrub(toScrub);
    return log;
  }

  /** Resolves when the synced mark records every completed sync round so far (at once for a log without one). */
  get syncedMarkSettled(): Promise<void> {
    return this.mark?.settled ?? Promise.resolve();
  }

  /** The synced mark follows the durable offset, in the background (not on the ack path). */
  private noteSynced(): void {
    if (this.mark === null || this.closed) return;
    const offset = this.durableOffset;
    this.mark.advance({ offset, lastTerm: this.termBelow(offset) });
  }

  /** Term of the batch that ends just below `offset` (a batch boundary), -1 when there is none in the log. */
  private termBelow(offset: number): number {
    return offset > this.startOffset ? (this.termAt(offset - 1) ?? -1) : -1;
  }

  /**
   * Resolves when the background CRC check of the synced bytes that open trusted without one has
   * finished (found nothing, found damage, or stopped because the log closed or was rewritten).
   */
  get scrubbed(): Promise<void> {
    return this.scrubDone;
  }

  /**
   * Open trusts the bytes of a segment below the recovery point after checking only their headers
   * (as for a sealed segment); this checks their CRC-32C in the background, SCRUB_STEP_BYTES per
   * step of the scrub queue, the parts in order. A Raft log's parts are every segment open
   * trusted, and each batch must also have its segment's one term (Segment.termProblem). A bad
   * batch is damage to synced data (docs/storage.md, "Recovery").
   */
  private scrub(parts: Array<{ segment: Segment; endPosition: number }>): Promise<void> {
    const rewrites = this.rewrites;
    let part = 0;
    let position = 0;
    let offset = parts[0].segment.baseOffset;
    return new Promise((resolve) => {
      // Each step checks at least one batch or moves to the next part; the parts' sizes bound the steps.
      const step = (): boolean => {
        const { segment, endPosition } = parts[part];
        // A truncation of a Raft log (a follower's conflicting suffix) leaves the other parts to check:
        // bytes written since are this process's own.
        if (this.closing || this.closed || this.damaged !== null || (!this.raftChecks && this.rewrites !== rewrites)) return true;
        // A Raft log's truncation lowers uncheckedEnd: the bytes after it are no longer those open trusted.
        const limit = this.raftChecks ? Math.min(endPosition, segment.uncheckedEnd) : endPosition;
        if (this.segments.includes(segment) && position < limit) {
          const result = segment.verifyStep(position, offset, limit, SCRUB_STEP_BYTES, this.raftChecks);
          if (result.problem !== null) {
            this.damagedAfterOpen(segment, result, 'scrub');
            return true;
          }
          if (result.endPosition > position && result.endPosition < limit) {
            position = result.endPosition;
            offset = result.nextOffset;
            return false;
          }
        }
        // Every byte open trusted is checked (or cut away); what lies past it was written here.
        segment.uncheckedEnd = 0;
        // This part is done (or its segment went to retention): on to the next one.
        part++;
        if (part >= parts.length) return true;
        position = 0;
        offset = parts[part].segment.baseOffset;
        return false;
      };
      this.scrubs.add({
        step: () => {
          let done = true;
          try {
            done = step();
          } finally {
            if (done) resolve();
          }
          return done;
        },
      });
    });
  }

  /** Calls `listener` when damage is found after open (once per log); returns the unsubscribe. */
  onDamage(listener: (damage: LogDamage) => void): () => void {
    this.damageListeners.push(listener);
    return () => {
      this.damageListeners = this.damageListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Damage found after open: the log becomes what open makes of damage (read-only up to it, the
   * later segments unloaded, not a byte of any file changed), and the checkpoint tells the next
   * open to CRC-check this segment, so it finds the damage before anything changes.
   */
  private damagedAfterOpen(segment: Segment, step: ScanResult, foundBy: 'scrub' | 'read'): void {
    const damage: LogDamage = { path: segment.paths.log, position: step.endPosition, offset: step.nextOffset, reason: step.problem ?? '' };
    let later: Segment[] = [];
    // A Raft log keeps its view: the Raft core reads it until its group is stopped (the listeners
    // do that), and the next open, finding the damage again, starts the replica over.
    if (!this.raftChecks) {
      const i = this.segments.indexOf(segment);
      later = this.segments.splice(i + 1);
      for (const s of later) {
        this.unloadedBases.push(s.baseOffset);
        if (this.syncsInFlight > 0) this.fdsToClose.push(s.fd);
        else s.close();
      }
      segment.forgetFrom(damage.position);
      this.translator = translatorOf(this.segments);
      this.totalBytes = this.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
      this.startOffset = Math.min(this.startOffset, this.logEndOffset);
      this.durableOffset = Math.min(this.durableOffset, this.logEndOffset);
      this.firstRaftCache = null;
    }
    this.verifyFrom = segment.baseOffset;
    try {
      this.writeCheckpointNow();
    } catch (err) {
      // A full disk: the damage is still found by the next scrub or Raft read after a restart.
      this.logger.error({ dir: this.dir, err: String(err) }, 'recording damage in the checkpoint failed');
    }
    this.damaged = damage;
    this.logger.error({ dir: this.dir, ...damage, segmentsNotLoaded: later.length, foundBy }, 'damage in synced log data');
    for (const listener of [...this.damageListeners]) listener({ ...damage });
  }

  /**
   * Moves the recovery point up to the durable offset, inside the active segment too, and records
   * it (the timer calls this every recoveryPointIntervalMs): the index files of the segment holding
   * it are written and fsynced first, then the checkpoint, every fsync off the event loop. A failure
   * leaves the point where it was (logged): recovery then checks more, never less.
   */
  persistRecoveryPoint(): Promise<void> {
    this.persisting ??= this.persistRecoveryPointOnce().finally(() => {
      this.persisting = null;
    });
    return this.persisting;
  }

  private async persistRecoveryPointOnce(): Promise<void> {
    if (this.closing || this.closed || this.failure !== null || this.damaged !== null) return;
    let point = this.durableOffset;
    // A sealed segment counts as synced only with its index files (see the checkpoint's recoveryPoint).
    for (let i = 0; i + 1 < this.segments.length && this.segments[i + 1].baseOffset <= point; i++) {
      if (this.segments[i].indexFilesUnsynced) {
        point = this.segments[i].baseOffset;
        break;
      }
    }
    if (point <= this.recoveryPoint) return;
    const segment = this.segments[this.segmentIndexFor(point)];
    const counts = segment.indexCountsBelow(point);
    const generation = this.checkpointGeneration;
    const rewrites = this.rewrites;
    const valid = () =>
      generation === this.checkpointGeneration &&
      rewrites === this.rewrites &&
      !this.closing &&
      !this.closed &&
      this.failure === null &&
      this.damaged === null &&
      this.segments.includes(segment);
    try {
      if (counts.offset > 0) {
        segment.writeIndexFiles(false);
        await Promise.all([fsyncPath(segment.paths.index), fsyncPath(segment.paths.timeIndex), fsyncPath(segment.paths.raft)]);
        if (!valid()) return;
      }
      const checkpoint: Checkpoint = { logStartOffset: this.startOffset, recoveryPoint: point, lastTerm: this.lastTerm, cleanShutdown: false };
      if (counts.offset > 0) checkpoint.recoveryIndex = counts;
      if (!(await writeCheckpointAsync(this.dir, checkpoint, valid))) return;
      // A synchronous write since the rename wrote the older point (it is newer on disk): keep that.
      if (generation !== this.checkpointGeneration || point <= this.recoveryPoint) return;
      this.recoveryPoint = point;
      this.recoveryIndex = counts.offset > 0 ? counts : null;
      this.cleanOnDisk = false;
    } catch (err) {
      if (this.closing || this.closed) return;
      this.logger.warn({ dir: this.dir, recoveryPoint: point, err: String(err) }, 'recovery point not recorded');
    }
  }

  /** Synced data that recovery found damaged (then the log is read-only up to it), or null. */
  get damage(): LogDamage | null {
    return this.damaged === null ? null : { ...this.damaged };
  }

  /**
   * Called before anything changes the log's files: a log still marked clean on disk is marked
   * unclean (and that is fsynced) first, so a crash from here on runs recovery.
   */
  private beginChange(): void {
    if (this.cleanOnDisk) this.writeCheckpointNow();
  }

  /** Removes a partition directory and everything in it. The log must be closed. */
  static destroy(dir: string): void {
    storageFs().remove(dir);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get flushedOffset(): number {
    return this.durableOffset;
  }

  /**
   * A topic's configs changed (AlterConfigs): the next append rolls by the new segment size, the
   * next retention run deletes by the new limits. The flush settings are the broker's and stay.
   */
  reconfigure(change: Pick<LogConfig, 'segmentBytes' | 'segmentMs' | 'indexIntervalBytes' | 'retentionMs' | 'retentionBytes'>): void {
    const next: LogConfig = {
      ...this.config,
      segmentBytes: change.segmentBytes,
      segmentMs: change.segmentMs,
      indexIntervalBytes: change.indexIntervalBytes,
      retentionMs: change.retentionMs,
      retentionBytes: change.retentionBytes,
    };
    validateLogConfig(next);
    this.config = next;
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  /** Completed group-commit sync rounds (for metrics, and tests of the sharing). */
  get syncRounds(): number {
    return this.syncRoundsDone;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Term of the last batch in the log; for an empty log the last term it ever held, or -1. */
  get lastTerm(): number {
    return this.lastBatchTerm() ?? this.lastTermEver;
  }

  private lastBatchTerm(): number | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const t = this.segments[i].lastTerm;
      if (t !== undefined) return t;
    }
    return undefined;
  }

  append(batch: Buffer, term: number): AppendResult {
    this.checkUsable();
    this.beginChange();
    invariant(batch.length >= BATCH_HEADER_BYTES, () => `a batch has at least ${BATCH_HEADER_BYTES} bytes`);
    invariant(batch[MAGIC_OFFSET] === CURRENT_MAGIC, 'append takes RecordBatch v2 only');
    invariant(LOG_OVERHEAD_BYTES + batch.readInt32BE(BATCH_LENGTH_OFFSET) === batch.length, 'append takes exactly one whole batch');
    invariant(Number.isInteger(term) && term >= 0 && term >= this.lastTerm, () => `term ${term} is not below the last term ${this.lastTerm}`);
    const lastOffsetDelta = batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
    invariant(lastOffsetDelta >= 0, 'lastOffsetDelta >= 0');
    const baseOffset = this.logEndOffset;
    const lastOffset = baseOffset + lastOffsetDelta;
    let active = this.active;
    const maxTimestamp = readInt64(batch, MAX_TIMESTAMP_OFFSET);
    // Raft's own entries are control batches with timestamp 0: they neither roll nor start the clock.
    const timed = maxTimestamp >= 0 && !isControlBatch(batch.readInt16BE(ATTRIBUTES_OFFSET));
    if (!active.isEmpty && (active.sizeBytes + batch.length > this.config.segmentBytes || active.lastTerm !== term || !active.fitsRelativeOffset(lastOffset))) {
      active = this.roll(active.lastTerm !== term ? 'term' : 'size', term);
    } else if (timed && !active.isEmpty && this.rollsByTime(active, maxTimestamp)) {
      active = this.roll('time', term);
    }
    // The segment's one term is in its sidecar before its first batch is (docs/storage.md, "A
    // segment's own term"): a roll wrote it; an empty segment made without it takes it now (a Raft
    // log; another log's leaves it unknown and saves the two fsyncs), and one made for another
    // term always does, or open would take its batch for damage.
    if (active.isEmpty && active.segmentTerm !== term && (this.raftChecks || active.segmentTerm !== undefined)) active.takeTerm(term);
    if (active.isEmpty) this.activeFirstTimestamp = { segment: active, timestamp: null };
    if (timed && this.activeFirstTimestamp?.segment === active && this.activeFirstTimestamp.timestamp === null) {
      this.activeFirstTimestamp.timestamp = maxTimestamp;
    }
    setBaseOffset(batch, 0, baseOffset);
    setPartitionLeaderEpoch(batch, 0, term);
    active.append(batch, baseOffset, lastOffset, maxTimestamp, term, this.config.indexIntervalBytes);
    if (!timed && isRaftOnlyBatch(batch)) this.translator.add(baseOffset);
    this.totalBytes += batch.length;
    this.lastTermEver = term;
    return { baseOffset, lastOffset };
  }

  /**
   * segment.ms, as Kafka's LogSegment.shouldRoll: the batch's max timestamp is more than
   * segmentMs past the max timestamp of the segment's first batch. Derived from the records, so
   * every replica decides alike and no clock is read. Batches without a timestamp (-1) never roll it.
   */
  private rollsByTime(active: Segment, maxTimestamp: number): boolean {
    const segmentMs = this.config.segmentMs ?? Infinity;
    if (segmentMs === Infinity) return false;
    if (this.activeFirstTimestamp?.segment !== active) {
      // Not known for this segment (the log was opened, truncated or reset): read its headers.
      this.activeFirstTimestamp = { segment: active, timestamp: firstClientTimestamp(active) };
    }
    const first = this.activeFirstTimestamp.timestamp;
    return first !== null && maxTimestamp - first > segmentMs;
  }

  /**
   * Seals the active segment (writing its index files) and starts a new one at the log end, for
   * batches of `term` (undefined when no batch is to hand: the first one to come records it).
   */
  private roll(reason: string, term?: number): Segment {
    const old = this.active;
    old.writeIndexFiles();
    const segment = Segment.create(this.dir, this.logEndOffset, {
      firstRaftIndex: this.lastRaftIndex + 1,
      prevTerm: this.termOfRaft(this.lastRaftIndex),
      term,
      raftOnlyBefore: this.translator.deltaAt(this.logEndOffset),
    });
    this.segments.push(segment);
    this.dirDirty = true;
    // As in Kafka, the producer state as of the new segment's start: a restart replays from here.
    this.snapshots.take(segment.baseOffset, false);
    this.logger.info({ dir: this.dir, baseOffset: segment.baseOffset, reason, sealedBytes: old.sizeBytes }, 'segment rolled');
    return segment;
  }

  flush(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`log ${this.dir} is closed`));
    // A damaged log takes no writes, so there is nothing to sync.
    if (this.config.flush.mode !== 'group' || this.damaged !== null) return Promise.resolve();
    return this.groupCommit.request();
  }

  /** As flush(), with blocking syncs; the same files a group-commit round syncs. */
  flushSync(): void {
    this.checkUsable();
    if (this.config.flush.mode !== 'group') return;
    const fs = storageFs();
    try {
      for (const s of this.segments) {
        if (s.logDirty) fs.fdatasyncSync(s.fd);
        s.logDirty = false;
        if (s.indexFilesUnsynced) for (const path of [s.paths.index, s.paths.timeIndex, s.paths.raft]) fsyncPathSync(path);
        s.indexFilesUnsynced = false;
      }
      if (this.dirDirty) fsyncDirSync(this.dir);
      this.dirDirty = false;
    } catch (err) {
      throw this.syncFailed(err);
    }
    this.durableOffset = this.logEndOffset;
    this.advanceRecoveryPoint();
    this.noteSynced();
  }

  /** One round of group commit: fdatasync every dirty file, then advance the durable offset. */
  private async syncOnce(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const target = this.logEndOffset;
    const logs = this.segments.filter((s) => s.logDirty);
    const indexed = this.segments.filter((s) => s.indexFilesUnsynced);
    const syncDir = this.dirDirty;
    for (const s of logs) s.logDirty = false;
    for (const s of indexed) s.indexFilesUnsynced = false;
    this.dirDirty = false;
    this.truncatedDuringSync = Infinity;
    this.syncsInFlight++;
    const started = this.onSync ? performance.now() : 0;
    try {
      const fs = storageFs();
      const jobs: Promise<void>[] = logs.map((s) => fs.fdatasync(s.fd));
      for (const s of indexed) jobs.push(fsyncPath(s.paths.index), fsyncPath(s.paths.timeIndex), fsyncPath(s.paths.raft));
      await Promise.all(jobs);
      if (syncDir) await fsyncPath(this.dir);
      if (this.onSync && jobs.length > 0) this.onSync((performance.now() - started) / 1000);
    } catch (err) {
      throw this.syncFailed(err);
    } finally {
      this.syncsInFlight--;
      if (this.syncsInFlight === 0) this.closeDeferredFds();
    }
    this.syncRoundsDone++;
    const durable = Math.min(target, this.truncatedDuringSync, this.logEndOffset);
    if (durable > this.durableOffset) this.durableOffset = durable;
    this.advanceRecoveryPoint();
    this.noteSynced();
  }

  /**
   * After a failed fsync the page cache may have dropped the data (fsyncgate): nothing appended
   * since the last good sync can be promised, so the log stops taking writes.
   */
  private syncFailed(err: unknown): Error {
    this.failure = new LogFailedError(this.dir, err);
    this.logger.error({ dir: this.dir, err: String(err) }, 'fdatasync failed; log is now read-only');
    return this.failure;
  }

  /** Every segment before the first one with unsynced data is safe to skip in recovery. */
  private advanceRecoveryPoint(): void {
    if (this.closed) return;
    let point = this.active.baseOffset;
    for (const s of this.segments) {
      if (s.logDirty || s.indexFilesUnsynced || s === this.active) {
        point = s.baseOffset;
        break;
      }
    }
    if (point > this.recoveryPoint) {
      this.recoveryPoint = point;
      this.recoveryIndex = null;
      this.writeCheckpointNow();
    }
  }

  private closeDeferredFds(): void {
    const fds = this.fdsToClose;
    this.fdsToClose = [];
    for (const fd of fds) storageFs().close(fd);
  }

  read(offset: number, maxBytes: number, maxOffsetExclusive: number): ReadResult {
    this.checkReadable(offset);
    invariant(maxBytes >= 0, 'maxBytes >= 0');
    const limit = Math.min(maxOffsetExclusive, this.logEndOffset);
    if (offset >= limit) return { records: EMPTY, nextOffset: offset };
    const parts: Buffer[] = [];
    let bytes = 0;
    let next = offset;
    // Each segment is visited once, in order; the byte budget usually ends the loop early.
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && next < limit; i++) {
      const segment = this.segments[i];
      if (segment.isEmpty) continue;
      const part = segment.read(next, maxBytes - bytes, limit, parts.length === 0);
      if (part.records.length > 0) {
        parts.push(part.records);
        bytes += part.records.length;
        next = part.nextOffset;
      }
      if (!part.reachedEnd) break;
    }
    if (parts.length === 0) return { records: EMPTY, nextOffset: offset };
    return { records: parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes), nextOffset: next };
  }

  readHeaders(offset: number, maxBytes: number, maxOffsetExclusive: number): HeaderRead {
    this.checkReadable(offset);
    invariant(maxBytes >= 0, 'maxBytes >= 0');
    const limit = Math.min(maxOffsetExclusive, this.logEndOffset);
    const headers: BatchHeader[] = [];
    let bytesRead = 0;
    let next = offset;
    // Each segment is visited once, in order; the byte budget usually ends the loop early.
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && next < limit && (headers.length === 0 || bytesRead < maxBytes); i++) {
      const segment = this.segments[i];
      if (segment.isEmpty) continue;
      const part = segment.readHeaders(next, headers.length === 0 ? maxBytes : maxBytes - bytesRead, limit);
      bytesRead += part.bytesRead;
      for (const h of part.headers) headers.push(h);
      next = part.nextOffset;
      if (!part.reachedEnd) break;
    }
    return { headers, nextOffset: next, bytesRead };
  }

  private checkReadable(offset: number): void {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, this.logEndOffset);
    }
  }

  /** Index of the segment holding `offset` (the last one with baseOffset <= offset). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    this.checkOpen();
    for (let i = this.segmentIndexFor(this.startOffset); i < this.segments.length; i++) {
      const found = this.segments[i].findByTimestamp(timestamp, this.startOffset);
      if (found !== null) return { offset: Math.max(found.baseOffset, this.startOffset), timestamp: found.maxTimestamp };
    }
    return null;
  }

  maxTimestamp(): number {
    this.checkOpen();
    let max = -1;
    // A segment that starts below the log start may still hold records after it, so it counts;
    // its maximum may come from a deleted record, which offsetForTimestamp then steps past.
    for (let i = this.segmentIndexFor(this.startOffset); i < this.segments.length; i++) {
      if (this.segments[i].maxTimestamp > max) max = this.segments[i].maxTimestamp;
    }
    return max;
  }

  leaderEpochs(): EpochStart[] {
    this.checkOpen();
    const out: EpochStart[] = [];
    // One or a few terms per segment (a segment rolls at every new term).
    for (let i = this.segmentIndexFor(this.startOffset); i < this.segments.length; i++) {
      for (const t of this.segments[i].terms) {
        if (out.length === 0 || out[out.length - 1].epoch !== t.term) out.push({ epoch: t.term, startOffset: t.startOffset });
      }
    }
    return out;
  }

  termAt(offset: number): number | undefined {
    this.checkOpen();
    if (offset < this.segments[0].baseOffset || offset >= this.logEndOffset) return undefined;
    return this.segments[this.segmentIndexFor(offset)].termAt(offset);
  }

  /**
   * Raft truncate-suffix: removes every batch whose last offset is >= offset. An offset
   * in the middle of a batch removes that whole batch, so the new log end may be lower
   * than `offset` (Kafka does the same).
   */
  truncateTo(offset: number): void {
    this.checkUsable();
    const before = this.logEndOffset;
    if (offset >= before) return;
    this.activeFirstTimestamp = null;
    invariant(offset >= this.startOffset, () => `truncation to ${offset} stays at or above the log start ${this.startOffset}`);
    this.beginChange();
    if (this.mark !== null) {
      // The mark goes down first: it must never name bytes a crash could find gone or replaced.
      const end = this.segments[this.segmentIndexFor(offset)].positionOf(offset).baseOffset;
      this.mark.lowerNow({ offset: end, lastTerm: this.termBelow(end) });
    }
    let removedSegments = 0;
    while (this.segments.length > 1 && this.active.baseOffset >= offset) {
      const segment = this.segments.pop() as Segment;
      this.totalBytes -= segment.sizeBytes;
      this.dropSegmentFiles(segment);
      removedSegments++;
    }
    const active = this.active;
    const cut = active.positionOf(offset);
    this.totalBytes -= active.sizeBytes - cut.position;
    active.truncateToPosition(cut.position);
    invariant(active.nextOffset === cut.baseOffset, 'truncation ends at a batch boundary');
    this.translator.truncate(this.logEndOffset);
    // A snapshot above the new end describes entries that are gone; its deletion is made durable
    // with the cut, so it cannot come back and be trusted once the log grows past it again.
    this.snapshots.dropAbove(this.logEndOffset);
    // Make the cut durable now: otherwise the old suffix, with its old terms, could come
    // back after a crash and be mistaken for entries this replica still holds.
    storageFs().fdatasyncSync(active.fd);
    fsyncDirSync(this.dir);
    active.logDirty = false;
    // Raft may replace a suffix with entries of a lower term (Raft §5.3, Figure 7), so
    // the term floor for later appends is the term of what remains.
    this.lastTermEver = this.lastBatchTerm() ?? -1;
    this.firstRaftCache = null;
    if (this.syncsInFlight > 0) this.truncatedDuringSync = Math.min(this.truncatedDuringSync, this.logEndOffset);
    this.durableOffset = Math.min(this.durableOffset, this.logEndOffset);
    if (this.recoveryPoint > active.baseOffset) {
      this.recoveryPoint = active.baseOffset;
      this.recoveryIndex = null;
    }
    this.rewrites++;
    this.writeCheckpointNow();
    this.logger.info({ dir: this.dir, from: before, to: this.logEndOffset, removedSegments }, 'log truncated');
  }

  /** DeleteRecords: moves the log start offset and drops every segment wholly below it. */
  deleteRecordsBefore(offset: number): void {
    this.checkUsable();
    if (offset > this.logEndOffset) throw new OffsetOutOfRangeError(offset, this.startOffset, this.logEndOffset);
    if (offset <= this.startOffset) return;
    this.startOffset = offset;
    this.firstRaftCache = null;
    this.writeCheckpointNow();
    if (this.snapshots.dropBelow(offset) > 0) this.dirDirty = true;
    const deleted = this.deleteHeadSegments('delete-records', (_s, next) => next <= offset);
    if (deleted.deletedSegments > 0) {
      this.logger.info({ dir: this.dir, logStartOffset: offset, ...deleted }, 'records deleted');
    }
  }

  /**
   * Deletes expired head segments. As in Kafka, only segments that end at or below
   * `maxOffsetExclusive` (the high watermark / Raft commit) may go, so retention never
   * removes records that are not yet committed.
   */
  applyRetention(nowMs: number, maxOffsetExclusive = Infinity): RetentionResult {
    // A damaged log keeps its files as they are (the periodic retention run must not fail on it).
    if (this.damaged !== null && !this.closed) return { deletedSegments: 0, deletedBytes: 0 };
    this.checkUsable();
    const { retentionMs, retentionBytes } = this.config;
    let result: RetentionResult = { deletedSegments: 0, deletedBytes: 0 };
    if (retentionMs >= 0) {
      result = this.deleteHeadSegments('retention-time', (s, end) => !s.isEmpty && end <= maxOffsetExclusive && nowMs - s.maxTimestamp > retentionMs);
    }
    if (retentionBytes >= 0) {
      // As in Kafka: delete a head segment while the rest still holds retentionBytes;
      // the active segment stays.
      const bySize = this.deleteHeadSegments(
        'retention-bytes',
        (s, end) => s !== this.active && end <= maxOffsetExclusive && this.totalBytes - s.sizeBytes >= retentionBytes,
      );
      result = { deletedSegments: result.deletedSegments + bySize.deletedSegments, deletedBytes: result.deletedBytes + bySize.deletedBytes };
    }
    if (result.deletedSegments > 0) {
      this.logger.info({ dir: this.dir, ...result, logStartOffset: this.startOffset }, 'retention deleted segments');
    }
    return result;
  }

  /**
   * Deletes segments from the head while `expired(segment, endOffset)` holds. When the
   * active segment itself expires, an empty segment is rolled at the log end first, so
   * the log always has one segment and keeps its end offset.
   */
  private deleteHeadSegments(reason: string, expired: (s: Segment, endOffset: number) => boolean): RetentionResult {
    let deletedSegments = 0;
    let deletedBytes = 0;
    // Each iteration removes the head segment or stops; the segment count bounds it.
    while (this.segments.length > 0) {
      const head = this.segments[0];
      const endOffset = this.segments.length > 1 ? this.segments[1].baseOffset : head.nextOffset;
      if (!expired(head, endOffset)) break;
      this.beginChange();
      if (head === this.active) {
        if (head.isEmpty) break;
        this.roll(reason);
      }
      this.segments.shift();
      this.totalBytes -= head.sizeBytes;
      deletedBytes += head.sizeBytes;
      deletedSegments++;
      this.dropSegmentFiles(head);
    }
    if (deletedSegments > 0) {
      this.translator.dropBelow(this.segments[0].baseOffset);
      this.startOffset = Math.max(this.startOffset, this.segments[0].baseOffset);
      this.snapshots.dropBelow(this.startOffset);
      this.firstRaftCache = null;
      if (this.recoveryPoint < this.segments[0].baseOffset) {
        this.recoveryPoint = this.segments[0].baseOffset;
        this.recoveryIndex = null;
      }
    }
    return { deletedSegments, deletedBytes };
  }

  private dropSegmentFiles(segment: Segment): void {
    segment.deleteFiles();
    if (this.syncsInFlight > 0) this.fdsToClose.push(segment.fd);
    else segment.close();
    this.dirDirty = true;
  }

  // ------------------------------------------------------------ Raft index translation

  get kafkaOffsets(): KafkaOffsets {
    return this.translator;
  }

  get lastRaftIndex(): number {
    return this.active.lastRaftIndex;
  }

  get firstRaftIndex(): number {
    const start = this.startOffset;
    if (start >= this.logEndOffset) return this.lastRaftIndex + 1;
    if (this.firstRaftCache !== null && this.firstRaftCache.startOffset === start) return this.firstRaftCache.raftIndex;
    const segment = this.segments[this.segmentIndexFor(start)];
    const raftIndex = segment.baseOffset === start ? segment.firstRaftIndex : segment.raftIndexOf(start);
    this.firstRaftCache = { startOffset: start, raftIndex };
    return raftIndex;
  }

  raftIndexOf(offset: number): number {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < this.segments[0].baseOffset || offset >= this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.segments[0].baseOffset, this.logEndOffset);
    }
    const segment = this.segments[this.segmentIndexFor(offset)];
    return segment.baseOffset === offset ? segment.firstRaftIndex : segment.raftIndexOf(offset);
  }

  termAtRaftIndex(i: number): number | undefined {
    this.checkOpen();
    if (!Number.isSafeInteger(i) || i < this.firstRaftIndex - 1 || i > this.lastRaftIndex) return undefined;
    return this.termOfRaft(i);
  }

  /** Term of entry i, for segments[0].firstRaftIndex - 1 <= i <= lastRaftIndex. */
  private termOfRaft(i: number): number {
    const head = this.segments[0];
    if (i === head.firstRaftIndex - 1) return head.prevTerm;
    const term = this.segments[this.segmentIndexForRaft(i)].termAtRaftIndex(i);
    invariant(term !== undefined, () => `raft index ${i} lies in a segment`);
    return term;
  }

  /** Index of the segment holding Raft index i (the last one whose first Raft index is <= i). */
  private segmentIndexForRaft(i: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].firstRaftIndex <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  entryAt(raftIndex: number): RaftBatch {
    const [entry] = this.entries(raftIndex, raftIndex + 1, 0);
    return entry;
  }

  entries(lo: number, hi: number, maxBytes: number): RaftBatch[] {
    this.checkOpen();
    const first = this.firstRaftIndex;
    const last = this.lastRaftIndex;
    invariant(
      Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && first <= lo && lo <= hi && hi <= last + 1,
      () => `raft entries [${lo}, ${hi}) within [${first}, ${last + 1})`,
    );
    const out: RaftBatch[] = [];
    let bytes = 0;
    let next = lo;
    // Each segment is visited once, in order; the byte budget may end the loop early.
    for (let k = this.segmentIndexForRaft(lo); k < this.segments.length && next < hi; k++) {
      const segment = this.segments[k];
      const until = Math.min(hi, segment.lastRaftIndex + 1);
      if (until <= next) continue;
      const part = segment.readRaft(next, until, maxBytes - bytes, out.length === 0);
      if (this.raftChecks && segment.uncheckedEnd > 0) this.checkRead(segment, part);
      for (const b of part) {
        out.push({ index: b.raftIndex, term: b.term, baseOffset: b.baseOffset, lastOffset: b.lastOffset, batch: b.batch });
        bytes += b.batch.length;
      }
      next += part.length;
      if (next < until) break;
    }
    invariant(out.length > 0 || lo === hi, 'entries returns at least one entry');
    return out;
  }

  /**
   * A Raft read from a segment open trusted and not yet scrubbed: what it returns is sent to
   * followers and applied, so each batch is CRC-checked first (B6). A bad one is damage to synced
   * data: recorded, reported, and the read throws LogDamagedError instead of serving it.
   */
  private checkRead(segment: Segment, batches: readonly SegmentBatch[]): void {
    for (const b of batches) {
      if (b.position >= segment.uncheckedEnd) break;
      const problem = batchCrcIsValid(b.batch, 0, b.batch.length) ? segment.termProblem(b.headerTerm) : 'CRC-32C mismatch';
      if (problem === null) continue;
      if (this.damaged === null) this.damagedAfterOpen(segment, { endPosition: b.position, nextOffset: b.baseOffset, problem }, 'read');
      throw new LogDamagedError(this.damaged!);
    }
  }

  truncateToRaftIndex(i: number): void {
    this.checkUsable();
    if (i > this.lastRaftIndex) return;
    const first = this.firstRaftIndex;
    invariant(i >= first, () => `raft truncation at ${i} stays at or above the first entry ${first}`);
    const offset = this.baseOffsetOfRaft(i);
    invariant(offset >= this.startOffset, () => `raft truncation at ${i} (offset ${offset}) would cut the log start ${this.startOffset}`);
    this.truncateTo(offset);
    invariant(this.lastRaftIndex === i - 1, () => `raft truncation at ${i} leaves ${this.lastRaftIndex} as the last entry`);
  }

  offsetAfterRaftIndex(i: number): number {
    this.checkOpen();
    const last = this.lastRaftIndex;
    invariant(Number.isSafeInteger(i) && i >= this.firstRaftIndex - 1 && i <= last, () => `raft index ${i} within [${this.firstRaftIndex - 1}, ${last}]`);
    if (i === last) return this.logEndOffset;
    return this.baseOffsetOfRaft(i + 1);
  }

  /** Base offset of the batch with Raft index i, which is on disk. */
  private baseOffsetOfRaft(i: number): number {
    const segment = this.segments[this.segmentIndexForRaft(i)];
    if (segment.firstRaftIndex === i) return segment.baseOffset;
    return segment.locateRaft(i).baseOffset;
  }

  resetTo(start: RaftStart): void {
    // Resetting is how a damaged Raft replica starts over (every old file goes), so it is the
    // one change a damaged log accepts.
    this.checkUsable(true);
    invariant(Number.isSafeInteger(start.offset) && start.offset >= 0, () => `reset offset ${start.offset}`);
    this.activeFirstTimestamp = null;
    const removed = this.segments.length;
    this.beginChange();
    this.mark?.lowerNow({ offset: 0, lastTerm: -1 });
    // Every old file goes (and the directory is synced) before the new segment exists,
    // so a crash in between leaves an empty directory, never a mix of old and new.
    for (const segment of this.segments) this.dropSegmentFiles(segment);
    deleteSegmentFiles(this.dir, this.unloadedBases);
    this.unloadedBases = [];
    this.damaged = null;
    // The damaged segment is gone with the rest: nothing left for the next open to check whole.
    this.verifyFrom = undefined;
    this.segments = [];
    this.snapshots.dropAll();
    fsyncDirSync(this.dir);
    const raftOnlyBefore = start.raftOnlyBefore ?? 0;
    const segment = Segment.create(this.dir, start.offset, { firstRaftIndex: start.raftIndex, prevTerm: start.prevTerm, raftOnlyBefore });
    this.segments = [segment];
    this.translator = new OffsetTranslator(raftOnlyBefore);
    this.startOffset = start.offset;
    this.recoveryPoint = start.offset;
    this.recoveryIndex = null;
    this.rewrites++;
    this.lastTermEver = start.prevTerm;
    this.totalBytes = 0;
    this.firstRaftCache = null;
    if (this.syncsInFlight > 0) this.truncatedDuringSync = Math.min(this.truncatedDuringSync, start.offset);
    this.durableOffset = start.offset;
    this.writeCheckpointNow();
    this.logger.info({ dir: this.dir, ...start, removedSegments: removed }, 'log reset');
  }

  /** Flushes, writes the clean-shutdown checkpoint and closes the files; every caller waits for the same close. */
  close(): Promise<void> {
    this.closeDone ??= this.closeOnce();
    return this.closeDone;
  }

  private async closeOnce(): Promise<void> {
    this.closing = true;
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    this.intervalTimer = null;
    if (this.recoveryTimer !== null) clearInterval(this.recoveryTimer);
    this.recoveryTimer = null;
    await this.groupCommit.idle();
    if (this.persisting !== null) await this.persisting;
    const closeMark = async () => {
      await this.mark?.close();
      this.mark = null;
    };
    if (this.failure === null && this.damaged === null) {
      // Opened clean and never changed: the files are as the last clean shutdown left them.
      const unchanged = this.cleanOnDisk;
      if (!unchanged) this.active.writeIndexFiles();
      await this.groupCommit.request();
      // The state as of the end: a clean restart replays nothing. Fsynced, and the checkpoint
      // write below fsyncs the directory, so it outlives a power loss after the shutdown too.
      if (!unchanged || !this.snapshots.offsets().includes(this.logEndOffset)) this.snapshots.take(this.logEndOffset, true);
      await closeMark();
      this.closed = true;
      if (!unchanged) {
        writeCheckpoint(this.dir, {
          logStartOffset: this.startOffset,
          recoveryPoint: this.logEndOffset,
          lastTerm: this.lastTerm,
          cleanShutdown: true,
        });
      }
    }
    await closeMark();
    this.closed = true;
    this.closeDeferredFds();
    for (const s of this.segments) s.close();
  }

  private writeCheckpointNow(): void {
    this.cleanOnDisk = false;
    this.checkpointGeneration++;
    const checkpoint: Checkpoint = {
      logStartOffset: this.startOffset,
      recoveryPoint: this.recoveryPoint,
      lastTerm: this.lastTerm,
      cleanShutdown: false,
    };
    if (this.recoveryIndex !== null) checkpoint.recoveryIndex = this.recoveryIndex;
    if (this.verifyFrom !== undefined) checkpoint.verifyFrom = this.verifyFrom;
    writeCheckpoint(this.dir, checkpoint);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`log ${this.dir} is closed`);
  }

  private checkUsable(damagedOk = false): void {
    this.checkOpen();
    if (this.closing) throw new Error(`log ${this.dir} is closing`);
    if (this.failure !== null) throw this.failure;
    if (this.damaged !== null && !damagedOk) throw new LogDamagedError(this.damaged);
  }
}

function fsyncPathSync(path: string): void {
  const fs = storageFs();
  const fd = fs.open(path, 'r');
  try {
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}

async function fsyncPath(path: string): Promise<void> {
  const fs = storageFs();
  const fd = fs.open(path, 'r');
  try {
    await fs.fsyncAsync(fd);
  } finally {
    fs.close(fd);
  }
}

/** The translator over loaded segments: the first one's base, then every segment's Raft-only batches. */
function translatorOf(segments: readonly Segment[]): OffsetTranslator {
  const translator = new OffsetTranslator(segments.length === 0 ? 0 : segments[0].raftOnlyBefore);
  for (const segment of segments) for (const offset of segment.raftOnly) translator.add(offset);
  return translator;
}

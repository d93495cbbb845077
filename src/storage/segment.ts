// One segment: a .log file of RecordBatch v2 batches with contiguous offsets starting at
// baseOffset, plus its in-memory sparse indexes (persisted as .index and .timeindex
// files when the segment is sealed or the log closes) and its place in the Raft index
// space (the .raft sidecar: the Raft index of its first batch, written at creation).
// Each batch is one Raft entry, so the batches of a segment have the consecutive Raft
// indexes firstRaftIndex, firstRaftIndex + 1, ... Synchronous file I/O: callers are
// PartitionLog methods that must see their own writes at once.

import { storageFs } from './fs.ts';
import {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  MAGIC_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  batchCrcIsValid,
  readBatchHeader,
  type BatchHeader,
} from '../protocol/record-batch.ts';
import { FileWindow, readFully, scanBatches, type ScanResult, type ScannedBatch } from './batch-scan.ts';
import type { RecoveryIndexCounts } from './checkpoint.ts';
import { LogCorruptionError } from './errors.ts';
import { invariant } from '../base/invariant.ts';
import { segmentPaths, type SegmentPaths } from './file-names.ts';
import {
  createRaftSidecar,
  encodeRaftOnlyTrailer,
  RAFT_SIDECAR_HEADER_BYTES,
  readRaftSidecar,
  writeRaftSidecarEntries,
  type RaftSidecarHeader,
} from './raft-sidecar.ts';
import { isRaftOnlyBatch } from './offset-translator.ts';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex, RAFT_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES, TimeIndex } from './sparse-index.ts';

/** The first offset written with a given term. Segments roll on term change, so usually one. */
export interface TermStart {
  term: number;
  startOffset: number;
  /** Raft index of the first batch with this term. */
  startRaftIndex: number;
}

/** One batch read by Raft index: its bytes (a view into a fresh read buffer) and place. */
export interface SegmentBatch {
  raftIndex: number;
  /** The entry's term as the segment knows it (see entries()). */
  term: number;
  /** The term in the batch's own header (partitionLeaderEpoch, outside the CRC). */
  headerTerm: number;
  baseOffset: number;
  lastOffset: number;
  /** Byte position of the batch in the file. */
  position: number;
  batch: Buffer;
}

/** What a rebuild found. */
export interface RebuildResult extends ScanResult {
  /** The scan stopped at a batch whose term is above the term bound and otherwise fits. */
  aboveTermMax: boolean;
}

/** What recovering a segment above its recovery point found (recoverAbove). */
export interface RecoverAboveResult extends ScanResult {
  /** Position of the first batch that was CRC-checked: the bytes before it were only walked. */
  checkedFrom: number;
  /** The index entries below the recovery point came from the index files (else from a header walk). */
  indexesLoaded: boolean;
}

export interface SegmentRead {
  records: Buffer;
  /** Offset after the last batch returned; the requested offset when nothing was returned. */
  nextOffset: number;
  /** False when a batch at or past maxOffsetExclusive (or the byte limit) stopped the read. */
  reachedEnd: boolean;
}

/** Batch headers read without their records (readHeaders), and what reading them cost. */
export interface SegmentHeaderRead {
  headers: BatchHeader[];
  /** Offset after the last batch returned; the requested offset when nothing was returned. */
  nextOffset: number;
  /** False when a batch at or past maxOffsetExclusive (or the byte limit) stopped the read. */
  reachedEnd: boolean;
  bytesRead: number;
}

/** Read window bounds: big enough to hold a typical fetch in one read, small enough to bound memory. */
const READ_CHUNK_BYTES_MIN = 64 * 1024;
const READ_CHUNK_BYTES_MAX = 16 * 1024 * 1024;
/**
 * Window of a walk over batch headers only (the tail after the last index entry at open): small,
 * so a log of large batches does not read them whole just to step over them.
 */
const HEADER_WALK_CHUNK_BYTES = 4096;
/** Relative offsets in the index are uint32; a segment rolls before it would overflow. */
export const RELATIVE_OFFSET_MAX = 0xffffffff;
const EMPTY = Buffer.alloc(0);

export class Segment {
  readonly baseOffset: number;
  readonly paths: SegmentPaths;
  readonly fd: number;
  /** Raft index of the first batch (of the next batch appended while empty). */
  firstRaftIndex = 1;
  /** Term of entry firstRaftIndex - 1; 0 when there is none. */
  prevTerm = 0;
  /**
   * The term of every batch in the segment, from its sidecar (CRC-covered, durable before any
   * batch): undefined while not known (an empty segment made without an entry to hand, a
   * version 1 sidecar, a header rebuilt at open).
   */
  segmentTerm: number | undefined = undefined;
  /** Length of the sidecar's header (by its version): its entries start there. */
  private sidecarHeaderBytes = RAFT_SIDECAR_HEADER_BYTES;
  /** Why the .raft sidecar could not be read at open, or null when it was. */
  sidecarProblem: string | null = null;
  /** The relative Raft indexes stored after the sidecar header (checked with the .index). */
  private sidecarEntries: Buffer | null = null;
  /** The sidecar's Raft-only trailer (offsets relative to baseOffset), or null when it has none that checks out. */
  private sidecarRaftOnly: number[] | null = null;
  /** The raftOnlyBefore the sidecar header records; undefined for a version 1 sidecar. */
  recordedRaftOnlyBefore: number | undefined = 0;
  /** Raft-only batches at log offsets below baseOffset (the Kafka offset translation base; offset-translator.ts). */
  raftOnlyBefore = 0;
  /** Log offsets of this segment's Raft-only batches, ascending. */
  raftOnly: number[] = [];
  /** The sidecar on disk lacks the header field or the trailer that memory now has: rewriteSidecarIfStale writes it. */
  private sidecarStale = false;
  /** Batches in the segment; batch k has Raft index firstRaftIndex + k. */
  batchCount = 0;
  sizeBytes = 0;
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment, -1 when empty. */
  maxTimestamp = -1;
  terms: TermStart[] = [];
  offsetIndex = new OffsetIndex();
  timeIndex = new TimeIndex();
  /** Bytes appended since the last fdatasync of the .log. */
  logDirty = false;
  /** Index files written since their last fsync. */
  indexFilesUnsynced = false;
  /**
   * Bytes [0, uncheckedEnd) were loaded trusted (headers only) and not CRC-checked since: a Raft
   * log checks what it reads from there, and its scrub sets this to 0 once every batch there
   * checked out (B6). A truncation lowers it: bytes written later are this process's own.
   */
  uncheckedEnd = 0;
  private bytesSinceIndexEntry = 0;

  private readonly dir: string;

  private constructor(dir: string, baseOffset: number, fd: number) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.paths = segmentPaths(dir, baseOffset);
    this.fd = fd;
  }

  /**
   * Creates a new empty segment file; stale index files of the same name are removed.
   * The .raft sidecar is written and fsynced (with the directory) first, so a .log never
   * exists without the Raft index of its first batch.
   */
  static create(dir: string, baseOffset: number, raft: RaftSidecarHeader): Segment {
    const paths = segmentPaths(dir, baseOffset);
    const fs = storageFs();
    for (const p of [paths.index, paths.timeIndex]) if (fs.exists(p)) fs.unlink(p);
    createRaftSidecar(paths.raft, dir, raft);
    const fd = fs.open(paths.log, 'wx+');
    const segment = new Segment(dir, baseOffset, fd);
    segment.firstRaftIndex = raft.firstRaftIndex;
    segment.prevTerm = raft.prevTerm;
    segment.segmentTerm = raft.term;
    segment.raftOnlyBefore = raft.raftOnlyBefore ?? 0;
    segment.recordedRaftOnlyBefore = segment.raftOnlyBefore;
    segment.sidecarEntries = Buffer.alloc(0);
    segment.sidecarRaftOnly = [];
    segment.logDirty = true;
    return segment;
  }

  /** Opens an existing segment file; nothing is loaded until loadTrusted or rebuild. */
  static openFile(dir: string, baseOffset: number): Segment {
    const fs = storageFs();
    const fd = fs.open(segmentPaths(dir, baseOffset).log, 'r+');
    const segment = new Segment(dir, baseOffset, fd);
    segment.sizeBytes = fs.size(fd);
    const sidecar = readRaftSidecar(segment.paths.raft);
    if (typeof sidecar === 'string') {
      segment.sidecarProblem = sidecar;
    } else {
      segment.firstRaftIndex = sidecar.header.firstRaftIndex;
      segment.prevTerm = sidecar.header.prevTerm;
      segment.segmentTerm = sidecar.header.term;
      segment.recordedRaftOnlyBefore = sidecar.header.raftOnlyBefore;
      segment.raftOnlyBefore = sidecar.header.raftOnlyBefore ?? 0;
      segment.sidecarEntries = sidecar.entries;
      segment.sidecarHeaderBytes = sidecar.headerBytes;
      segment.sidecarRaftOnly = sidecar.raftOnly;
    }
    return segment;
  }

  /**
   * Rewrites the sidecar header with a place derived from the previous segment (the
   * header was missing or disagreed with it). Only before the segment is loaded.
   */
  replaceRaftPlacement(raft: RaftSidecarHeader): void {
    invariant(this.batchCount === 0 && this.terms.length === 0, 'the raft placement is fixed before loading');
    createRaftSidecar(this.paths.raft, this.dir, raft);
    this.firstRaftIndex = raft.firstRaftIndex;
    this.prevTerm = raft.prevTerm;
    this.segmentTerm = raft.term;
    this.raftOnlyBefore = raft.raftOnlyBefore ?? 0;
    this.recordedRaftOnlyBefore = this.raftOnlyBefore;
    this.sidecarProblem = null;
    this.sidecarHeaderBytes = RAFT_SIDECAR_HEADER_BYTES;
    // The entries part is gone with the old file: loadTrusted will ask for a rebuild.
    this.sidecarEntries = null;
    this.sidecarRaftOnly = null;
  }

  /**
   * Sets the Kafka offset translation base derived at open (the previous segment's base plus its
   * Raft-only batches; 0 for a first segment whose sidecar predates the field). A sidecar that
   * records another number, or none, is rewritten once the segment is loaded.
   */
  placeRaftOnly(raftOnlyBefore: number): void {
    this.raftOnlyBefore = raftOnlyBefore;
    if (this.recordedRaftOnlyBefore !== raftOnlyBefore) this.sidecarStale = true;
  }

  /** Rewrites the whole sidecar (atomically: a new file renamed over it) when open found it stale. */
  rewriteSidecarIfStale(): void {
    if (!this.sidecarStale) return;
    // The entries must match the .index on disk; none (after a replaced header) makes the next
    // open rebuild them, as it would have anyway.
    const entries = this.sidecarEntries ?? Buffer.alloc(0);
    createRaftSidecar(this.paths.raft, this.dir, this.sidecarHeader(), Buffer.concat([entries, this.raftOnlyTrailer()]));
    this.recordedRaftOnlyBefore = this.raftOnlyBefore;
    this.sidecarHeaderBytes = RAFT_SIDECAR_HEADER_BYTES;
    this.sidecarEntries = entries;
    this.sidecarRaftOnly = this.raftOnly.map((o) => o - this.baseOffset);
    this.sidecarStale = false;
  }

  /** The sidecar header memory holds (what a rewrite records). */
  private sidecarHeader(): RaftSidecarHeader {
    return { firstRaftIndex: this.firstRaftIndex, prevTerm: this.prevTerm, term: this.segmentTerm, raftOnlyBefore: this.raftOnlyBefore };
  }

  private raftOnlyTrailer(): Buffer {
    return encodeRaftOnlyTrailer(this.raftOnly.map((o) => o - this.baseOffset));
  }

  /**
   * The Raft-only batches below `offset` (the start of a tail about to be scanned, at file position
   * `position`): from the sidecar's trailer, or, when it has none, from a header walk (then the
   * sidecar is marked for a rewrite).
   */
  private raftOnlyBelow(offset: number, position: number): number[] {
    if (this.sidecarRaftOnly !== null) {
      const below: number[] = [];
      for (const rel of this.sidecarRaftOnly) if (this.baseOffset + rel < offset) below.push(this.baseOffset + rel);
      return below;
    }
    this.sidecarStale = true;
    const found: number[] = [];
    if (position === 0) return found;
    scanBatches(
      { fd: this.fd, fileSizeBytes: position, fromPosition: 0, expectedBaseOffset: this.baseOffset, verifyCrc: false, chunkBytes: HEADER_WALK_CHUNK_BYTES },
      (b) => {
        if (b.raftOnly) found.push(b.baseOffset);
      },
    );
    return found;
  }

  /**
   * Gives an empty segment the term of the batch about to be its first: the sidecar is replaced
   * durably before that batch is written, so open can check the batch's term (outside its CRC)
   * against it. An empty segment is made without its term after a reset (InstallSnapshot), for a
   * new log and by retention, and keeps an old one after a crash between a roll and its batch.
   */
  takeTerm(term: number): void {
    invariant(this.isEmpty && this.batchCount === 0, () => `only an empty segment takes a term (${this.paths.log})`);
    createRaftSidecar(this.paths.raft, this.dir, { firstRaftIndex: this.firstRaftIndex, prevTerm: this.prevTerm, term, raftOnlyBefore: this.raftOnlyBefore });
    this.segmentTerm = term;
    this.sidecarHeaderBytes = RAFT_SIDECAR_HEADER_BYTES;
    this.sidecarEntries = Buffer.alloc(0);
    this.sidecarRaftOnly = [];
    this.recordedRaftOnlyBefore = this.raftOnlyBefore;
  }

  /** Raft index of the last batch; firstRaftIndex - 1 when empty. */
  get lastRaftIndex(): number {
    return this.firstRaftIndex + this.batchCount - 1;
  }

  /** Term of the batch with Raft index i (in this segment), else undefined. */
  termAtRaftIndex(i: number): number | undefined {
    if (i < this.firstRaftIndex || i > this.lastRaftIndex) return undefined;
    for (let k = this.terms.length - 1; k >= 0; k--) if (this.terms[k].startRaftIndex <= i) return this.terms[k].term;
    return undefined;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  get lastTerm(): number | undefined {
    return this.terms.length === 0 ? undefined : this.terms[this.terms.length - 1].term;
  }

  termAt(offset: number): number | undefined {
    if (offset < this.baseOffset || offset >= this.nextOffset) return undefined;
    for (let i = this.terms.length - 1; i >= 0; i--) if (this.terms[i].startOffset <= offset) return this.terms[i].term;
    return undefined;
  }

  /** True when a batch ending at lastOffset still fits the uint32 relative offsets. */
  fitsRelativeOffset(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= RELATIVE_OFFSET_MAX;
  }

  /** Writes one batch (already stamped with its offsets and term) at the end. */
  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number, term: number, indexIntervalBytes: number): void {
    invariant(baseOffset === this.nextOffset, () => `append at ${baseOffset} follows ${this.nextOffset}`);
    invariant(this.fitsRelativeOffset(lastOffset), 'relative offset fits uint32');
    const position = this.sizeBytes;
    const fs = storageFs();
    let written = 0;
    // writeSync on a regular file writes everything or throws; the bound is the batch size.
    while (written < batch.length) {
      written += fs.write(this.fd, batch, written, batch.length - written, position + written);
    }
    this.sizeBytes += batch.length;
    this.logDirty = true;
    this.noteBatch({ position, sizeBytes: batch.length, baseOffset, lastOffset, term, maxTimestamp, raftOnly: isRaftOnlyBatch(batch) }, indexIntervalBytes);
  }

  /** Updates offsets, terms, timestamps and the sparse indexes for a batch now in the file. */
  private noteBatch(b: ScannedBatch, indexIntervalBytes: number): void {
    if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
    const raftIndex = this.firstRaftIndex + this.batchCount;
    if (this.terms.length === 0 || this.terms[this.terms.length - 1].term !== b.term) {
      invariant(this.terms.length === 0 || b.term > this.terms[this.terms.length - 1].term, () => `term ${b.term} does not go back`);
      this.terms.push({ term: b.term, startOffset: b.baseOffset, startRaftIndex: raftIndex });
    }
    // As in Kafka, a batch is indexed once indexIntervalBytes have passed since the last
    // entry; the first batch needs no entry because lookups fall back to position 0.
    if (this.bytesSinceIndexEntry >= indexIntervalBytes) {
      const rel = b.baseOffset - this.baseOffset;
      this.offsetIndex.append(rel, b.position, this.batchCount);
      this.timeIndex.maybeAppend(this.maxTimestamp, rel);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += b.sizeBytes;
    if (b.raftOnly) this.raftOnly.push(b.baseOffset);
    this.nextOffset = b.lastOffset + 1;
    this.batchCount++;
  }

  private resetState(): void {
    this.batchCount = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.terms = [];
    this.raftOnly = [];
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
  }

  /**
   * Rebuilds every in-memory structure by scanning the whole file. With verifyCrc the
   * scan is recovery: the result says where the good data ends; the caller truncates.
   */
  rebuild(verifyCrc: boolean, indexIntervalBytes: number, termMax = Infinity): RebuildResult {
    this.resetState();
    let termProblem: string | null = null;
    let aboveTermMax = false;
    const result = scanBatches({ fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition: 0, expectedBaseOffset: this.baseOffset, verifyCrc }, (b) => {
      termProblem = this.nextTermProblem(b.term, termMax);
      if (termProblem === null) {
        this.noteBatch(b, indexIntervalBytes);
        return true;
      }
      // A segment whose CRC-covered term is above the stored one holds nothing acknowledged,
      // whatever its batch headers say.
      aboveTermMax = (this.segmentTerm !== undefined && this.segmentTerm > termMax) || this.nextTermProblem(b.term, Infinity) === null;
      return false;
    });
    return termProblem === null ? { ...result, aboveTermMax } : { ...result, problem: termProblem, aboveTermMax };
  }

  /**
   * Why a batch of `term` cannot come next in this segment, or null. The term (the batch's
   * partitionLeaderEpoch) is outside the batch CRC-32C, so these ranges are what catches a
   * flipped bit there (chaos bug B10): terms never go down along a log and start at the
   * sidecar's CRC-covered prevTerm (Raft §5.3), a segment holds one term (the log rolls on a
   * term change), and no entry's term is above the replica's durable current term.
   */
  nextTermProblem(term: number, termMax: number): string | null {
    const last = this.lastTerm;
    if (last === undefined && term < this.prevTerm) return `term ${term} below the term ${this.prevTerm} before the segment`;
    if (last !== undefined && term !== last) return `term ${term} in a segment of term ${last}`;
    if (this.segmentTerm !== undefined && term !== this.segmentTerm) return `term ${term} in a segment whose sidecar says term ${this.segmentTerm}`;
    if (term > termMax) return `term ${term} above the stored current term ${termMax}`;
    return null;
  }

  /**
   * The batch after the one at `position` (whose length field is believed) when it is whole and
   * CRC-valid, or null. A torn tail has nothing valid after its first bad batch; a bad batch with
   * valid data after it is damage (chaos bug B7).
   */
  validBatchAfter(position: number): { term: number } | null {
    if (position + BATCH_HEADER_BYTES > this.sizeBytes) return null;
    const window = new FileWindow(this.fd, this.sizeBytes, HEADER_WALK_CHUNK_BYTES);
    const bad = window.get(position, BATCH_HEADER_BYTES);
    const next = position + LOG_OVERHEAD_BYTES + bad.buf.readInt32BE(bad.at + BATCH_LENGTH_OFFSET);
    if (next <= position || next + BATCH_HEADER_BYTES > this.sizeBytes) return null;
    const header = window.get(next, BATCH_HEADER_BYTES);
    if (header.buf[header.at + MAGIC_OFFSET] !== CURRENT_MAGIC) return null;
    const sizeBytes = LOG_OVERHEAD_BYTES + header.buf.readInt32BE(header.at + BATCH_LENGTH_OFFSET);
    const term = header.buf.readInt32BE(header.at + PARTITION_LEADER_EPOCH_OFFSET);
    if (sizeBytes < BATCH_HEADER_BYTES || next + sizeBytes > this.sizeBytes) return null;
    const whole = window.get(next, sizeBytes);
    return batchCrcIsValid(whole.buf, whole.at, sizeBytes) ? { term } : null;
  }

  /**
   * Whether the bad batch at `position` is all there: its declared length ends inside the file,
   * or the bytes to the end of the file pass the batch CRC (only the length field was changed).
   * Appends only extend a file, and a journaling file system in ordered mode (ext4's default,
   * XFS) never shows a size whose data did not reach the disk, so a power loss leaves a batch cut
   * short by the end of the file, never a whole batch with other bytes in it: a whole bad batch is
   * damage. (A file system that can show stale data under a grown size makes a torn write look
   * like damage: the replica repairs as a new member, which costs time, never data.)
   */
  badBatchIsWhole(position: number): boolean {
    const rest = this.sizeBytes - position;
    if (rest < BATCH_HEADER_BYTES) return false;
    const window = new FileWindow(this.fd, this.sizeBytes, HEADER_WALK_CHUNK_BYTES);
    const head = window.get(position, BATCH_HEADER_BYTES);
    const declared = LOG_OVERHEAD_BYTES + head.buf.readInt32BE(head.at + BATCH_LENGTH_OFFSET);
    if (declared >= BATCH_HEADER_BYTES && declared <= rest) return true;
    const tail = window.get(position, rest);
    return batchCrcIsValid(tail.buf, tail.at, rest);
  }

  /**
   * Loads the index files and the tail after their last entry, trusting the log body.
   * Returns null when done, or why the files cannot be trusted (then call rebuild).
   */
  loadTrusted(): string | null {
    this.resetState();
    if (this.sizeBytes === 0) return null;
    const fs = storageFs();
    if (!fs.exists(this.paths.index) || !fs.exists(this.paths.timeIndex)) return 'index files missing';
    if (this.sidecarEntries === null) return 'raft index entries missing';
    const offsetIndex = OffsetIndex.fromBuffer(fs.readFile(this.paths.index), this.sidecarEntries, this.sizeBytes);
    if (typeof offsetIndex === 'string') return `offset index: ${offsetIndex}`;
    const timeIndex = TimeIndex.fromBuffer(fs.readFile(this.paths.timeIndex), offsetIndex);
    if (typeof timeIndex === 'string') return `time index: ${timeIndex}`;
    // A file cut below one batch header (chaos bug B3): not trusted, so the caller's rebuild
    // reports it as damage at this file's position 0.
    if (this.sizeBytes < BATCH_HEADER_BYTES) return `file of ${this.sizeBytes} bytes is shorter than one batch header`;
    const first = this.headerAt(0);
    if (first.baseOffset !== this.baseOffset) return `first batch has offset ${first.baseOffset}`;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.terms = [{ term: first.term, startOffset: this.baseOffset, startRaftIndex: this.firstRaftIndex }];
    this.maxTimestamp = timeIndex.lastTimestamp;
    const problem = this.scanTail(null);
    if (problem !== null) return problem;
    if (this.terms.length !== 1) return 'several terms in one segment';
    return null;
  }

  /**
   * Scans from the last index entry to the end of the file, completing nextOffset,
   * maxTimestamp, terms, the batch count and the index counter. Returns why it failed, or null.
   */
  private scanTail(earlierRaftOnly: readonly number[] | null): string | null {
    const n = this.offsetIndex.count;
    const fromPosition = n === 0 ? 0 : this.offsetIndex.positionAt(n - 1);
    const expectedBaseOffset = n === 0 ? this.baseOffset : this.baseOffset + this.offsetIndex.relativeOffsetAt(n - 1);
    let batchNumber = n === 0 ? 0 : this.offsetIndex.relativeRaftIndexAt(n - 1);
    let lastOffset = expectedBaseOffset - 1;
    // The Raft-only batches before the tail (memory's, or the sidecar's at open); the tail adds its own.
    this.raftOnly = earlierRaftOnly === null ? this.raftOnlyBelow(expectedBaseOffset, fromPosition) : earlierRaftOnly.filter((o) => o < expectedBaseOffset);
    const result = scanBatches(
      { fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition, expectedBaseOffset, verifyCrc: false, chunkBytes: HEADER_WALK_CHUNK_BYTES },
      (b) => {
        if (b.maxTimestamp > this.maxTimestamp) this.maxTimestamp = b.maxTimestamp;
        const last = this.terms[this.terms.length - 1];
        if (last === undefined || last.term !== b.term) {
          this.terms.push({ term: b.term, startOffset: b.baseOffset, startRaftIndex: this.firstRaftIndex + batchNumber });
        }
        if (b.raftOnly) this.raftOnly.push(b.baseOffset);
        lastOffset = b.lastOffset;
        batchNumber++;
      },
    );
    if (result.problem !== null) return `tail at ${result.endPosition}: ${result.problem}`;
    this.batchCount = batchNumber;
    this.nextOffset = lastOffset + 1;
    this.bytesSinceIndexEntry = this.sizeBytes - fromPosition;
    return null;
  }

  /**
   * Loads a segment whose bytes below `syncedOffset` (a batch boundary) were synced but which was
   * being written when the process died (docs/storage.md, "Recovery"). The index entries below
   * that offset come from the index files (`counts` of them, as the checkpoint recorded; they were
   * fsynced before it), the batch headers after the last of them are walked up to `syncedOffset`
   * without a CRC check, as for a sealed segment, and every batch from there on is CRC-checked as
   * in rebuild. Index files that do not check out cost a header walk from the start, never data.
   */
  recoverAbove(syncedOffset: number, counts: RecoveryIndexCounts, indexIntervalBytes: number): RecoverAboveResult {
    this.resetState();
    const indexesLoaded = this.loadIndexesBelow(counts);
    const n = this.offsetIndex.count;
    const fromPosition = n === 0 ? 0 : this.offsetIndex.positionAt(n - 1);
    if (n > 0) {
      this.nextOffset = this.baseOffset + this.offsetIndex.relativeOffsetAt(n - 1);
      this.batchCount = this.offsetIndex.relativeRaftIndexAt(n - 1);
      this.maxTimestamp = this.timeIndex.lastTimestamp;
      this.terms = [{ term: this.headerAt(0).term, startOffset: this.baseOffset, startRaftIndex: this.firstRaftIndex }];
      this.raftOnly = this.raftOnlyBelow(this.nextOffset, fromPosition);
    }
    // bytesSinceIndexEntry stays 0: the last entry's own batch is noted again and gets no second entry.
    let termProblem: string | null = null;
    const note = (b: ScannedBatch): boolean => {
      const last = this.lastTerm;
      if (last !== undefined && b.term < last) {
        termProblem = `term ${b.term} after term ${last}`;
        return false;
      }
      this.noteBatch(b, indexIntervalBytes);
      return true;
    };
    const withTerm = (r: ScanResult, checkedFrom: number): RecoverAboveResult => ({ ...r, problem: termProblem ?? r.problem, checkedFrom, indexesLoaded });
    const walk = scanBatches(
      { fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition, expectedBaseOffset: this.nextOffset, verifyCrc: false, chunkBytes: HEADER_WALK_CHUNK_BYTES },
      (b) => b.lastOffset < syncedOffset && note(b),
    );
    if (walk.problem !== null || termProblem !== null) return withTerm(walk, walk.endPosition);
    const rest = scanBatches(
      { fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition: walk.endPosition, expectedBaseOffset: walk.nextOffset, verifyCrc: true },
      note,
    );
    return withTerm(rest, walk.endPosition);
  }

  /** Takes exactly `counts` entries from the index files; false (indexes left empty) when they do not check out. */
  private loadIndexesBelow(counts: RecoveryIndexCounts): boolean {
    if (counts.offset === 0) return true;
    const fs = storageFs();
    if (this.sidecarEntries === null || !fs.exists(this.paths.index) || !fs.exists(this.paths.timeIndex)) return false;
    const offsetBytes = fs.readFile(this.paths.index);
    const timeBytes = fs.readFile(this.paths.timeIndex);
    const raftBytes = this.sidecarEntries;
    const offsetLength = counts.offset * OFFSET_INDEX_ENTRY_BYTES;
    const timeLength = counts.time * TIME_INDEX_ENTRY_BYTES;
    const raftLength = counts.offset * RAFT_INDEX_ENTRY_BYTES;
    // Later rewrites only extend what the checkpoint counted; shorter files were cut by a crash.
    if (offsetBytes.length < offsetLength || timeBytes.length < timeLength || raftBytes.length < raftLength) return false;
    const offsetIndex = OffsetIndex.fromBuffer(offsetBytes.subarray(0, offsetLength), raftBytes.subarray(0, raftLength), this.sizeBytes);
    if (typeof offsetIndex === 'string') return false;
    const timeIndex = TimeIndex.fromBuffer(timeBytes.subarray(0, timeLength), offsetIndex);
    if (typeof timeIndex === 'string') return false;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    return true;
  }

  /** The index entries for batches below `offset` (what a checkpoint with that recovery point records). */
  indexCountsBelow(offset: number): RecoveryIndexCounts {
    const last = this.offsetIndex.floor(offset - this.baseOffset - 1);
    if (last < 0) return { offset: 0, time: 0 };
    return { offset: last + 1, time: this.timeIndex.countUpTo(this.offsetIndex.relativeOffsetAt(last)) };
  }

  /**
   * CRC-checks batches from `position` (a batch boundary holding `offset`) towards `endPosition`,
   * about `maxBytes` of them: one step of the scrub of bytes that open trusted without a check.
   */
  verifyStep(position: number, offset: number, endPosition: number, maxBytes: number, oneTerm = false): ScanResult {
    const limit = Math.min(endPosition, this.sizeBytes);
    let termProblem: ScanResult | null = null;
    const result = scanBatches({ fd: this.fd, fileSizeBytes: limit, fromPosition: position, expectedBaseOffset: offset, verifyCrc: true }, (b) => {
      if (b.position >= position + maxBytes) return false;
      const problem = oneTerm ? this.termProblem(b.term) : null;
      if (problem !== null) termProblem = { endPosition: b.position, nextOffset: b.baseOffset, problem };
      return problem === null;
    });
    return termProblem ?? result;
  }

  /**
   * Why a batch of term `term` cannot belong to this segment of a Raft log, or null. The batch
   * term (partitionLeaderEpoch) is outside the CRC; a log rolls its segment at every new term, so
   * every batch of a sealed segment has the one term, and it is not below the previous entry's.
   */
  termProblem(term: number): string | null {
    const own = this.terms.length === 1 ? this.terms[0].term : undefined;
    if (own !== term) return `batch term ${term} in a segment of ${this.terms.length === 1 ? `term ${own}` : `${this.terms.length} terms`}`;
    if (this.segmentTerm !== undefined && term !== this.segmentTerm) return `batch term ${term} in a segment whose sidecar says term ${this.segmentTerm}`;
    if (term < this.prevTerm) return `batch term ${term} below the previous entry's term ${this.prevTerm}`;
    return null;
  }

  private headerAt(position: number): { baseOffset: number; term: number } {
    const buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
    try {
      readFully(this.fd, buf, 0, BATCH_HEADER_BYTES, position);
    } catch (err) {
      // Whoever reads the error must learn which file it is about.
      throw new LogCorruptionError(this.paths.log, (err as Error).message);
    }
    return { baseOffset: buf.readInt32BE(0) * 4294967296 + buf.readUInt32BE(4), term: buf.readInt32BE(12) };
  }

  /**
   * Ends the segment at `position` in memory only, after a rebuild that stopped there at
   * damage: reads stop before it, and the file keeps every byte (the log is read-only).
   */
  limitTo(position: number): void {
    invariant(position >= 0 && position <= this.sizeBytes, () => `limit ${position} within ${this.sizeBytes}`);
    this.sizeBytes = position;
  }

  /** Cuts the file at `position` (a batch boundary) and fixes the in-memory state. */
  truncateToPosition(position: number): void {
    invariant(position >= 0 && position <= this.sizeBytes, () => `truncation position ${position} within ${this.sizeBytes}`);
    storageFs().truncate(this.fd, position);
    this.logDirty = true;
    this.forgetFrom(position);
  }

  /**
   * Ends the segment at `position` (a batch boundary) in memory: offsets, indexes, terms and
   * timestamps as if the file ended there. The file keeps its bytes (truncateToPosition cuts them).
   */
  forgetFrom(position: number): void {
    invariant(position >= 0 && position <= this.sizeBytes, () => `position ${position} within ${this.sizeBytes}`);
    this.sizeBytes = position;
    this.uncheckedEnd = Math.min(this.uncheckedEnd, position);
    this.offsetIndex.truncateToPosition(position);
    const n = this.offsetIndex.count;
    this.timeIndex.truncateToRelativeOffset(n === 0 ? 0 : this.offsetIndex.relativeOffsetAt(n - 1) + 1);
    if (position === 0) {
      this.resetState();
      return;
    }
    const terms = this.terms;
    this.maxTimestamp = this.timeIndex.lastTimestamp;
    this.terms = [terms[0]];
    const problem = this.scanTail(this.raftOnly);
    invariant(problem === null, () => `segment ${this.paths.log} reads back after truncation (${problem})`);
    // The tail scan only sees terms after the last index entry; keep the earlier ones.
    const kept = terms.filter((t) => t.startOffset < this.nextOffset);
    this.terms = kept;
  }

  /** Position of the first batch whose last offset is >= offset, or sizeBytes if none. */
  positionOf(offset: number): { position: number; baseOffset: number } {
    const start = this.indexFloor(offset);
    let found = { position: this.sizeBytes, baseOffset: this.nextOffset };
    scanBatches(
      {
        fd: this.fd,
        fileSizeBytes: this.sizeBytes,
        fromPosition: start.position,
        expectedBaseOffset: start.baseOffset,
        verifyCrc: false,
        chunkBytes: READ_CHUNK_BYTES_MIN,
      },
      (b) => {
        if (b.lastOffset < offset) return true;
        found = { position: b.position, baseOffset: b.baseOffset };
        return false;
      },
    );
    return found;
  }

  /** Where to start scanning for the batch with Raft index i: an index entry at or before it. */
  private raftFloor(i: number): { position: number; baseOffset: number; raftIndex: number } {
    const k = this.offsetIndex.floorRaft(i - this.firstRaftIndex);
    if (k < 0) return { position: 0, baseOffset: this.baseOffset, raftIndex: this.firstRaftIndex };
    return {
      position: this.offsetIndex.positionAt(k),
      baseOffset: this.baseOffset + this.offsetIndex.relativeOffsetAt(k),
      raftIndex: this.firstRaftIndex + this.offsetIndex.relativeRaftIndexAt(k),
    };
  }

  /** Raft index of the batch holding `offset` (which must be in this segment). */
  raftIndexOf(offset: number): number {
    invariant(offset >= this.baseOffset && offset < this.nextOffset, () => `offset ${offset} in segment ${this.paths.log}`);
    const start = this.indexFloor(offset);
    const k = this.offsetIndex.floor(offset - this.baseOffset);
    let raftIndex = k < 0 ? this.firstRaftIndex : this.firstRaftIndex + this.offsetIndex.relativeRaftIndexAt(k);
    let found = -1;
    scanBatches(
      {
        fd: this.fd,
        fileSizeBytes: this.sizeBytes,
        fromPosition: start.position,
        expectedBaseOffset: start.baseOffset,
        verifyCrc: false,
        chunkBytes: READ_CHUNK_BYTES_MIN,
      },
      (b) => {
        if (b.lastOffset < offset) {
          raftIndex++;
          return true;
        }
        found = raftIndex;
        return false;
      },
    );
    invariant(found >= 0, () => `offset ${offset} found in ${this.paths.log}`);
    return found;
  }

  /**
   * Batches with Raft indexes [lo, hi) of this segment, in order, stopping before a batch
   * that would take the total above maxBytes (the first one is always returned when
   * includeOversizedFirst). The bytes are views into buffers read for this call only.
   */
  readRaft(lo: number, hi: number, maxBytes: number, includeOversizedFirst: boolean): SegmentBatch[] {
    invariant(lo >= this.firstRaftIndex && hi <= this.lastRaftIndex + 1 && lo <= hi, () => `raft range [${lo}, ${hi}) in ${this.paths.log}`);
    const out: SegmentBatch[] = [];
    if (lo === hi) return out;
    const start = this.raftFloor(lo);
    const chunkBytes = Math.min(Math.max(maxBytes, READ_CHUNK_BYTES_MIN), READ_CHUNK_BYTES_MAX);
    const window = new FileWindow(this.fd, this.sizeBytes, chunkBytes);
    let raftIndex = start.raftIndex;
    let total = 0;
    const scan = scanBatches(
      { fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition: start.position, expectedBaseOffset: start.baseOffset, verifyCrc: false, window },
      (b) => {
        const i = raftIndex++;
        if (i < lo) return true;
        if (i >= hi) return false;
        if (total + b.sizeBytes > maxBytes && !(out.length === 0 && includeOversizedFirst)) return false;
        total += b.sizeBytes;
        const { buf, at } = window.get(b.position, b.sizeBytes);
        // The term the segment knows (its batches' one term, checked at open against the CRC-covered
        // sidecars), not the header's: a trusted segment's middle headers are not read at open, and
        // a flipped bit there (outside the batch CRC) must not reach a follower (chaos bug B10). The
        // header's stays beside it for the check of reads from segments not yet scrubbed (B6).
        out.push({
          raftIndex: i,
          term: this.termAtRaftIndex(i) ?? b.term,
          headerTerm: b.term,
          baseOffset: b.baseOffset,
          lastOffset: b.lastOffset,
          position: b.position,
          batch: buf.subarray(at, at + b.sizeBytes),
        });
        return true;
      },
    );
    invariant(scan.problem === null, () => `${this.paths.log} reads cleanly (${scan.problem})`);
    return out;
  }

  /** Base offset and position of the batch with Raft index i (in this segment). */
  locateRaft(i: number): { position: number; baseOffset: number; lastOffset: number } {
    invariant(i >= this.firstRaftIndex && i <= this.lastRaftIndex, () => `raft index ${i} in ${this.paths.log}`);
    const start = this.raftFloor(i);
    let raftIndex = start.raftIndex;
    let found: { position: number; baseOffset: number; lastOffset: number } | null = null;
    scanBatches(
      {
        fd: this.fd,
        fileSizeBytes: this.sizeBytes,
        fromPosition: start.position,
        expectedBaseOffset: start.baseOffset,
        verifyCrc: false,
        chunkBytes: READ_CHUNK_BYTES_MIN,
      },
      (b) => {
        if (raftIndex++ < i) return true;
        found = { position: b.position, baseOffset: b.baseOffset, lastOffset: b.lastOffset };
        return false;
      },
    );
    invariant(found !== null, () => `raft index ${i} found in ${this.paths.log}`);
    return found;
  }

  private indexFloor(offset: number): { position: number; baseOffset: number } {
    const i = this.offsetIndex.floor(offset - this.baseOffset);
    if (i < 0) return { position: 0, baseOffset: this.baseOffset };
    return { position: this.offsetIndex.positionAt(i), baseOffset: this.baseOffset + this.offsetIndex.relativeOffsetAt(i) };
  }

  /**
   * Whole batches from the one containing `offset`, stopping before a batch that reaches
   * maxOffsetExclusive or that would take the total above maxBytes. With
   * includeOversizedFirst the first batch is returned even when larger than maxBytes.
   */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number, includeOversizedFirst: boolean): SegmentRead {
    const chunkBytes = Math.min(Math.max(maxBytes, READ_CHUNK_BYTES_MIN), READ_CHUNK_BYTES_MAX);
    const window = new FileWindow(this.fd, this.sizeBytes, chunkBytes);
    let first = -1;
    let end = -1;
    let nextOffset = offset;
    let reachedEnd = true;
    this.scanFrom(offset, window, (b) => {
      if (b.lastOffset >= maxOffsetExclusive) {
        reachedEnd = false;
        return false;
      }
      const total = first < 0 ? b.sizeBytes : b.position + b.sizeBytes - first;
      if (total > maxBytes && !(first < 0 && includeOversizedFirst)) {
        reachedEnd = false;
        return false;
      }
      if (first < 0) first = b.position;
      end = b.position + b.sizeBytes;
      nextOffset = b.lastOffset + 1;
      return true;
    });
    if (first < 0) return { records: EMPTY, nextOffset: offset, reachedEnd };
    const { buf, at } = window.get(first, end - first);
    return { records: buf.subarray(at, at + end - first), nextOffset, reachedEnd };
  }

  /**
   * The headers of the batches from the one containing `offset`, stopping before a batch that
   * reaches maxOffsetExclusive or once maxBytes have been read (after at least one header): what
   * state replayed from the log needs (producer ids and sequences), read through a small window
   * so the records of large batches are skipped.
   */
  readHeaders(offset: number, maxBytes: number, maxOffsetExclusive: number): SegmentHeaderRead {
    const window = new FileWindow(this.fd, this.sizeBytes, HEADER_WALK_CHUNK_BYTES);
    const headers: BatchHeader[] = [];
    let nextOffset = offset;
    let reachedEnd = true;
    this.scanFrom(offset, window, (b) => {
      if (b.lastOffset >= maxOffsetExclusive || (headers.length > 0 && window.bytesRead >= maxBytes)) {
        reachedEnd = false;
        return false;
      }
      // The scan just read this header through the window, so this costs no read.
      const { buf, at } = window.get(b.position, BATCH_HEADER_BYTES);
      headers.push(readBatchHeader(buf, at));
      nextOffset = b.lastOffset + 1;
      return true;
    });
    return { headers, nextOffset, reachedEnd, bytesRead: window.bytesRead };
  }

  /**
   * Walks the batches from the one containing `offset` (found from the nearest index entry
   * before it) until `visit` returns false; the bytes must read cleanly (they did at open).
   */
  private scanFrom(offset: number, window: FileWindow, visit: (b: ScannedBatch) => boolean): void {
    const start = this.indexFloor(offset);
    const scan = scanBatches(
      { fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition: start.position, expectedBaseOffset: start.baseOffset, verifyCrc: false, window },
      (b) => b.lastOffset < offset || visit(b),
    );
    invariant(scan.problem === null, () => `${this.paths.log} reads cleanly (${scan.problem})`);
  }

  /** The first batch at or after minOffset whose maxTimestamp >= timestamp, via the time index. */
  findByTimestamp(timestamp: number, minOffset: number): { baseOffset: number; maxTimestamp: number } | null {
    if (this.maxTimestamp < timestamp || minOffset >= this.nextOffset) return null;
    let start = this.indexFloor(minOffset);
    const t = this.timeIndex.lastBefore(timestamp);
    if (t >= 0) {
      const rel = this.timeIndex.relativeOffsetAt(t);
      const i = this.offsetIndex.find(rel);
      invariant(i >= 0, 'time index entries name offset index entries');
      const position = this.offsetIndex.positionAt(i);
      if (position > start.position) start = { position, baseOffset: this.baseOffset + rel };
    }
    let found: { baseOffset: number; maxTimestamp: number } | null = null;
    scanBatches({ fd: this.fd, fileSizeBytes: this.sizeBytes, fromPosition: start.position, expectedBaseOffset: start.baseOffset, verifyCrc: false }, (b) => {
      if (b.lastOffset < minOffset || b.maxTimestamp < timestamp) return true;
      found = { baseOffset: b.baseOffset, maxTimestamp: b.maxTimestamp };
      return false;
    });
    return found;
  }

  /**
   * Writes the index files (and the sidecar's entries) from memory (sealing, clean close, after a
   * rebuild; and for a recovery point, whose writer fsyncs them itself: `syncWithLog` false).
   */
  writeIndexFiles(syncWithLog = true): void {
    const fs = storageFs();
    if (syncWithLog) {
      fs.writeFile(this.paths.index, this.offsetIndex.toBuffer());
      fs.writeFile(this.paths.timeIndex, this.timeIndex.toBuffer());
    } else {
      overwriteInPlace(this.paths.index, this.offsetIndex.toBuffer());
      overwriteInPlace(this.paths.timeIndex, this.timeIndex.toBuffer());
    }
    const raftEntries = this.offsetIndex.raftToBuffer();
    writeRaftSidecarEntries(this.paths.raft, this.sidecarHeaderBytes, Buffer.concat([raftEntries, this.raftOnlyTrailer()]));
    this.sidecarEntries = raftEntries;
    this.sidecarRaftOnly = this.raftOnly.map((o) => o - this.baseOffset);
    if (syncWithLog) this.indexFilesUnsynced = true;
  }

  close(): void {
    storageFs().close(this.fd);
  }

  /** Removes the four files; the fd must be closed (or handed to the caller) already. */
  deleteFiles(): void {
    // The .log goes first: a sidecar without a .log is removed at open, never the reverse.
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex, this.paths.raft]) {
      if (storageFs().exists(p)) storageFs().unlink(p);
    }
  }
}

/**
 * Writes `data` over the start of the file and cuts it to that length, without truncating it to
 * zero first: ext4 flushes a file that was truncated to zero and written again when it is closed
 * (auto_da_alloc), which made the recovery point's rewrite of the active index files (a longer
 * version of the same entries) a synchronous flush on the event loop.
 */
function overwriteInPlace(path: string, data: Buffer): void {
  const fs = storageFs();
  const fd = fs.open(path, fs.exists(path) ? 'r+' : 'w');
  try {
    let written = 0;
    // writeSync on a regular file writes everything or throws; data.length bounds it.
    while (written < data.length) written += fs.write(fd, data, written, data.length - written, written);
    if (fs.size(fd) !== data.length) fs.truncate(fd, data.length);
  } finally {
    fs.close(fd);
  }
}

// Recovery of a partition log's directory at open (docs/storage.md, "Recovery"): which
// segments load trusted, which are CRC-checked, where a torn tail is cut and where damage to
// synced data is reported instead. PartitionLog.open calls loadSegments; the log's running
// state (appends, syncs, the scrub) stays in partition-log.ts.

import { join } from 'node:path';
import { invariant } from '../base/invariant.ts';
import type { ScanResult } from './batch-scan.ts';
import type { Checkpoint, RecoveryIndexCounts } from './checkpoint.ts';
import { LogCorruptionError, type LogDamage } from './errors.ts';
import { TMP_SUFFIX, parseSegmentFile, segmentPaths } from './file-names.ts';
import { storageFs } from './fs.ts';
import type { LogConfig, LogLike } from './log-config.ts';
import type { ScrubQueue } from './scrub-queue.ts';
import { Segment } from './segment.ts';
import type { SyncedPoint } from './synced-mark.ts';

export interface OpenOptions {
  /** Raft logs: the stored commit index (see open). */
  syncedRaftIndex?: number;
  /** The queue for this log's scrub (default: the process's; the replica simulator runs its own). */
  scrubQueue?: ScrubQueue;
  /** Raft logs: the stored current term; no entry has a higher one (see Segment.nextTermProblem). */
  termMax?: number;
  /** Told the duration of each group-commit round's fsyncs (the broker's fsync latency metric). */
  onSync?: (seconds: number) => void;
}

/** What recovery of a Raft log knows of what was synced (docs/storage.md, "Recovery"). */
export interface RaftRecovery {
  syncedRaftIndex: number;
  termMax: number;
  mark: SyncedPoint | null;
  /** Recovery cut entries the mark covered (never acknowledged, see loadSegments): open lowers it. */
  markLowered?: boolean;
}

export interface LoadedSegments {
  segments: Segment[];
  /** Synced data found damaged, or null. */
  damage: LogDamage | null;
  /** With damage: the segments after the damaged one, left on disk unloaded. */
  unloadedBases: number[];
  /** Recovery changed something (a segment was recovered, segments after a gap deleted). */
  recovered: boolean;
  /** Synced bytes open trusted after a header walk, left to the scrub: [0, endPosition) of segment. */
  unverified: { segment: Segment; endPosition: number } | null;
  /** The checkpoint's recoveryIndex, when the index files held those entries; else null. */
  recoveryIndex: RecoveryIndexCounts | null;
  /** Files were removed from the directory (its fsync is still due). */
  dirChanged: boolean;
}

/**
 * Finds, checks and loads the segments of a directory. Segments that end at or below
 * the recovery point were synced with their indexes: their indexes are loaded (rebuilt
 * from the log when missing or damaged). Later segments are recovered: every batch is
 * CRC-checked and a torn tail is truncated, with everything after it. A problem below the
 * recovery point, or at a Raft entry at or below `syncedRaftIndex`, is not a torn tail, since
 * those bytes were synced: it is reported as damage and nothing is truncated or deleted
 * (docs/storage.md, "Recovery").
 */
export function loadSegments(
  dir: string,
  fileNames: string[],
  config: LogConfig,
  logger: LogLike,
  checkpoint: Checkpoint,
  raft: RaftRecovery | null,
): LoadedSegments {
  const checkAtOpen = raft !== null;
  const syncedRaftIndex = raft?.syncedRaftIndex ?? 0;
  const termMax = raft?.termMax ?? Infinity;
  let recovered = false;
  let unverified: LoadedSegments['unverified'] = null;
  let dirChanged = false;
  let recoveryIndex: RecoveryIndexCounts | null = null;
  const bases = new Set<number>();
  const indexFiles: { name: string; baseOffset: number }[] = [];
  for (const name of fileNames) {
    if (name.endsWith(TMP_SUFFIX)) {
      storageFs().unlink(join(dir, name));
      dirChanged = true;
      continue;
    }
    const parsed = parseSegmentFile(name);
    if (parsed === null) continue;
    if (parsed.kind === 'log') bases.add(parsed.baseOffset);
    else indexFiles.push({ name, baseOffset: parsed.baseOffset });
  }
  for (const f of indexFiles) {
    if (!bases.has(f.baseOffset)) {
      storageFs().unlink(join(dir, f.name));
      dirChanged = true;
    }
  }
  const sorted = [...bases].sort((a, b) => a - b);
  const segments: Segment[] = [];
  const syncedBelow = checkpoint.recoveryPoint;
  // Below this every byte was synced (the recovery point, or a Raft log's synced mark): a bad
  // batch there is damage, never a torn tail. Trust (no CRC check) still needs the recovery point.
  const damageBelow = Math.max(syncedBelow, raft?.mark?.offset ?? 0);
  /** Damage at segment i: keep what was loaded, leave every file (from i + 1 on unloaded) as it is. */
  const damaged = (i: number, damage: LogDamage): LoadedSegments => ({
    segments,
    damage,
    unloadedBases: sorted.slice(i + 1),
    recovered: true,
    unverified: null,
    recoveryIndex: null,
    dirChanged,
  });
  const verifyFrom = checkpoint.verifyFrom;
  for (let i = 0; i < sorted.length; i++) {
    const isLast = i === sorted.length - 1;
    const endOffset = isLast ? Infinity : sorted[i + 1];
    // A scrub found damage in this segment after an earlier open: check it whole, now.
    const verifyNow = verifyFrom !== undefined && sorted[i] <= verifyFrom && verifyFrom < endOffset;
    const trusted = !verifyNow && (checkpoint.cleanShutdown || endOffset <= syncedBelow);
    const segment = Segment.openFile(dir, sorted[i]);
    const previous = segments[segments.length - 1];
    if (previous !== undefined && segment.baseOffset !== previous.nextOffset) {
      segment.close();
      const detail = `segment starts at ${segment.baseOffset} but the previous one ends at ${previous.nextOffset}`;
      if (trusted || previous.nextOffset < damageBelow || previous.lastRaftIndex < syncedRaftIndex) {
        return damaged(i - 1, { path: segment.paths.log, position: 0, offset: previous.nextOffset, reason: detail });
      }
      logger.warn({ dir, detail }, 'dropping segments after a gap');
      deleteSegmentsFrom(dir, sorted.slice(i), logger);
      dirChanged = true;
      recovered = true;
      break;
    }
    const misplaced = placeInRaftIndexSpace(segment, previous, logger);
    if (misplaced !== null) {
      // The previous segment's last batch holds the term that disagrees: the damage is there.
      segment.close();
      const at = previous.positionOf(previous.nextOffset - 1);
      previous.forgetFrom(at.position);
      return damaged(i - 1, { path: previous.paths.log, position: at.position, offset: at.baseOffset, reason: misplaced });
    }
    placeRaftOnly(segment, previous, logger);
    let recover = !trusted;
    if (trusted) {
      const problem = segment.loadTrusted() ?? termOutOfRange(segment, termMax);
      if (problem !== null) {
        logger.warn({ path: segment.paths.index, reason: problem }, 'index rebuilt');
        if (isLast) {
          recover = true;
        } else {
          const scan = segment.rebuild(false, config.indexIntervalBytes, termMax);
          if (scan.problem !== null) {
            segment.limitTo(scan.endPosition);
            segments.push(segment);
            return damaged(i, { path: segment.paths.log, position: scan.endPosition, offset: scan.nextOffset, reason: scan.problem });
          }
          segment.writeIndexFiles();
        }
      }
    }
    if (recover) {
      recovered = true;
      let scan: ScanResult & { aboveTermMax?: boolean };
      if (!verifyNow && !checkAtOpen && syncedBelow > segment.baseOffset) {
        // The recovery point lies inside: only what lies above it is CRC-checked now.
        const above = segment.recoverAbove(syncedBelow, checkpoint.recoveryIndex ?? { offset: 0, time: 0 }, config.indexIntervalBytes);
        scan = above;
        if (above.indexesLoaded && checkpoint.recoveryIndex !== undefined) recoveryIndex = checkpoint.recoveryIndex;
        if (above.checkedFrom > 0) unverified = { segment, endPosition: above.checkedFrom };
      } else {
        // The scan checks each batch's term too (Segment.nextTermProblem): a term a scrub or a
        // read found out of place (B6) is found again here.
        scan = segment.rebuild(true, config.indexIntervalBytes, termMax);
      }
      // Entries of a term the replica's durable state does not reach were never acknowledged
      // (Raft persists the term before it answers): when nothing but such entries follows, they
      // go like a torn tail, even below the synced mark, unless the mark's own term says the
      // entry under it had a term the state does reach (then that term was flipped: B10).
      // Damage, not a torn tail: a bad batch with a valid one after it, or one that is all there
      // (Segment.badBatchIsWhole). Not for a term above the stored one alone: such entries were
      // never acknowledged, so a whole one is cut like a torn tail (below).
      const followed =
        scan.problem !== null &&
        checkAtOpen &&
        (followedByValidBatch(segment, scan, termMax) || (scan.aboveTermMax !== true && segment.badBatchIsWhole(scan.endPosition)));
      const unacknowledged =
        !verifyNow &&
        scan.aboveTermMax === true &&
        !followed &&
        segment.lastRaftIndex >= syncedRaftIndex &&
        !(raft?.mark != null && raft.mark.offset > scan.nextOffset && raft.mark.lastTerm <= termMax);
      if (scan.problem !== null && !unacknowledged && (scan.nextOffset < damageBelow || segment.lastRaftIndex < syncedRaftIndex || followed || verifyNow)) {
        // Below the recovery point or the synced mark (or at or below a Raft log's stored commit)
        // every byte was synced: a bad batch there is damage. So is one with a good batch after
        // it: a torn write leaves a prefix, never a hole. And so is what a scrub or a read found in
        // a segment an earlier open trusted (verifyNow): it was synced, whatever the marks say.
        segment.limitTo(scan.endPosition);
        segments.push(segment);
        return damaged(i, { path: segment.paths.log, position: scan.endPosition, offset: scan.nextOffset, reason: scan.problem });
      }
      if (scan.problem !== null && unacknowledged && raft?.mark != null && raft.mark.offset > scan.nextOffset) {
        raft.mark = { offset: scan.nextOffset, lastTerm: segment.lastTerm ?? segment.prevTerm };
        raft.markLowered = true;
      }
      if (scan.problem !== null) {
        const truncatedBytes = segment.sizeBytes - scan.endPosition;
        segment.truncateToPosition(scan.endPosition);
        logger.warn({ path: segment.paths.log, position: scan.endPosition, truncatedBytes, reason: scan.problem }, 'recovery truncated a torn tail');
      }
      // Whatever we recovered may still sit only in the page cache (the process died, the machine
      // did not): it must be durable before anything is built on it. A Raft log syncs it now; for
      // another log the first sync round does it off the event loop (open starts one), and until
      // it ends the log counts as durable only below the recovery point (PartitionLog.open).
      if (checkAtOpen) storageFs().fdatasyncSync(segment.fd);
      segment.logDirty = !checkAtOpen;
      if (!isLast) segment.writeIndexFiles();
      segments.push(segment);
      if (scan.problem !== null && !isLast) {
        deleteSegmentsFrom(dir, sorted.slice(i + 1), logger);
        dirChanged = true;
        break;
      }
      continue;
    }
    // Loaded trusted, headers and index only: a Raft log checks the CRCs later (its scrub, its reads).
    if (checkAtOpen) segment.uncheckedEnd = segment.sizeBytes;
    segments.push(segment);
  }
  // Remove an empty non-first tail left behind... only the last segment may be empty.
  for (let i = 0; i < segments.length - 1; i++) {
    invariant(!segments[i].isEmpty, () => `only the last segment may be empty (${segments[i].paths.log})`);
  }
  const markDamage = raft?.mark != null && segments.length > 0 ? checkSyncedMark(segments, raft.mark) : null;
  if (markDamage !== null) return damaged(markDamage.segment, markDamage.damage);
  // Sidecars written before the Raft-only count and trailer existed get them, once.
  for (const segment of segments) segment.rewriteSidecarIfStale();
  return { segments, damage: null, unloadedBases: [], recovered, unverified, recoveryIndex, dirChanged };
}

/** A trusted segment's term (read from its headers, not CRC-covered) outside its range, or null. */
function termOutOfRange(segment: Segment, termMax: number): string | null {
  const term = segment.lastTerm;
  if (term === undefined) return null;
  if (term < segment.prevTerm) return `term ${term} below the term ${segment.prevTerm} before the segment`;
  if (segment.segmentTerm !== undefined && term !== segment.segmentTerm) return `term ${term} in a segment whose sidecar says term ${segment.segmentTerm}`;
  return term > termMax ? `term ${term} above the stored current term ${termMax}` : null;
}

/** Whether a CRC-valid batch whose term fits where the bad one stood follows it (then the bad one is damage). */
function followedByValidBatch(segment: Segment, scan: ScanResult, termMax: number): boolean {
  const next = segment.validBatchAfter(scan.endPosition);
  return next !== null && segment.nextTermProblem(next.term, termMax) === null;
}

/**
 * Checks what the synced mark promises: the log reaches it, and the batch just below it has the
 * mark's term (CRC-covered there, unlike in the batch). Damage found ends the loaded segments
 * at it (the later ones are closed, their files kept); returns where, or null.
 */
function checkSyncedMark(segments: Segment[], mark: SyncedPoint): { segment: number; damage: LogDamage } | null {
  const last = segments[segments.length - 1];
  if (last.nextOffset < mark.offset) {
    return {
      segment: segments.length - 1,
      damage: {
        path: last.paths.log,
        position: last.sizeBytes,
        offset: last.nextOffset,
        reason: `the log ends at ${last.nextOffset}, below the synced mark ${mark.offset}`,
      },
    };
  }
  const below = mark.offset - 1;
  if (mark.lastTerm < 0 || below < segments[0].baseOffset) return null;
  let k = segments.length - 1;
  while (k > 0 && segments[k].baseOffset > below) k--;
  const segment = segments[k];
  const term = segment.termAt(below);
  if (term === mark.lastTerm) return null;
  const at = segment.positionOf(below);
  for (const later of segments.splice(k + 1)) later.close();
  segment.forgetFrom(at.position);
  return {
    segment: k,
    damage: { path: segment.paths.log, position: at.position, offset: at.baseOffset, reason: `term ${term}, the synced mark says ${mark.lastTerm}` },
  };
}

/**
 * Checks where a segment sits in the Raft index space. A segment after another one
 * starts right after it, so its sidecar header is redundant and is rewritten when it is
 * missing or disagrees. The first segment's header is the one number that cannot be
 * derived (retention deleted what came before), so losing it is corruption, except for
 * a log that still starts at offset 0, whose numbering starts at 1.
 */
function placeInRaftIndexSpace(segment: Segment, previous: Segment | undefined, logger: LogLike): string | null {
  if (previous === undefined) {
    if (segment.sidecarProblem === null) return null;
    if (segment.baseOffset !== 0) {
      segment.close();
      throw new LogCorruptionError(segment.paths.raft, `the first segment's Raft index is unreadable (${segment.sidecarProblem})`);
    }
    logger.warn({ path: segment.paths.raft, reason: segment.sidecarProblem }, 'raft sidecar rebuilt');
    segment.replaceRaftPlacement({ firstRaftIndex: 1, prevTerm: 0 });
    return null;
  }
  const expected = { firstRaftIndex: previous.lastRaftIndex + 1, prevTerm: previous.lastTerm ?? previous.prevTerm };
  if (segment.sidecarProblem === null && segment.firstRaftIndex === expected.firstRaftIndex) {
    // The header's prevTerm is CRC-covered; the previous segment's term, read from its batches, is
    // not: when they disagree, that term was damaged (chaos bug B10).
    if (segment.prevTerm === expected.prevTerm) return null;
    return `the sidecar says the term before is ${segment.prevTerm}, the previous segment ends with term ${expected.prevTerm}`;
  }
  logger.warn(
    { path: segment.paths.raft, reason: segment.sidecarProblem ?? `header says ${segment.firstRaftIndex}/${segment.prevTerm}`, ...expected },
    'raft sidecar rebuilt',
  );
  segment.replaceRaftPlacement(expected);
  return null;
}

/**
 * Sets a segment's Kafka offset translation base (offset-translator.ts): a later segment's follows
 * from the previous one (its base plus its Raft-only batches); the first segment's is what its
 * sidecar records. A first segment whose sidecar predates the field (version 1) counts from 0:
 * nothing before it is known, so Kafka offsets count from its Raft-only batches on.
 */
function placeRaftOnly(segment: Segment, previous: Segment | undefined, logger: LogLike): void {
  if (previous !== undefined) {
    segment.placeRaftOnly(previous.raftOnlyBefore + previous.raftOnly.length);
    return;
  }
  if (segment.recordedRaftOnlyBefore === undefined && segment.baseOffset > 0) {
    logger.warn({ path: segment.paths.raft }, 'raft sidecar without a Raft-only count: Kafka offsets count from this segment');
  }
  segment.placeRaftOnly(segment.recordedRaftOnlyBefore ?? 0);
}

function deleteSegmentsFrom(dir: string, bases: number[], logger: LogLike): void {
  deleteSegmentFiles(dir, bases);
  for (const base of bases) logger.warn({ path: segmentPaths(dir, base).log }, 'deleted segment after a truncated one');
}

/** Removes the files of segments that are not loaded (the .log first, as Segment.deleteFiles). */
export function deleteSegmentFiles(dir: string, bases: number[]): void {
  for (const base of bases) {
    const paths = segmentPaths(dir, base);
    for (const p of [paths.log, paths.index, paths.timeIndex, paths.raft]) storageFs().remove(p);
  }
}

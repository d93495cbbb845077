// The partition checkpoint: a tiny JSON file with the state that cannot be derived from
// the segments. Written atomically (temp file, fsync, rename, fsync of the directory),
// so a crash leaves either the old or the new version, never a torn one.
//
// {"version":1,"logStartOffset":N,"recoveryPoint":N,"lastTerm":N,"cleanShutdown":bool}
//   logStartOffset  DeleteRecords moves it inside a segment; retention moves it to a
//                   segment boundary (there it is also derivable from the file names).
//   recoveryPoint   every byte of the log below it was fdatasynced, and every segment that
//                   ends at or below it was synced with its index files, so recovery trusts
//                   those and scans only later segments (where a bad batch below it is damage,
//                   not a torn tail). A clean close sets it to the log end.
//   lastTerm        the term of the last batch ever appended, for an empty log.
//   cleanShutdown   close() finished: even the last segment's index files are current.
//   recoveryIndex   (when the recovery point lies inside a segment) how many .index and .timeindex
//                   entries of that segment lie below it; those files were written and fsynced
//                   before this checkpoint, so open loads exactly those entries instead of reading
//                   the log below the recovery point.
//   verifyFrom      (only after the background scrub found damage) open CRC-checks the segment
//                   holding this offset, so it finds the damage again before anything changes.

import { storageFs } from './fs.ts';
import { join } from 'node:path';
import { CHECKPOINT_FILE, TMP_SUFFIX } from './file-names.ts';
import type { LogLike } from './log-config.ts';

/** How many entries of a segment's .index and .timeindex lie below the recovery point. */
export interface RecoveryIndexCounts {
  offset: number;
  time: number;
}

export interface Checkpoint {
  logStartOffset: number;
  recoveryPoint: number;
  lastTerm: number;
  cleanShutdown: boolean;
  /** Index entries below a recovery point inside a segment (the files were fsynced first). */
  recoveryIndex?: RecoveryIndexCounts;
  /** Set when a scrub found damage: open CRC-checks the segment holding this offset. */
  verifyFrom?: number;
}

const VERSION = 1;

export function readCheckpoint(dir: string, logger: LogLike): Checkpoint | null {
  const path = join(dir, CHECKPOINT_FILE);
  const fs = storageFs();
  if (!fs.exists(path)) return null;
  try {
    const raw = JSON.parse(fs.readFile(path).toString('utf8')) as Record<string, unknown>;
    if (
      raw.version !== VERSION ||
      !int(raw.logStartOffset, 0) ||
      !int(raw.recoveryPoint, 0) ||
      !int(raw.lastTerm, -1) ||
      typeof raw.cleanShutdown !== 'boolean' ||
      (raw.verifyFrom !== undefined && !int(raw.verifyFrom, 0)) ||
      (raw.recoveryIndex !== undefined && !isIndexCounts(raw.recoveryIndex))
    ) {
      throw new Error('unexpected fields');
    }
    const checkpoint: Checkpoint = {
      logStartOffset: raw.logStartOffset as number,
      recoveryPoint: raw.recoveryPoint as number,
      lastTerm: raw.lastTerm as number,
      cleanShutdown: raw.cleanShutdown,
    };
    if (raw.verifyFrom !== undefined) checkpoint.verifyFrom = raw.verifyFrom as number;
    if (raw.recoveryIndex !== undefined) {
      const counts = raw.recoveryIndex as RecoveryIndexCounts;
      checkpoint.recoveryIndex = { offset: counts.offset, time: counts.time };
    }
    return checkpoint;
  } catch (err) {
    // Losing the checkpoint costs a full recovery scan, never data: that is the safe default.
    logger.warn({ path, err: String(err) }, 'unreadable partition checkpoint ignored; recovering every segment');
    return null;
  }
}

/** A safe integer at or above `min` (a module function: a closure per read costs a defineProperty under tsx). */
function int(v: unknown, min: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

function isIndexCounts(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const counts = v as Record<string, unknown>;
  return int(counts.offset, 0) && int(counts.time, 0) && (counts.time as number) <= (counts.offset as number);
}

function checkpointText(checkpoint: Checkpoint): string {
  return `${JSON.stringify({ version: VERSION, ...checkpoint })}\n`;
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  writeFileDurablySync(dir, CHECKPOINT_FILE, checkpointText(checkpoint));
}

/** Temp name of the asynchronous writer, apart from the synchronous one's (both are removed at open). */
const ASYNC_TMP = `${CHECKPOINT_FILE}.async${TMP_SUFFIX}`;

/**
 * Writes the checkpoint like writeCheckpoint, with the fsyncs off the event loop. `stillValid` is
 * asked right before the rename: a synchronous checkpoint write made meanwhile is newer, and this
 * one is then dropped. Resolves with whether it was renamed into place (and the directory synced).
 */
export async function writeCheckpointAsync(dir: string, checkpoint: Checkpoint, stillValid: () => boolean): Promise<boolean> {
  const fs = storageFs();
  const tmp = join(dir, ASYNC_TMP);
  const body = Buffer.from(checkpointText(checkpoint));
  const fd = fs.open(tmp, 'w');
  try {
    fs.write(fd, body, 0, body.length, 0);
    await fs.fsyncAsync(fd);
  } finally {
    fs.close(fd);
  }
  if (!stillValid()) {
    fs.remove(tmp);
    return false;
  }
  fs.rename(tmp, join(dir, CHECKPOINT_FILE));
  const dirFd = fs.open(dir, 'r');
  try {
    await fs.fsyncAsync(dirFd);
  } finally {
    fs.close(dirFd);
  }
  return true;
}

/** Replaces `dir/name` atomically and durably: temp file, fsync, rename, fsync of the directory. */
export function writeFileDurablySync(dir: string, name: string, text: string): void {
  const path = join(dir, name);
  const tmp = path + TMP_SUFFIX;
  const body = Buffer.from(text);
  const fs = storageFs();
  const fd = fs.open(tmp, 'w');
  try {
    fs.write(fd, body, 0, body.length, 0);
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(tmp, path);
  fs.fsyncDir(dir);
}

export function fsyncDirSync(dir: string): void {
  storageFs().fsyncDir(dir);
}

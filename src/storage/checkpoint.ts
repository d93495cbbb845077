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

import { storageFs } from './fs.ts';
import { join } from 'node:path';
import { CHECKPOINT_FILE, TMP_SUFFIX } from './file-names.ts';
import type { LogLike } from './log-config.ts';

export interface Checkpoint {
  logStartOffset: number;
  recoveryPoint: number;
  lastTerm: number;
  cleanShutdown: boolean;
}

const VERSION = 1;

export function readCheckpoint(dir: string, logger: LogLike): Checkpoint | null {
  const path = join(dir, CHECKPOINT_FILE);
  const fs = storageFs();
  if (!fs.exists(path)) return null;
  try {
    const raw = JSON.parse(fs.readFile(path).toString('utf8')) as Record<string, unknown>;
    const int = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
    if (raw.version !== VERSION || !int(raw.logStartOffset, 0) || !int(raw.recoveryPoint, 0) || !int(raw.lastTerm, -1) ||
      typeof raw.cleanShutdown !== 'boolean') {
      throw new Error('unexpected fields');
    }
    return {
      logStartOffset: raw.logStartOffset as number,
      recoveryPoint: raw.recoveryPoint as number,
      lastTerm: raw.lastTerm as number,
      cleanShutdown: raw.cleanShutdown,
    };
  } catch (err) {
    // Losing the checkpoint costs a full recovery scan, never data: that is the safe default.
    logger.warn({ path, err: String(err) }, 'unreadable partition checkpoint ignored; recovering every segment');
    return null;
  }
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  writeFileDurablySync(dir, CHECKPOINT_FILE, JSON.stringify({ version: VERSION, ...checkpoint }) + '\n');
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

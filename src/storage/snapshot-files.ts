// `<offset>.snapshot` files beside a partition's segments: state derived from the log (the
// idempotent producers' state) as of an offset, so a restart replays only the batches after the
// last one (docs/storage.md, "Producer snapshots"). The storage layer treats the bytes as opaque;
// it decides when a snapshot is taken (a segment roll, a clean close) and which ones can no
// longer be right (above the log end after a truncation, below the log start).
//
// A snapshot is written to a temp file and renamed. Only the one taken at a clean close is
// fsynced: a snapshot lost in a crash costs a longer replay, and a torn one fails its checksum
// (the reader's), so neither is ever used wrongly. What must be durable is a deletion: a
// truncation deletes the snapshots above the new end before its directory fsync, so a snapshot
// of entries that were cut cannot come back and describe entries appended later.

import { TMP_SUFFIX, parseSnapshotFile, snapshotPath } from './file-names.ts';
import { storageFs } from './fs.ts';
import type { LogLike } from './log-config.ts';
import type { LogSnapshots, SnapshotSource } from './log.ts';

/** Snapshots kept per partition: the newest few, so a truncation below the last still finds one. */
export const SNAPSHOTS_KEPT = 3;

export class SnapshotFiles implements LogSnapshots {
  private readonly dir: string;
  private readonly logger: LogLike;
  /** Offsets of the snapshot files, ascending. */
  private held: number[];
  private source: SnapshotSource | null = null;

  /** `fileNames`: the directory's entries, as the caller listed them at open. */
  constructor(dir: string, logger: LogLike, fileNames: string[] = storageFs().readdir(dir)) {
    this.dir = dir;
    this.logger = logger;
    this.held = fileNames
      .map(parseSnapshotFile)
      .filter((o): o is number => o !== null)
      .sort((a, b) => a - b);
  }

  offsets(): number[] {
    return [...this.held];
  }

  read(offset: number): Buffer | null {
    if (!this.held.includes(offset)) return null;
    try {
      return storageFs().readFile(snapshotPath(this.dir, offset));
    } catch (err) {
      this.logger.warn({ path: snapshotPath(this.dir, offset), err: String(err) }, 'producer snapshot unreadable');
      return null;
    }
  }

  discard(offset: number): void {
    this.remove(offset);
  }

  setSource(source: SnapshotSource | null): void {
    this.source = source;
  }

  /**
   * Writes the source's state as of `offset` (the log end), if it has one, and keeps only the
   * newest SNAPSHOTS_KEPT. Never throws: a snapshot that cannot be written is only a longer replay.
   */
  take(offset: number, durable: boolean): boolean {
    if (this.source === null) return false;
    const path = snapshotPath(this.dir, offset);
    try {
      const body = this.source(offset);
      if (body === null) return false;
      const tmp = path + TMP_SUFFIX;
      const fs = storageFs();
      const fd = fs.open(tmp, 'w');
      try {
        let written = 0;
        // A write to a regular file writes everything or throws; the body size bounds this.
        while (written < body.length) written += fs.write(fd, body, written, body.length - written, written);
        if (durable) fs.fsync(fd);
      } finally {
        fs.close(fd);
      }
      fs.rename(tmp, path);
    } catch (err) {
      this.logger.warn({ path, err: String(err) }, 'producer snapshot not written');
      return false;
    }
    this.held = [...this.held.filter((o) => o !== offset), offset].sort((a, b) => a - b);
    while (this.held.length > SNAPSHOTS_KEPT) this.remove(this.held[0]);
    return true;
  }

  /** Deletes the snapshots above `offset` (a truncation cut the entries they describe). */
  dropAbove(offset: number): number {
    return this.dropWhere((o) => o > offset);
  }

  /** Deletes the snapshots below `offset` (the log start moved past them). */
  dropBelow(offset: number): number {
    return this.dropWhere((o) => o < offset);
  }

  dropAll(): number {
    return this.dropWhere(() => true);
  }

  private dropWhere(doomed: (offset: number) => boolean): number {
    const gone = this.held.filter(doomed);
    for (const offset of gone) this.remove(offset);
    return gone.length;
  }

  private remove(offset: number): void {
    storageFs().remove(snapshotPath(this.dir, offset));
    this.held = this.held.filter((o) => o !== offset);
  }
}

// A FileSystem for the test-only power-loss mode (issue 10): every write since a file's last
// fsync/fdatasync is kept in this process's memory (an overlay that reads, sizes and whole-file
// reads see) and reaches the real file only when the file is synced. So a kill -9 of the broker
// loses exactly what a power loss would lose: whatever was not synced. With `skipFsync` the
// syncs do nothing, which is the "broker build with fsync disabled" the power-loss test must
// catch (test/integration/power-loss.test.ts).
//
// Modelled on a kernel's page cache, with these limits (docs/reliability.md, "Power loss"):
// - Directory operations (create, rename, unlink, remove, truncate) reach the disk at once,
//   as on a journaling file system that orders metadata before a later power loss; they are
//   not lost or reordered.
// - Tearing: with a `random` source, each sync of one file may first write back a random
//   prefix of another file's pending writes (the last one cut at a random byte), so a crash
//   leaves torn tails the way background writeback does.
// - Memory is bounded: past pendingBytesPerFileMax / pendingWritesPerFileMax for a file, or
//   pendingBytesTotalMax for the process, pending writes are written back (not synced), oldest
//   file first, as a kernel starts writeback under memory pressure.
// - SQLite (runnel.db, better-sqlite3) does its own I/O and bypasses this layer.

import { resolve, sep } from 'node:path';
import type { FileSystem, OpenFlags } from './fs.ts';

export interface PowerLossLimits {
  pendingBytesPerFileMax: number;
  pendingWritesPerFileMax: number;
  pendingBytesTotalMax: number;
}

export const POWER_LOSS_LIMITS: PowerLossLimits = {
  pendingBytesPerFileMax: 16 * 1024 * 1024,
  // Reads walk a file's pending writes, so their count is bounded too.
  pendingWritesPerFileMax: 4096,
  pendingBytesTotalMax: 64 * 1024 * 1024,
};

export interface PowerLossOptions {
  /** Syncs return without writing anything back (fsync disabled). */
  skipFsync: boolean;
  /** A float in [0, 1) per call; enables tearing. null: no tearing. */
  random: (() => number) | null;
  /** The chance that a sync tears each other file with pending writes. */
  tearProbability: number;
  limits: PowerLossLimits;
}

interface PendingWrite {
  position: number;
  data: Buffer;
}

interface Overlay {
  writes: PendingWrite[];
  bytes: number;
  /** The end of the furthest pending write. */
  end: number;
}

export class PowerLossFs implements FileSystem {
  private readonly overlays = new Map<string, Overlay>();
  private readonly fdPaths = new Map<number, string>();
  private pendingBytesTotal = 0;
  /** Bytes written back by tearing, for tests and the exit log. */
  tornBytes = 0;

  constructor(
    private readonly base: FileSystem,
    private readonly options: PowerLossOptions,
  ) {}

  exists(path: string): boolean {
    return this.base.exists(path);
  }

  mkdir(dir: string): void {
    this.base.mkdir(dir);
  }

  readdir(dir: string): string[] {
    return this.base.readdir(dir);
  }

  open(path: string, flags: OpenFlags): number {
    const fd = this.base.open(path, flags);
    const full = resolve(path);
    this.fdPaths.set(fd, full);
    // 'w' flags create or truncate the file: nothing pending survives that.
    if (flags.startsWith('w')) this.drop(full);
    return fd;
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const overlay = this.overlayOf(fd);
    const n = this.base.read(fd, buffer, offset, length, position);
    if (overlay === undefined) return n;
    // A short read means the real file ends there; the overlay may reach further.
    const end = n < length ? Math.max(position + n, Math.min(position + length, overlay.end)) : position + length;
    buffer.fill(0, offset + n, offset + (end - position));
    for (const w of overlay.writes) {
      const from = Math.max(w.position, position);
      const to = Math.min(w.position + w.data.length, end);
      if (from < to) w.data.copy(buffer, offset + (from - position), from - w.position, to - w.position);
    }
    return end - position;
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const path = this.fdPaths.get(fd);
    if (path === undefined) return this.base.write(fd, buffer, offset, length, position);
    let overlay = this.overlays.get(path);
    if (overlay === undefined) {
      overlay = { writes: [], bytes: 0, end: 0 };
      this.overlays.set(path, overlay);
    }
    overlay.writes.push({ position, data: Buffer.from(buffer.subarray(offset, offset + length)) });
    overlay.bytes += length;
    overlay.end = Math.max(overlay.end, position + length);
    this.pendingBytesTotal += length;
    const { limits } = this.options;
    if (overlay.bytes > limits.pendingBytesPerFileMax || overlay.writes.length > limits.pendingWritesPerFileMax) {
      this.writeBack(path, overlay.writes.length, 0);
    }
    // Map iteration order is insertion order: the oldest overlay goes first.
    for (const other of this.overlays.keys()) {
      if (this.pendingBytesTotal <= limits.pendingBytesTotalMax) break;
      this.writeBack(other, Infinity, 0);
    }
    return length;
  }

  size(fd: number): number {
    const real = this.base.size(fd);
    const overlay = this.overlayOf(fd);
    return overlay === undefined ? real : Math.max(real, overlay.end);
  }

  truncate(fd: number, length: number): void {
    this.base.truncate(fd, length);
    const path = this.fdPaths.get(fd);
    const overlay = this.overlayOf(fd);
    if (path === undefined || overlay === undefined) return;
    const kept: PendingWrite[] = [];
    for (const w of overlay.writes) {
      if (w.position >= length) continue;
      kept.push(w.position + w.data.length <= length ? w : { position: w.position, data: w.data.subarray(0, length - w.position) });
    }
    this.replaceWrites(path, overlay, kept);
  }

  fsync(fd: number): void {
    if (this.syncPending(fd)) this.base.fsync(fd);
  }

  async fsyncAsync(fd: number): Promise<void> {
    if (this.syncPending(fd)) await this.base.fsyncAsync(fd);
  }

  async fdatasync(fd: number): Promise<void> {
    if (this.syncPending(fd)) await this.base.fdatasync(fd);
  }

  fdatasyncSync(fd: number): void {
    if (this.syncPending(fd)) this.base.fdatasyncSync(fd);
  }

  close(fd: number): void {
    this.base.close(fd);
    // What is pending stays pending: closing a file does not sync it.
    this.fdPaths.delete(fd);
  }

  fsyncDir(dir: string): void {
    if (!this.options.skipFsync) this.base.fsyncDir(dir);
  }

  readFile(path: string): Buffer {
    if (!this.overlays.has(resolve(path))) return this.base.readFile(path);
    const fd = this.open(path, 'r');
    try {
      const buf = Buffer.alloc(this.size(fd));
      const n = this.read(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n);
    } finally {
      this.close(fd);
    }
  }

  writeFile(path: string, data: Buffer): void {
    const fd = this.open(path, 'w');
    try {
      this.write(fd, data, 0, data.length, 0);
    } finally {
      this.close(fd);
    }
  }

  rename(from: string, to: string): void {
    this.base.rename(from, to);
    const src = resolve(from);
    const dst = resolve(to);
    this.drop(dst);
    for (const [path, overlay] of [...this.overlays]) {
      const moved = movedPath(path, src, dst);
      if (moved === null) continue;
      this.overlays.delete(path);
      this.overlays.set(moved, overlay);
    }
    for (const [fd, path] of this.fdPaths) {
      const moved = movedPath(path, src, dst);
      if (moved !== null) this.fdPaths.set(fd, moved);
    }
  }

  unlink(path: string): void {
    this.base.unlink(path);
    this.drop(resolve(path));
  }

  remove(path: string): void {
    this.base.remove(path);
    const full = resolve(path);
    for (const p of [...this.overlays.keys()]) if (movedPath(p, full, full) !== null) this.drop(p);
  }

  /**
   * Writes every pending write to the real files without syncing them: what the kernel's page
   * cache holds when the process dies but the machine stays up (a plain kill -9, a crash, an
   * exit). A power loss after it still loses it on a real disk; here it is then on the disk.
   * Returns the bytes written.
   */
  writeBackAll(): number {
    let written = 0;
    for (const path of [...this.overlays.keys()]) written += this.writeBack(path, Infinity, 0);
    return written;
  }

  /** Bytes written but not yet synced (or written back), in all files. */
  get pendingBytes(): number {
    return this.pendingBytesTotal;
  }

  /** The sync part shared by fsync and fdatasync; false when syncs are disabled. */
  private syncPending(fd: number): boolean {
    if (this.options.skipFsync) return false;
    const path = this.fdPaths.get(fd);
    if (path === undefined) return true;
    this.tearOthers(path);
    this.writeBack(path, Infinity, 0);
    return true;
  }

  private tearOthers(syncing: string): void {
    const random = this.options.random;
    if (random === null) return;
    for (const [path, overlay] of [...this.overlays]) {
      if (path === syncing || random() >= this.options.tearProbability) continue;
      const whole = Math.floor(random() * overlay.writes.length);
      const partial = Math.floor(random() * (overlay.writes[whole].data.length + 1));
      this.tornBytes += this.writeBack(path, whole, partial);
    }
  }

  /**
   * Writes the first `whole` pending writes of `path` to the real file, then `partialBytes`
   * of the next one; the rest stays pending. Returns the bytes written.
   */
  private writeBack(path: string, whole: number, partialBytes: number): number {
    const overlay = this.overlays.get(path);
    if (overlay === undefined) return 0;
    const count = Math.min(whole, overlay.writes.length);
    let fd: number;
    try {
      fd = this.base.open(path, 'r+');
    } catch (err) {
      // Deleted behind our back (a directory removed with node:fs): nothing to write to.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.drop(path);
      return 0;
    }
    let written = 0;
    try {
      const put = (data: Buffer, position: number) => {
        let done = 0;
        while (done < data.length) done += this.base.write(fd, data, done, data.length - done, position + done);
        written += data.length;
      };
      for (let i = 0; i < count; i++) put(overlay.writes[i].data, overlay.writes[i].position);
      const rest = overlay.writes.slice(count);
      if (rest.length > 0 && partialBytes > 0) {
        const next = rest[0];
        put(next.data.subarray(0, partialBytes), next.position);
        rest[0] = { position: next.position + partialBytes, data: next.data.subarray(partialBytes) };
      }
      this.replaceWrites(
        path,
        overlay,
        rest.filter((w) => w.data.length > 0),
      );
    } finally {
      this.base.close(fd);
    }
    return written;
  }

  private replaceWrites(path: string, overlay: Overlay, writes: PendingWrite[]): void {
    this.pendingBytesTotal -= overlay.bytes;
    if (writes.length === 0) {
      this.overlays.delete(path);
      return;
    }
    overlay.writes = writes;
    overlay.bytes = writes.reduce((n, w) => n + w.data.length, 0);
    overlay.end = writes.reduce((n, w) => Math.max(n, w.position + w.data.length), 0);
    this.pendingBytesTotal += overlay.bytes;
  }

  private drop(path: string): void {
    const overlay = this.overlays.get(path);
    if (overlay === undefined) return;
    this.pendingBytesTotal -= overlay.bytes;
    this.overlays.delete(path);
  }

  /** An fd this layer did not open (none should exist) has no overlay: a direct pass-through. */
  private overlayOf(fd: number): Overlay | undefined {
    const path = this.fdPaths.get(fd);
    return path === undefined ? undefined : this.overlays.get(path);
  }
}

/** `path` with the prefix `from` (itself or a file under it) replaced by `to`; null when outside. */
function movedPath(path: string, from: string, to: string): string | null {
  if (path === from) return to;
  if (path.startsWith(from + sep)) return to + path.slice(from.length);
  return null;
}

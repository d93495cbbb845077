// An in-memory FileSystem (src/storage/fs.ts) that models the page cache: writes land in the
// cache, fsync copies a file's cache to its durable image, and fsyncDir makes the names of the
// files in a directory durable. A killed process (kill -9) loses nothing: the next open sees
// the cache. powerLoss() throws the cache away: every file goes back to its durable image, and
// a file whose name was never made durable disappears.
//
// Directory changes follow a journaling file system's order (as src/storage/power-loss-fs.ts
// assumes): an unlink, a removal or a rename reaches the disk at once, and with it every earlier
// change of that directory, so a file created before a later unlink is never lost while the
// unlink survives.
//
// A SyncControl (the replica simulator's disk) decides when an asynchronous fsync completes and
// whether an fsync fails; damageDurable() flips a bit of data that was made durable (a bad
// sector).

import { basename, dirname } from 'node:path';
import type { FileSystem, OpenFlags } from '../../src/storage/fs.ts';

/** Who decides how fsyncs end (default: at once, successfully). */
export interface SyncControl {
  /** Called by the blocking fsyncs; throws to make them fail. */
  syncNow(): void;
  /** Awaited by the asynchronous fsyncs (of the file at `path`) before what they cover counts as durable; rejects to fail them. */
  syncLater(path?: string): Promise<void>;
}

const IMMEDIATE: SyncControl = { syncNow() {}, syncLater: () => Promise.resolve() };

/** A change not yet known durable: bytes written at a position, or the file cut to a length. */
type PendingChange = { version: number; position: number; data: Buffer } | { version: number; truncate: number };

/**
 * File bytes in a buffer that grows by doubling (appends stay O(1) amortised instead of copying
 * the file each time); the bytes past `length` are always zero.
 */
class Bytes {
  buf: Buffer;
  length: number;

  constructor(from?: Bytes) {
    this.length = from?.length ?? 0;
    this.buf = Bytes.zeroedAbove(Math.max(64, this.length), from?.buf, this.length);
  }

  /**
   * A buffer of `size` bytes holding the first `length` bytes of `from`, zeros after them: only
   * the tail is zeroed (Buffer.alloc zeroed it all, then the copy wrote most of it again).
   */
  private static zeroedAbove(size: number, from: Buffer | undefined, length: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    if (from !== undefined) from.copy(buf, 0, 0, length);
    buf.fill(0, from === undefined ? 0 : length);
    return buf;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  write(position: number, data: Buffer): void {
    const end = position + data.length;
    if (end > this.buf.length) this.buf = Bytes.zeroedAbove(Math.max(end, this.buf.length * 2), this.buf, this.length);
    data.copy(this.buf, position);
    if (end > this.length) this.length = end;
  }

  /** Cut (or extended with zeros) to `length` bytes. */
  cut(length: number): void {
    if (length < this.length) this.buf.fill(0, length, this.length);
    else if (length > this.buf.length) this.write(length, Buffer.alloc(0));
    this.length = length;
  }

  apply(c: PendingChange): void {
    if ('truncate' in c) this.cut(c.truncate);
    else this.write(c.position, c.data);
  }
}

interface SimFile {
  cached: Bytes;
  durable: Bytes;
  /** Changes since `durable`, oldest first; an fsync applies them (not a copy of the whole file). */
  pending: PendingChange[];
  /** Grows with every change; `durableVersion` is the version `durable` holds. */
  version: number;
  durableVersion: number;
  /** Whether the directory entry survives a power loss (its directory was fsynced since creation). */
  nameDurable: boolean;
}

function emptyFile(): SimFile {
  return { cached: new Bytes(), durable: new Bytes(), pending: [], version: 0, durableVersion: 0, nameDurable: false };
}

/**
 * How much of the unsynced changes a power loss writes back (the disk wrote some of the page
 * cache before the power went): the first `keep(path, n)` of a file's n pending changes whole,
 * then the next one, if a write, cut to `cut(its length)` bytes. Default: none of them.
 */
export interface Tear {
  keep(path: string, pending: number): number;
  cut(length: number): number;
}

export interface PageCacheFsOptions {
  /** The first file descriptor (several file systems routed by descriptor need disjoint ranges). */
  fdBase?: number;
  /** Called before every write and truncation that may grow a file; throws to fail it (ENOSPC). */
  beforeWrite?: (path: string) => void;
}

export class PageCacheFs implements FileSystem {
  private readonly files = new Map<string, SimFile>();
  /** The files of each directory (fsyncDir and readdir touch only those). */
  private readonly byDir = new Map<string, Map<string, SimFile>>();
  private readonly dirs = new Set<string>();
  /** Open descriptors: the file itself, so one stays usable after an unlink or rename, as in POSIX. */
  private readonly fds = new Map<number, { path: string; file: SimFile }>();
  private readonly dirFds = new Map<number, string>();
  private nextFd: number;
  /** fsync and fdatasync calls, for tests that check a sync happened. */
  syncs = 0;

  constructor(
    private readonly control: SyncControl = IMMEDIATE,
    private readonly options: PageCacheFsOptions = {},
  ) {
    this.nextFd = options.fdBase ?? 3;
  }

  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path);
  }

  open(path: string, flags: OpenFlags): number {
    const file = this.files.get(path);
    if (file === undefined && flags === 'r' && this.dirs.has(path)) {
      // A directory opened to fsync it (fsyncPath in the storage layer).
      const fd = this.nextFd++;
      this.dirFds.set(fd, path);
      return fd;
    }
    if (flags.startsWith('r') && file === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    if (flags.startsWith('wx') && file !== undefined) throw Object.assign(new Error(`EEXIST: file already exists, open '${path}'`), { code: 'EEXIST' });
    let opened = file;
    if (flags.startsWith('w')) {
      if (opened === undefined) {
        opened = emptyFile();
        this.addFile(path, opened);
      } else this.cut(opened, 0);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { path, file: opened! });
    return fd;
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const data = this.file(fd).cached;
    if (position >= data.length) return 0;
    return data.buf.copy(buffer, offset, position, Math.min(data.length, position + length));
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const file = this.file(fd);
    this.options.beforeWrite?.(this.fds.get(fd)!.path);
    // A copy: the caller may reuse its buffer, and the pending change must keep these bytes.
    const data = Buffer.allocUnsafe(length);
    buffer.copy(data, 0, offset, offset + length);
    file.cached.write(position, data);
    file.pending.push({ version: ++file.version, position, data });
    return length;
  }

  fsync(fd: number): void {
    const dir = this.dirFds.get(fd);
    if (dir !== undefined) {
      this.control.syncNow();
      this.fsyncDir(dir);
      return;
    }
    const file = this.file(fd);
    this.control.syncNow();
    this.makeDurable(file, file.version);
  }

  async fdatasync(fd: number): Promise<void> {
    const dir = this.dirFds.get(fd);
    if (dir !== undefined) {
      // The names it covers are those there when it started.
      const names = [...(this.byDir.get(dir)?.values() ?? [])];
      await this.control.syncLater();
      for (const file of names) file.nameDurable = true;
      return;
    }
    const file = this.file(fd);
    // It covers what was written before it started; a later fsync may have covered more.
    const version = file.version;
    await this.control.syncLater(this.fds.get(fd)?.path);
    this.makeDurable(file, version);
  }

  close(fd: number): void {
    if (this.dirFds.delete(fd)) return;
    this.file(fd);
    this.fds.delete(fd);
  }

  size(fd: number): number {
    return this.file(fd).cached.length;
  }

  truncate(fd: number, length: number): void {
    const file = this.file(fd);
    if (length > file.cached.length) this.options.beforeWrite?.(this.fds.get(fd)!.path);
    this.cut(file, length);
  }

  async fsyncAsync(fd: number): Promise<void> {
    await this.fdatasync(fd);
  }

  fdatasyncSync(fd: number): void {
    this.fsync(fd);
  }

  readFile(path: string): Buffer {
    const file = this.files.get(path);
    if (file === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return Buffer.from(file.cached.view());
  }

  writeFile(path: string, data: Buffer): void {
    const fd = this.open(path, 'w+');
    try {
      this.write(fd, data, 0, data.length, 0);
    } finally {
      this.close(fd);
    }
  }

  /** A rename is a directory change: like a creation, it survives a power loss once the directory is fsynced. */
  rename(from: string, to: string): void {
    const file = this.files.get(from);
    if (file === undefined) throw Object.assign(new Error(`ENOENT: no such file, rename '${from}'`), { code: 'ENOENT' });
    this.commitNames(dirname(from));
    this.dropFile(from);
    file.nameDurable = false;
    this.addFile(to, file);
  }

  unlink(path: string): void {
    this.commitNames(dirname(path));
    if (!this.dropFile(path)) throw Object.assign(new Error(`ENOENT: no such file, unlink '${path}'`), { code: 'ENOENT' });
  }

  remove(path: string): void {
    this.commitNames(dirname(path));
    for (const name of [...this.files.keys()]) if (name === path || name.startsWith(`${path}/`)) this.dropFile(name);
    for (const dir of [...this.dirs]) if (dir === path || dir.startsWith(`${path}/`)) this.dirs.delete(dir);
  }

  /** Directories are never lost: only file names wait on fsyncDir. */
  mkdir(dir: string): void {
    for (let d = dir; d !== '/' && d !== '.' && !this.dirs.has(d); d = dirname(d)) this.dirs.add(d);
  }

  readdir(dir: string): string[] {
    if (!this.dirs.has(dir)) throw Object.assign(new Error(`ENOENT: no such directory, scandir '${dir}'`), { code: 'ENOENT' });
    const names: string[] = [];
    for (const path of this.byDir.get(dir)?.keys() ?? []) names.push(basename(path));
    for (const d of this.dirs) if (dirname(d) === dir) names.push(basename(d));
    return names.sort();
  }

  fsyncDir(dir: string): void {
    for (const file of this.byDir.get(dir)?.values() ?? []) file.nameDurable = true;
  }

  /**
   * The machine loses power: open files are gone and only what was made durable remains, plus
   * what `tear` says the disk wrote back of the rest.
   */
  powerLoss(tear?: Tear): void {
    this.fds.clear();
    this.dirFds.clear();
    for (const [path, file] of [...this.files]) {
      if (!file.nameDurable) {
        this.dropFile(path);
        continue;
      }
      if (tear !== undefined && file.pending.length > 0) {
        const keep = Math.min(tear.keep(path, file.pending.length), file.pending.length);
        for (let k = 0; k < keep; k++) file.durable.apply(file.pending[k]);
        const next = file.pending[keep];
        if (next !== undefined && 'data' in next) file.durable.write(next.position, next.data.subarray(0, tear.cut(next.data.length)));
      }
      file.cached = new Bytes(file.durable);
      file.pending = [];
      file.version = file.durableVersion;
    }
  }

  /** Length of the durable image of `path` (0 when it has none). */
  durableSize(path: string): number {
    return this.files.get(path)?.durable.length ?? 0;
  }

  /**
   * Flips bit `bit` of byte `position` of the durable image of `path`: a bad sector under data
   * that was synced. Only while the cache holds nothing newer (after powerLoss()), so the next
   * read sees the damage.
   */
  damageDurable(path: string, position: number, bit: number): void {
    const file = this.files.get(path);
    if (file === undefined || position >= file.durable.length) throw new RangeError(`no durable byte ${position} in ${path}`);
    if (file.pending.length > 0) throw new Error(`${path} has unsynced writes in the page cache`);
    file.durable.buf[position] ^= 1 << bit;
    file.cached.buf[position] = file.durable.buf[position];
  }

  private cut(file: SimFile, length: number): void {
    file.cached.cut(length);
    file.pending.push({ version: ++file.version, truncate: length });
  }

  /** Applies the pending changes up to `version` to the durable image. */
  private makeDurable(file: SimFile, version: number): void {
    let k = 0;
    for (; k < file.pending.length && file.pending[k].version <= version; k++) file.durable.apply(file.pending[k]);
    if (k > 0) file.pending.splice(0, k);
    file.durableVersion = Math.max(file.durableVersion, version);
    this.syncs++;
  }

  /** A directory change reached the disk: the earlier ones in the directory did too (journal order). */
  private commitNames(dir: string): void {
    for (const file of this.byDir.get(dir)?.values() ?? []) file.nameDurable = true;
  }

  private addFile(path: string, file: SimFile): void {
    this.files.set(path, file);
    const dir = dirname(path);
    let names = this.byDir.get(dir);
    if (names === undefined) {
      names = new Map();
      this.byDir.set(dir, names);
    }
    names.set(path, file);
  }

  private dropFile(path: string): boolean {
    this.byDir.get(dirname(path))?.delete(path);
    return this.files.delete(path);
  }

  private file(fd: number): SimFile {
    const open = this.fds.get(fd);
    if (open === undefined) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
    return open.file;
  }
}

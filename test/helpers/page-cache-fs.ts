// An in-memory FileSystem (src/storage/fs.ts) that models the page cache: writes land in the
// cache, fsync copies a file's cache to its durable image, and fsyncDir makes the names of the
// files in a directory durable. A killed process (kill -9) loses nothing: the next open sees
// the cache. powerLoss() throws the cache away: every file goes back to its durable image, and
// a file whose name was never made durable disappears.
//
// A SyncControl (the replica simulator's disk) decides when an asynchronous fsync completes and
// whether an fsync fails; damageDurable() flips a bit of data that was made durable (a bad
// sector).

import { dirname } from 'node:path';
import type { FileSystem, OpenFlags } from '../../src/storage/fs.ts';

/** Who decides how fsyncs end (default: at once, successfully). */
export interface SyncControl {
  /** Called by the blocking fsyncs; throws to make them fail. */
  syncNow(): void;
  /** Awaited by the asynchronous fsyncs before what they cover counts as durable; rejects to fail them. */
  syncLater(): Promise<void>;
}

const IMMEDIATE: SyncControl = { syncNow() {}, syncLater: () => Promise.resolve() };

/** A change not yet known durable: bytes written at a position, or the file cut to a length. */
type PendingChange = { version: number; position: number; data: Buffer } | { version: number; truncate: number };

interface SimFile {
  cached: Buffer;
  durable: Buffer;
  /** Changes since `durable`, oldest first; an fsync applies them (not a copy of the whole file). */
  pending: PendingChange[];
  /** Grows with every change; `durableVersion` is the version `durable` holds. */
  version: number;
  durableVersion: number;
  /** Whether the directory entry survives a power loss (its directory was fsynced since creation). */
  nameDurable: boolean;
}

/** Writes `data` at `position` into `buf`, growing it (zero-filled) as needed. */
function writeAt(buf: Buffer, position: number, data: Buffer): Buffer {
  const end = position + data.length;
  let out = buf;
  if (end > buf.length) {
    out = Buffer.alloc(end);
    buf.copy(out);
  }
  data.copy(out, position);
  return out;
}

/** `buf` cut (or extended with zeros) to `length` bytes. */
function cutTo(buf: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  buf.copy(out, 0, 0, Math.min(length, buf.length));
  return out;
}

function emptyFile(): SimFile {
  return { cached: Buffer.alloc(0), durable: Buffer.alloc(0), pending: [], version: 0, durableVersion: 0, nameDurable: false };
}

export class PageCacheFs implements FileSystem {
  private readonly files = new Map<string, SimFile>();
  private readonly fds = new Map<number, string>();
  private nextFd = 3;
  /** fsync and fdatasync calls, for tests that check a sync happened. */
  syncs = 0;

  constructor(private readonly control: SyncControl = IMMEDIATE) {}

  exists(path: string): boolean {
    return this.files.has(path);
  }

  open(path: string, flags: OpenFlags): number {
    const file = this.files.get(path);
    if (flags.startsWith('r') && file === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    if (flags.startsWith('wx') && file !== undefined) throw Object.assign(new Error(`EEXIST: file already exists, open '${path}'`), { code: 'EEXIST' });
    if (flags.startsWith('w')) {
      if (file === undefined) this.files.set(path, emptyFile());
      else this.cut(file, 0);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, path);
    return fd;
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const data = this.file(fd).cached;
    if (position >= data.length) return 0;
    return data.copy(buffer, offset, position, Math.min(data.length, position + length));
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    const file = this.file(fd);
    const data = Buffer.from(buffer.subarray(offset, offset + length));
    file.cached = writeAt(file.cached, position, data);
    file.pending.push({ version: ++file.version, position, data });
    return length;
  }

  fsync(fd: number): void {
    const file = this.file(fd);
    this.control.syncNow();
    this.makeDurable(file, file.version);
  }

  async fdatasync(fd: number): Promise<void> {
    const file = this.file(fd);
    // It covers what was written before it started; a later fsync may have covered more.
    const version = file.version;
    await this.control.syncLater();
    this.makeDurable(file, version);
  }

  close(fd: number): void {
    this.file(fd);
    this.fds.delete(fd);
  }

  size(fd: number): number {
    return this.file(fd).cached.length;
  }

  truncate(fd: number, length: number): void {
    this.cut(this.file(fd), length);
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
    return Buffer.from(file.cached);
  }

  writeFile(path: string, data: Buffer): void {
    const fd = this.open(path, 'w+');
    this.write(fd, data, 0, data.length, 0);
    this.close(fd);
  }

  /** A rename is a directory change: like a creation, it survives a power loss once the directory is fsynced. */
  rename(from: string, to: string): void {
    const file = this.files.get(from);
    if (file === undefined) throw Object.assign(new Error(`ENOENT: no such file, rename '${from}'`), { code: 'ENOENT' });
    this.files.delete(from);
    this.files.set(to, { ...file, nameDurable: false });
  }

  unlink(path: string): void {
    if (!this.files.delete(path)) throw Object.assign(new Error(`ENOENT: no such file, unlink '${path}'`), { code: 'ENOENT' });
  }

  remove(path: string): void {
    for (const name of [...this.files.keys()]) if (name === path || name.startsWith(path + '/')) this.files.delete(name);
  }

  fsyncDir(dir: string): void {
    for (const [path, file] of this.files) if (dirname(path) === dir) file.nameDurable = true;
  }

  /** The machine loses power: open files are gone and only what was made durable remains. */
  powerLoss(): void {
    this.fds.clear();
    for (const [path, file] of [...this.files]) {
      if (!file.nameDurable) this.files.delete(path);
      else {
        file.cached = Buffer.from(file.durable);
        file.pending = [];
        file.version = file.durableVersion;
      }
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
    file.durable[position] ^= 1 << bit;
    file.cached[position] = file.durable[position];
  }

  private cut(file: SimFile, length: number): void {
    file.cached = cutTo(file.cached, length);
    file.pending.push({ version: ++file.version, truncate: length });
  }

  /** Applies the pending changes up to `version` to the durable image. */
  private makeDurable(file: SimFile, version: number): void {
    let k = 0;
    for (; k < file.pending.length && file.pending[k].version <= version; k++) {
      const c = file.pending[k];
      file.durable = 'truncate' in c ? cutTo(file.durable, c.truncate) : writeAt(file.durable, c.position, c.data);
    }
    if (k > 0) file.pending.splice(0, k);
    file.durableVersion = Math.max(file.durableVersion, version);
    this.syncs++;
  }

  private file(fd: number): SimFile {
    const path = this.fds.get(fd);
    const file = path === undefined ? undefined : this.files.get(path);
    if (file === undefined) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
    return file;
  }
}

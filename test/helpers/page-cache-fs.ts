// An in-memory FileSystem (src/storage/fs.ts) that models the page cache: writes land in the
// cache, fsync copies a file's cache to its durable image, and fsyncDir makes the names of the
// files in a directory durable. A killed process (kill -9) loses nothing: the next open sees
// the cache. powerLoss() throws the cache away: every file goes back to its durable image, and
// a file whose name was never made durable disappears.

import { dirname } from 'node:path';
import type { FileSystem, OpenFlags } from '../../src/storage/fs.ts';

interface SimFile {
  cached: Buffer;
  durable: Buffer;
  /** Whether the directory entry survives a power loss (its directory was fsynced since creation). */
  nameDurable: boolean;
}

export class PageCacheFs implements FileSystem {
  private readonly files = new Map<string, SimFile>();
  private readonly fds = new Map<number, string>();
  private nextFd = 3;
  /** fsync and fdatasync calls, for tests that check a sync happened. */
  syncs = 0;

  exists(path: string): boolean {
    return this.files.has(path);
  }

  open(path: string, flags: OpenFlags): number {
    const file = this.files.get(path);
    if (flags.startsWith('r') && file === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    if (flags.startsWith('wx') && file !== undefined) throw Object.assign(new Error(`EEXIST: file already exists, open '${path}'`), { code: 'EEXIST' });
    if (flags.startsWith('w')) {
      if (file === undefined) this.files.set(path, { cached: Buffer.alloc(0), durable: Buffer.alloc(0), nameDurable: false });
      else file.cached = Buffer.alloc(0);
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
    const end = position + length;
    if (end > file.cached.length) {
      const grown = Buffer.alloc(end);
      file.cached.copy(grown);
      file.cached = grown;
    }
    buffer.copy(file.cached, position, offset, offset + length);
    return length;
  }

  fsync(fd: number): void {
    const file = this.file(fd);
    file.durable = Buffer.from(file.cached);
    this.syncs++;
  }

  async fdatasync(fd: number): Promise<void> {
    this.fsync(fd);
  }

  close(fd: number): void {
    this.file(fd);
    this.fds.delete(fd);
  }

  size(fd: number): number {
    return this.file(fd).cached.length;
  }

  truncate(fd: number, length: number): void {
    const file = this.file(fd);
    const cut = Buffer.alloc(length);
    file.cached.copy(cut, 0, 0, Math.min(length, file.cached.length));
    file.cached = cut;
  }

  async fsyncAsync(fd: number): Promise<void> {
    this.fsync(fd);
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
      else file.cached = Buffer.from(file.durable);
    }
  }

  private file(fd: number): SimFile {
    const path = this.fds.get(fd);
    const file = path === undefined ? undefined : this.files.get(path);
    if (file === undefined) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
    return file;
  }
}

// The file-system seam for files whose durability matters. Code that must know what survives
// a power loss (which writes an fsync covers, and when) does its file I/O through this
// interface, so a test can substitute a file system that models the page cache and loses
// everything written since the last fsync (test/helpers/page-cache-fs.ts in-process,
// src/storage/power-loss-fs.ts in a real broker). The default is node:fs, called directly.
//
// Calls mirror node:fs's synchronous, position-based ones; fdatasync and fsyncAsync are
// asynchronous because they wait on the disk during normal operation. Directory listing and
// creation go through it too, so a whole log can live on a simulated disk (the replica
// simulator); directory entries are made durable with fsyncDir.

import {
  closeSync,
  existsSync,
  fdatasync,
  mkdirSync,
  readdirSync,
  fdatasyncSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { promisify } from 'node:util';

/**
 * 'r': read only; 'r+': read and write an existing file; 'w' / 'w+': create (or truncate) and
 * write (and read); 'wx' / 'wx+': the same, failing when the file exists.
 */
export type OpenFlags = 'r' | 'r+' | 'w' | 'w+' | 'wx' | 'wx+';

export interface FileSystem {
  exists(path: string): boolean;
  /** Returns a file descriptor; throws when the file is missing and `flags` is 'r' or 'r+'. */
  open(path: string, flags: OpenFlags): number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns how many were read. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** Writes `length` bytes of `buffer` from `offset` at `position`; returns how many were written. */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** The file's size in bytes (fstat). */
  size(fd: number): number;
  /** Cuts (or extends with zeros) the file to `length` bytes (ftruncate). */
  truncate(fd: number, length: number): void;
  /** Makes everything written to the file durable (data and metadata), blocking. */
  fsync(fd: number): void;
  /** fsync without blocking the event loop. */
  fsyncAsync(fd: number): Promise<void>;
  /** Makes the file's data durable without blocking the event loop. */
  fdatasync(fd: number): Promise<void>;
  /** fdatasync, blocking (rare paths: recovery, truncation). */
  fdatasyncSync(fd: number): void;
  close(fd: number): void;
  /** Makes the directory's entries durable (a file created or renamed in it). */
  fsyncDir(dir: string): void;
  /** The whole file (readFileSync). */
  readFile(path: string): Buffer;
  /** Creates or replaces the file's content, not durably (writeFileSync). */
  writeFile(path: string, data: Buffer): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Removes a file or a directory tree; nothing when it is missing (rm -rf). */
  remove(path: string): void;
  /** Creates the directory and its missing parents; nothing when it exists (mkdir -p). */
  mkdir(dir: string): void;
  /** The names in the directory (readdirSync). */
  readdir(dir: string): string[];
}

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);

export const nodeFs: FileSystem = {
  exists: (path) => existsSync(path),
  open: (path, flags) => openSync(path, flags),
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  write: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  size: (fd) => fstatSync(fd).size,
  truncate: (fd, length) => ftruncateSync(fd, length),
  fsync: (fd) => fsyncSync(fd),
  fsyncAsync: (fd) => fsyncAsync(fd),
  fdatasync: (fd) => fdatasyncAsync(fd),
  fdatasyncSync: (fd) => fdatasyncSync(fd),
  close: (fd) => closeSync(fd),
  fsyncDir: (dir) => {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  readFile: (path) => readFileSync(path),
  writeFile: (path, data) => writeFileSync(path, data),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  mkdir: (dir) => {
    mkdirSync(dir, { recursive: true });
  },
  readdir: (dir) => readdirSync(dir),
};

let active: FileSystem = nodeFs;

/**
 * The file system the storage layer uses: node:fs unless the process switched it at start
 * (the test-only power-loss mode, src/storage/power-loss-mode.ts). One per process because a
 * power loss hits every file of the node at once.
 */
export function storageFs(): FileSystem {
  return active;
}

/** Switches the storage file system; called once at process start, before any log opens. */
export function setStorageFs(fs: FileSystem): void {
  active = fs;
}

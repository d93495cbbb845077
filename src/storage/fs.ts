// The file-system seam for files whose durability matters. Code that must know what survives
// a power loss (which writes an fsync covers, and when) does its file I/O through this
// interface, so a test can substitute a file system that models the page cache and loses
// everything written since the last fsync. The default is node:fs.
//
// Calls mirror node:fs's synchronous, position-based ones; only fdatasync is asynchronous,
// because it is the one that waits on the disk during normal operation.

import { closeSync, existsSync, fdatasync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { fsyncDirSync } from './checkpoint.ts';

/** 'r+': read and write an existing file; 'w+': create (or truncate) and read and write. */
export type OpenFlags = 'r+' | 'w+';

export interface FileSystem {
  exists(path: string): boolean;
  /** Returns a file descriptor; throws when the file is missing and `flags` is 'r+'. */
  open(path: string, flags: OpenFlags): number;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns how many were read. */
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** Writes `length` bytes of `buffer` from `offset` at `position`; returns how many were written. */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** Makes everything written to the file durable (data and metadata), blocking. */
  fsync(fd: number): void;
  /** Makes the file's data durable without blocking the event loop. */
  fdatasync(fd: number): Promise<void>;
  close(fd: number): void;
  /** Makes the directory's entries durable (a file created or renamed in it). */
  fsyncDir(dir: string): void;
}

const fdatasyncAsync = promisify(fdatasync);

export const nodeFs: FileSystem = {
  exists: (path) => existsSync(path),
  open: (path, flags) => openSync(path, flags),
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  write: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  fsync: (fd) => fsyncSync(fd),
  fdatasync: (fd) => fdatasyncAsync(fd),
  close: (fd) => closeSync(fd),
  fsyncDir: (dir) => fsyncDirSync(dir),
};

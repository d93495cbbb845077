// A simulated broker's disk that runs the real segment log (sim-disk.ts has the seam): every
// group's storage is RaftLogStorage.open over PartitionLog, its segments, indexes, Raft sidecars,
// checkpoint and raft.state all on a page-cache file system (test/helpers/page-cache-fs.ts). A
// power loss keeps what fsyncs covered plus, per file, a torn part of the rest; a bad sector
// flips a bit of synced segment data; a full disk fails every write that may grow a file.
//
// The storage layer reaches its files through the process-wide storageFs() (one file system per
// broker process). The simulator runs every broker in one process, so SimStorageFs routes each
// call to the disk whose root the path is under (`/sim/d<k>/...`), or whose descriptor range the
// fd is in.

import { RaftLogStorage } from '../../src/partition/raft-log-storage.ts';
import { FileRaftStateStore } from '../../src/partition/raft-state-store.ts';
import type { ScrubQueue } from '../../src/storage/scrub-queue.ts';
import type { Rng } from '../../src/raft/index.ts';
import { setStorageFs, storageFs, type FileSystem, type OpenFlags } from '../../src/storage/fs.ts';
import { logConfig, type LogConfig, type LogLike } from '../../src/storage/log-config.ts';
import { PageCacheFs } from '../helpers/page-cache-fs.ts';
import { SimDiskBase, damageRaftState, ioError, type MemoryDiskOptions, type ReplicaDisk } from './sim-disk.ts';

const ROOT = '/sim/d';
/** File descriptors per disk: disk k uses [k * FDS_PER_DISK, (k + 1) * FDS_PER_DISK). */
const FDS_PER_DISK = 2 ** 26;

/** The storage file system of a simulation with file disks: one PageCacheFs per disk. */
export class SimStorageFs implements FileSystem {
  private readonly disks: PageCacheFs[] = [];
  private readonly previous: FileSystem;

  /** Becomes the process's storage file system until restore(). */
  constructor() {
    this.previous = storageFs();
    setStorageFs(this);
  }

  restore(): void {
    setStorageFs(this.previous);
  }

  /** A new disk: its root directory and its file system. */
  add(create: (fdBase: number) => PageCacheFs): { root: string; fs: PageCacheFs } {
    const k = this.disks.length;
    const fs = create(k * FDS_PER_DISK + 3);
    this.disks.push(fs);
    return { root: `${ROOT}${k}`, fs };
  }

  private at(path: string): PageCacheFs {
    const end = path.indexOf('/', ROOT.length);
    const fs = path.startsWith(ROOT) ? this.disks[Number(path.slice(ROOT.length, end < 0 ? undefined : end))] : undefined;
    if (fs === undefined) throw new Error(`${path} is on no simulated disk`);
    return fs;
  }

  private of(fd: number): PageCacheFs {
    const fs = this.disks[Math.floor(fd / FDS_PER_DISK)];
    if (fs === undefined) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
    return fs;
  }

  exists(path: string): boolean {
    return this.at(path).exists(path);
  }
  open(path: string, flags: OpenFlags): number {
    return this.at(path).open(path, flags);
  }
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    return this.of(fd).read(fd, buffer, offset, length, position);
  }
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    return this.of(fd).write(fd, buffer, offset, length, position);
  }
  size(fd: number): number {
    return this.of(fd).size(fd);
  }
  truncate(fd: number, length: number): void {
    this.of(fd).truncate(fd, length);
  }
  fsync(fd: number): void {
    this.of(fd).fsync(fd);
  }
  fsyncAsync(fd: number): Promise<void> {
    return this.of(fd).fsyncAsync(fd);
  }
  fdatasync(fd: number): Promise<void> {
    return this.of(fd).fdatasync(fd);
  }
  fdatasyncSync(fd: number): void {
    this.of(fd).fdatasyncSync(fd);
  }
  close(fd: number): void {
    this.of(fd).close(fd);
  }
  fsyncDir(dir: string): void {
    this.at(dir).fsyncDir(dir);
  }
  readFile(path: string): Buffer {
    return this.at(path).readFile(path);
  }
  writeFile(path: string, data: Buffer): void {
    this.at(path).writeFile(path, data);
  }
  rename(from: string, to: string): void {
    this.at(from).rename(from, to);
  }
  unlink(path: string): void {
    this.at(path).unlink(path);
  }
  remove(path: string): void {
    this.at(path).remove(path);
  }
  mkdir(dir: string): void {
    this.at(dir).mkdir(dir);
  }
  readdir(dir: string): string[] {
    return this.at(dir).readdir(dir);
  }
}

export interface FileDiskOptions extends MemoryDiskOptions {
  segmentBytes: number;
  indexIntervalBytes: number;
}

/** Every group's log is a PartitionLog in `<root>/<group>`, beside its raft.state. */
export class FileDisk extends SimDiskBase implements ReplicaDisk {
  private readonly fs: PageCacheFs;
  private readonly root: string;
  private readonly config: LogConfig;

  constructor(step: () => number, router: SimStorageFs, options: FileDiskOptions) {
    super(step, options.fsyncSteps);
    const beforeWrite = () => {
      if (this.full) throw ioError('ENOSPC', 'write');
    };
    ({ root: this.root, fs: this.fs } = router.add((fdBase) => new PageCacheFs(this.gate, { fdBase, beforeWrite })));
    this.config = logConfig({
      segmentBytes: options.segmentBytes,
      indexIntervalBytes: options.indexIntervalBytes,
      retentionMs: options.retentionMs,
      retentionBytes: options.retentionBytes,
      flush: { mode: 'group', intervalMs: 1000 },
    });
  }

  private dir(group: string): string {
    return `${this.root}/${group}`;
  }

  open(group: string, storageId: string, logger: LogLike, newStorageId: () => string, scrubQueue?: ScrubQueue): RaftLogStorage {
    const known = this.registry.holds(group);
    const storage = RaftLogStorage.open(this.dir(group), this.config, { storageId, logger, group, known, newStorageId, scrubQueue });
    // Recorded before the group runs, so before it can vote or acknowledge anything.
    this.registry.record(group);
    return storage;
  }

  reopen(group: string, old: RaftLogStorage, storageId: string, logger: LogLike, newStorageId: () => string): RaftLogStorage {
    old.detach();
    return new RaftLogStorage(old.log, new FileRaftStateStore(this.dir(group)), { storageId, logger, group, known: true, newStorageId });
  }

  powerLoss(rng: Rng, survivors?: number): string {
    let torn = 0;
    this.fs.powerLoss({
      // Most often the unsynced part of a file is gone; sometimes a prefix of it reached the disk.
      keep: (_path, pending) => {
        const keep = survivors ?? (rng.chance(0.3) ? rng.int(1, Math.min(pending, 3) + 1) : 0);
        if (keep > 0) torn++;
        return keep;
      },
      cut: (length) => (rng.chance(0.5) ? 0 : rng.int(0, length + 1)),
    });
    return torn > 0 ? `unsynced writes lost, a prefix of them kept in ${torn} files` : 'unsynced writes lost';
  }

  removeGroup(group: string): void {
    this.fs.remove(this.dir(group));
  }

  damageState(group: string, rng: Rng): string | null {
    return damageRaftState(this.fs, this.dir(group), rng);
  }

  damageLog(group: string, rng: Rng, segment: 'last' | 'sealed'): string | null {
    const dir = this.dir(group);
    if (!this.fs.exists(dir)) return null;
    // readdir sorts, and segment names are zero-padded base offsets: the last is the newest.
    const segments = this.fs.readdir(dir).filter((name) => name.endsWith('.log'));
    const candidates = (segment === 'last' ? segments.slice(-1) : segments.slice(0, -1)).filter((name) => this.fs.durableSize(`${dir}/${name}`) > 0);
    if (candidates.length === 0) return null;
    const path = `${dir}/${rng.pick(candidates)}`;
    const position = rng.int(0, this.fs.durableSize(path));
    const bit = rng.int(0, 8);
    this.fs.damageDurable(path, position, bit);
    return `flipped bit ${bit} of byte ${position} of ${path}`;
  }
}

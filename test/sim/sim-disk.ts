// A simulated broker's disk (replica-sim.ts): where its partition groups' storage lives across
// process incarnations, and what a disk may do wrong. The simulator decides when each fsync
// completes or fails (SyncGate); a power loss drops what no fsync covered; a bad sector flips a
// bit of synced data.
//
// ReplicaDisk is the seam: MemoryDisk keeps each group's log in a MemoryLog and its raft.state
// in the real FileRaftStateStore over a page-cache file system (test/helpers/page-cache-fs.ts).
// FileDisk (sim-file-disk.ts) runs the real segment log (PartitionLog over the page-cache file
// system) behind the same interface; the simulator does not change.

import { FileRaftStateStore, RAFT_STATE_FILE, SLOT_BYTES } from '../../src/partition/raft-state-store.ts';
import { RaftLogStorage } from '../../src/partition/raft-log-storage.ts';
import { MemoryReplicaRegistry } from '../../src/partition/replica-identity.ts';
import type { Rng } from '../../src/raft/index.ts';
import type { ScrubQueue } from '../../src/storage/scrub-queue.ts';
import type { LogLike } from '../../src/storage/log-config.ts';
import { MemoryLog, type MemoryLogOptions } from '../../src/storage/memory-log.ts';
import type { AppendResult } from '../../src/storage/log.ts';
import { SYNCED_MARK_FILE } from '../../src/storage/synced-mark.ts';
import { PageCacheFs, type SyncControl } from '../helpers/page-cache-fs.ts';
import type { MetaCheckpoint } from './meta-replica.ts';

export type SyncMode = 'ok' | 'slow' | 'fail';

/** The end of a log's synced-mark path (storage paths are absolute, so always after a slash). */
const SYNCED_MARK_SUFFIX = `/${SYNCED_MARK_FILE}`;

interface HeldSync {
  dueStep: number;
  resolve: () => void;
  /** Written in the background (a log's synced mark): no Ready round waits on it. */
  background: boolean;
}

/** The I/O error code of `err` or of the error it wraps (a PartitionLog fails with LogFailedError after an I/O error). */
export function ioCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code ?? e?.cause?.code;
}

export function ioError(code: 'EIO' | 'ENOSPC', what: string): Error {
  const text = code === 'EIO' ? 'i/o error' : 'no space left on device';
  return Object.assign(new Error(`${code}: ${text}, ${what}`), { code });
}

/**
 * The simulator's hand on one disk's fsyncs: 'ok' completes each after `latencySteps` simulator
 * steps (0: at once), 'slow' after `slowSteps`, 'fail' fails them (EIO). A crashed process's
 * held fsyncs never complete.
 */
export class SyncGate implements SyncControl {
  mode: SyncMode = 'ok';
  slowSteps = 0;
  failed = 0;
  private held: HeldSync[] = [];
  /** How many of `held` are not background ones. */
  private heldForeground = 0;

  constructor(
    private readonly step: () => number,
    private readonly latencySteps = 0,
  ) {}

  syncNow(): void {
    if (this.mode === 'fail') {
      this.failed++;
      throw ioError('EIO', 'fsync');
    }
  }

  syncLater(path?: string): Promise<void> {
    if (this.mode === 'fail') {
      this.failed++;
      return Promise.reject(ioError('EIO', 'fdatasync'));
    }
    const steps = this.mode === 'slow' ? this.slowSteps : this.latencySteps;
    if (steps === 0) return Promise.resolve();
    // basename() cost 1 % of a run here: every Raft round's fdatasync passes by.
    const background = path?.endsWith(SYNCED_MARK_SUFFIX) === true;
    if (!background) this.heldForeground++;
    return new Promise((resolve) => this.held.push({ dueStep: this.step() + steps, resolve, background }));
  }

  /** Whether an fsync is held back that its process's Ready loop waits on. */
  get holding(): boolean {
    // Asked for every broker on every microtask turn of a settle: counted, not searched.
    return this.heldForeground > 0;
  }

  /** Completes the held fsyncs that are due (all of them with `all`); returns how many. */
  release(all = false): number {
    if (this.held.length === 0) return 0;
    const now = this.step();
    const due = all ? this.held : this.held.filter((h) => h.dueStep <= now);
    if (due.length === 0) return 0;
    this.held = all ? [] : this.held.filter((h) => h.dueStep > now);
    for (const h of due) {
      if (!h.background) this.heldForeground--;
      h.resolve();
    }
    return due.length;
  }

  /** The process died: the fsyncs it waits on never return. */
  forget(): void {
    this.held = [];
    this.heldForeground = 0;
  }
}

/** One simulated broker's disk, as the replica simulator uses it. */
export interface ReplicaDisk {
  readonly gate: SyncGate;
  /** The node store (SQLite in a broker): each metadata-like group's saved state, durable when written. */
  readonly nodeStore: Map<string, MetaCheckpoint>;
  /** Appends fail with ENOSPC while set. */
  full: boolean;
  /**
   * Opens a group's storage as a starting broker does after any stop (recovery included, and
   * the node store's record that this disk holds the group, as ClusterReplicaManager.open);
   * throws where the broker would refuse to start. `newStorageId` names a replica found to have
   * lost its state.
   */
  open(group: string, storageId: string, logger: LogLike, newStorageId: () => string, scrubQueue?: ScrubQueue): RaftLogStorage;
  /**
   * A storage whose log found damage after open (B6), opened again over the same log, as
   * ClusterReplicaManager does: it takes the lost-state path. Only disks whose logs can find damage.
   */
  reopen?(group: string, old: RaftLogStorage, storageId: string, logger: LogLike, newStorageId: () => string): RaftLogStorage;
  /**
   * The machine lost power: what no fsync covered is gone, except (per log) the first
   * `survivors` unsynced batches (drawn when not given). Returns a note for the trace.
   */
  powerLoss(rng: Rng, survivors?: number): string;
  /** An operator removed one group's directory (log and raft.state). */
  removeGroup(group: string): void;
  /** Flips one bit of a group's synced raft.state; call after powerLoss(). Null if there is none. */
  damageState(group: string, rng: Rng): string | null;
  /**
   * Flips one bit of a group's synced segment data, in its last segment (which recovery scans
   * after a crash) or in a sealed one (loaded trusted, B6); call after powerLoss(). Null if there is none (or no segment files).
   */
  damageLog(group: string, rng: Rng, segment: 'last' | 'sealed'): string | null;
}

/** A MemoryLog whose appends fail while its disk is full. */
class SimMemoryLog extends MemoryLog {
  constructor(
    private readonly disk: { full: boolean },
    options: MemoryLogOptions,
  ) {
    super(options);
  }

  override append(batch: Buffer, term: number): AppendResult {
    if (this.disk.full) throw ioError('ENOSPC', 'write');
    return super.append(batch, term);
  }
}

export interface MemoryDiskOptions {
  retentionMs: number;
  retentionBytes: number;
  /** Simulator steps an fsync takes on a healthy disk. */
  fsyncSteps: number;
}

/** What every kind of simulated disk has: its fsync gate, its node store, whether it is full. */
export abstract class SimDiskBase {
  readonly gate: SyncGate;
  readonly nodeStore = new Map<string, MetaCheckpoint>();
  /** The node store's record of the groups this disk holds (durable when written, like SQLite). */
  protected readonly registry = new MemoryReplicaRegistry();
  full = false;

  constructor(step: () => number, fsyncSteps: number) {
    this.gate = new SyncGate(step, fsyncSteps);
  }
}

/** Logs in memory (MemoryLog), raft.state in the real file format on a page-cache file system. */
export class MemoryDisk extends SimDiskBase implements ReplicaDisk {
  private fs: PageCacheFs;
  private readonly logs = new Map<string, SimMemoryLog>();

  constructor(
    step: () => number,
    private readonly options: MemoryDiskOptions,
  ) {
    super(step, options.fsyncSteps);
    this.fs = new PageCacheFs(this.gate);
  }

  private dir(group: string): string {
    return `/data/${group}`;
  }

  open(group: string, storageId: string, logger: LogLike, newStorageId: () => string): RaftLogStorage {
    let log = this.logs.get(group);
    if (log === undefined) {
      const { retentionMs, retentionBytes } = this.options;
      log = new SimMemoryLog(this, { retentionMs, retentionBytes, fsync: () => this.gate.syncLater(), fsyncNow: () => this.gate.syncNow() });
      this.logs.set(group, log);
    }
    // Recovery keeps the tail the page cache still holds after a kill -9 and syncs it, as
    // PartitionLog.open does for a segment not known clean.
    this.gate.syncNow();
    log.crash(Infinity);
    const known = this.registry.holds(group);
    const storage = new RaftLogStorage(log, new FileRaftStateStore(this.dir(group), this.fs), { storageId, logger, group, known, newStorageId });
    // Recorded before the group runs, so before it can vote or acknowledge anything.
    this.registry.record(group);
    return storage;
  }

  powerLoss(rng: Rng, survivors?: number): string {
    const parts: string[] = [];
    for (const [group, log] of this.logs) {
      // Most often the unsynced tail is gone; sometimes a prefix of it reached the disk.
      const keep = survivors ?? (rng.chance(0.3) ? rng.int(1, 4) : 0);
      const lost = log.crash(keep);
      if (lost > 0 || keep > 0) parts.push(`${group}: lost ${lost} unsynced batches${keep > 0 ? `, kept up to ${keep}` : ''}`);
    }
    this.fs.powerLoss();
    return parts.length > 0 ? parts.join(', ') : 'nothing unsynced';
  }

  removeGroup(group: string): void {
    this.logs.delete(group);
    this.fs.remove(this.dir(group));
  }

  damageState(group: string, rng: Rng): string | null {
    return damageRaftState(this.fs, this.dir(group), rng);
  }

  /** A MemoryLog keeps no bytes to damage (and no recovery scan that would notice). */
  damageLog(): null {
    return null;
  }
}

/** Flips one bit of the synced raft.state in `dir` (a slot's header or body); null when there is none. */
export function damageRaftState(fs: PageCacheFs, dir: string, rng: Rng): string | null {
  const path = `${dir}/${RAFT_STATE_FILE}`;
  const size = fs.durableSize(path);
  if (size === 0) return null;
  // Hit a slot's header or body: the rest of a slot is padding nobody reads.
  const slot = rng.int(0, Math.ceil(size / SLOT_BYTES));
  const fd = fs.open(path, 'r+');
  const header = Buffer.alloc(24);
  fs.read(fd, header, 0, 24, slot * SLOT_BYTES);
  fs.close(fd);
  const used = Math.min(24 + header.readUInt32BE(16), SLOT_BYTES, size - slot * SLOT_BYTES);
  if (used <= 0) return null;
  const position = slot * SLOT_BYTES + rng.int(0, used);
  const bit = rng.int(0, 8);
  fs.damageDurable(path, position, bit);
  return `flipped bit ${bit} of byte ${position} of ${path} (slot ${slot})`;
}

// The Raft storage of the metadata group: a segment log and raft.state like a partition's
// (RaftLogStorage), plus real snapshots of the metadata state machine.
//
// A partition's state machine is its log, so its "snapshot" is only a point in the log. The
// metadata group's state machine is MetadataState, so its snapshots carry the serialised state:
//   - snapshot() is the latest snapshot stored (index, term, the configuration at that index, the
//     state as data), or index 0 before the first one. The core restarts from it (its
//     configuration plus the config entries after it) and sends it to a follower that needs
//     entries below the log start (InstallSnapshot, Raft §7).
//   - saveSnapshot(snap, compactTo), when the core asks (cluster.snapshot_entries), stores the
//     snapshot durably first and only then drops the entries up to compactTo
//     (= index - cluster.compaction_overhead): whole segments go, and the raft.state history
//     stays at one configuration (historyBase 'commit'), however many changes the log saw.
//   - applySnapshot(snap) (a follower receiving one) stores it durably, then restarts the log
//     empty after it. A crash in between leaves a stored snapshot the log does not hold: open
//     redoes the reset, as RaftLogStorage redoes an interrupted install.
// After a restart the state machine loads the snapshot and replays the log from its index to
// the commit index: entries applied after the last snapshot are never lost.

import type { Logger } from 'pino';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.ts';
import type { InitialState, Storage } from '../raft/storage.ts';
import { cloneConfState, EMPTY_CONF_STATE } from '../raft/storage.ts';
import { invariant } from '../base/invariant.ts';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.ts';
import { PartitionLog } from '../storage/partition-log.ts';
import { encodeSnapshotData, RaftLogStorage } from '../partition/raft-log-storage.ts';
import { FileRaftStateStore } from '../partition/raft-state-store.ts';
import type { HostStorage } from '../raft-host/raft-host.ts';
import { metadataGroupName } from './metadata-group.ts';

export interface MetadataLogStorageOptions {
  storageId: string;
  logger: Logger;
  /** A snapshot larger than this cannot reach a follower (one transport frame). */
  sendableBytesMax: number;
  config?: LogConfig;
  /** runnel.db records that this node held the group (RaftLogStorage's `known`). */
  known?: boolean;
}

/** Where the metadata snapshot lives (the node store's SQLite in a broker). */
export interface MetadataSnapshotStore {
  load(): Snapshot | undefined;
  /** Replaces the stored snapshot; durable when it returns. */
  save(snapshot: Snapshot): void;
}

/**
 * The metadata log's segments. Small, so that compaction, which deletes whole segments, keeps
 * the log near (snapshot_entries + compaction_overhead) entries: about 1 MiB of commands per
 * thousand topics created.
 */
export const METADATA_SEGMENT_BYTES = 1024 * 1024;

export const METADATA_LOG_CONFIG: LogConfig = {
  segmentBytes: METADATA_SEGMENT_BYTES,
  indexIntervalBytes: 4096,
  // Compaction behind snapshots, never time or size, removes metadata entries.
  retentionMs: -1,
  retentionBytes: -1,
  flush: { mode: 'group', intervalMs: 1000 },
  recoveryPointIntervalMs: DEFAULT_LOG_CONFIG.recoveryPointIntervalMs,
};

const NO_SNAPSHOT: Snapshot = { index: 0, term: 0, confState: EMPTY_CONF_STATE, data: new Uint8Array(0) };

export class MetadataLogStorage implements Storage, HostStorage {
  readonly inner: RaftLogStorage;
  private readonly store: MetadataSnapshotStore;
  private readonly logger: Logger;
  /** A snapshot larger than this cannot reach a follower (one transport frame); warned about. */
  private readonly sendableBytesMax: number;
  private latest: Snapshot;
  /** The highest commit index known durable in raft.state (what a restart replays to). */
  private durableCommit: number;

  constructor(inner: RaftLogStorage, store: MetadataSnapshotStore, options: { logger: Logger; sendableBytesMax: number }) {
    this.inner = inner;
    this.store = store;
    this.logger = options.logger;
    this.sendableBytesMax = options.sendableBytesMax;
    this.latest = store.load() ?? NO_SNAPSHOT;
    this.repairAfterInstall();
    this.durableCommit = inner.getHardState().commit;
  }

  static open(dir: string, store: MetadataSnapshotStore, options: MetadataLogStorageOptions): MetadataLogStorage {
    const inner = RaftLogStorage.open(dir, options.config ?? METADATA_LOG_CONFIG, {
      storageId: options.storageId,
      logger: options.logger,
      group: metadataGroupName,
      known: options.known,
      historyBase: 'commit',
    });
    return new MetadataLogStorage(inner, store, options);
  }

  /**
   * The group's storage opened again over the same log after the log found damage to synced data
   * while running (its scrub or a read, B6; the host has stopped the group), as a restart would
   * open it: the damage makes RaftLogStorage take the lost-state path (a new storage id, the log
   * restarted), so the replica never votes as its old self and is added back by the controller.
   * `applied` is a snapshot of the state this replica applied (committed entries only), stored
   * first when newer than the stored one: the log restarts after it, so the state machine keeps
   * what it applied instead of going back to an older snapshot. This object is done with.
   */
  reopenAfterDamage(applied: Snapshot, options: MetadataLogStorageOptions): MetadataLogStorage {
    const log = this.inner.log;
    invariant(log.damage !== null, 'the metadata log is reopened only after damage');
    invariant(log instanceof PartitionLog, 'a metadata log that finds damage is a file log');
    if (applied.index > this.latest.index) this.keep(applied, applied.data);
    this.inner.detach();
    const inner = new RaftLogStorage(log, new FileRaftStateStore(log.dir), {
      storageId: options.storageId,
      logger: options.logger,
      group: metadataGroupName,
      known: true,
      historyBase: 'commit',
    });
    return new MetadataLogStorage(inner, this.store, options);
  }

  /** The group's storage id (RaftLogStorage: the disk's, or a new one after lost state). */
  get storageId(): string {
    return this.inner.storageId;
  }

  /** Why open found the group's Raft state lost, or null (RaftLogStorage.lostReason). */
  get lostReason(): string | null {
    return this.inner.lostReason;
  }

  /**
   * The stored snapshot is durable before the log changes (compaction or an install's reset),
   * so the log either holds the snapshot's last entry or a crash interrupted an install.
   */
  private repairAfterInstall(): void {
    const snap = this.latest;
    if (snap.index === 0 || this.inner.term(snap.index) === snap.term) return;
    invariant(
      snap.index >= this.inner.firstIndex() - 1,
      `the metadata log was compacted to ${this.inner.firstIndex() - 1}, beyond its snapshot at ${snap.index}`,
    );
    // Its Raft state lost (it starts empty under a new storage id), the replica still has the
    // snapshot, which holds only committed entries: it starts from there.
    const lost = this.inner.lostReason;
    this.logger.warn(
      { index: snap.index, term: snap.term, lostState: lost },
      lost === null ? 'redoing an interrupted metadata snapshot install' : 'metadata log restarts after the stored snapshot',
    );
    this.resetLogTo(snap);
  }

  // ---------------------------------------------------------------- Storage (read side)

  initialState(): InitialState {
    return this.inner.initialState();
  }

  getHardState(): HardState {
    return this.inner.getHardState();
  }

  firstIndex(): number {
    return this.inner.firstIndex();
  }

  lastIndex(): number {
    return this.inner.lastIndex();
  }

  term(i: number): number | undefined {
    return this.inner.term(i);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.inner.entries(lo, hi, maxBytes);
  }

  snapshot(): Snapshot {
    return this.latest;
  }

  confStateAt(index: number): ConfState {
    return this.inner.confStateAt(index);
  }

  /** Bytes of the log's segment files (what compaction bounds). */
  get logBytes(): number {
    return this.inner.log.sizeBytes;
  }

  // ---------------------------------------------------------------- write side (the host)

  bootstrap(confState: ConfState): void {
    this.inner.bootstrap(confState);
  }

  append(entries: readonly Entry[]): void {
    this.inner.append(entries);
  }

  setHardState(hs: HardState): void {
    this.inner.setHardState(hs);
  }

  async sync(): Promise<void> {
    const stored = this.inner.storedCommitIndex;
    await this.inner.sync();
    this.durableCommit = Math.max(this.durableCommit, stored);
  }

  /**
   * The state machine acts on an applied command at once (a replica manager creates or deletes a
   * partition's log), so a restart must replay at least that far: the commit index covering
   * `index` is made durable first. A commit-only hard state is otherwise not fsynced, and one
   * written in the round that appended its entries stops below them (RaftLogStorage, "the
   * stored commit index is a sync point"); both cases cost one more fsync of raft.state.
   */
  async beforeApply(index: number): Promise<void> {
    if (this.durableCommit >= index) return;
    // The entries are synced by now, so the commit can be recorded in full.
    this.inner.setHardState(this.inner.getHardState());
    await this.sync();
    invariant(this.durableCommit >= index, `metadata commit ${this.durableCommit} durable, below applied entry ${index}`);
  }

  /** A snapshot the state machine just took at `snap.index` (applied here): store it, then compact. */
  saveSnapshot(snap: Snapshot, compactTo: number): void {
    if (snap.index <= this.latest.index) return;
    this.keep(snap, snap.data);
    this.inner.compactTo(Math.min(compactTo, snap.index));
    this.logger.info({ index: snap.index, bytes: snap.data.length, firstIndex: this.firstIndex(), logBytes: this.logBytes }, 'metadata snapshot taken');
  }

  /** A leader's snapshot (this replica is behind its log start): store it, then restart the log after it. */
  applySnapshot(snap: Snapshot): void {
    invariant(snap.data.length > 0, `metadata snapshot ${snap.index} carries no state`);
    // The data is a view into the transport frame it arrived in: keep a copy, not the frame.
    this.keep(snap, Uint8Array.from(snap.data));
    this.resetLogTo(snap);
    // The install recorded commit = snap.index with a synchronous fsync.
    this.durableCommit = Math.max(this.durableCommit, snap.index);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private keep(snap: Snapshot, data: Uint8Array): void {
    const copy: Snapshot = { index: snap.index, term: snap.term, confState: cloneConfState(snap.confState), data };
    this.store.save(copy);
    this.latest = copy;
    if (copy.data.length > this.sendableBytesMax) {
      this.logger.warn(
        { index: copy.index, bytes: copy.data.length, limitBytes: this.sendableBytesMax },
        'metadata snapshot is larger than one transport frame: a follower behind the log start cannot receive it',
      );
    }
  }

  private resetLogTo(snap: Snapshot): void {
    // Offsets in the metadata log mean nothing outside it; restarting at the old log end keeps
    // segment names increasing.
    const offset = this.inner.log.logEndOffset;
    this.inner.applySnapshot({ ...snap, data: encodeSnapshotData({ offset, logStartOffset: offset }) });
  }
}

// The Raft Storage of a partition group over its segment log (docs/storage.md, "The
// partition log as the Raft log"). One entry = one RecordBatch (raft-entry-codec.ts);
// the log translates Raft indexes to offsets; the small durable state (hard state,
// configuration history, installed snapshot point) lives in a RaftStateStore.
//
// Snapshots. The state machine of a partition group IS its log, so there is nothing to
// serialise and compaction is retention / DeleteRecords:
//   - snapshot() is the *restart point*: index S = max(checkpoint, firstIndex - 1), where
//     the checkpoint is the last persisted commit index. The core's constructor scans the
//     entries after the snapshot for config entries, so this keeps that scan to the
//     uncommitted tail. Everything up to S is in the local log, so it is a true snapshot
//     of this replica's state machine.
//   - logStartSnapshot() is what a lagging follower must receive: index firstIndex - 1,
//     whose data carries the offset where the follower's log restarts. The host puts it
//     in place of `message.snapshot` in outgoing 'snap' messages; a snapshot at S would
//     make the follower skip entries firstIndex..S that the leader still retains. The
//     leader's progress accepts the lower index (match + 1 >= firstIndex: replicate).
//   - applySnapshot(snap) records the snapshot point durably, then resets the log to
//     start empty at the snapshot's offset with Raft index snap.index + 1.
//   - A partition may keep state derived from its log that the receiver cannot rebuild once
//     its log restarts (the consumer groups of __consumer_offsets): an attached SnapshotState
//     rides in the snapshot's data, opaque here, and is installed before the log restarts.
//
// The stored commit index is a sync point. setHardState() records at most the entries an earlier
// sync() covered (the in-memory commit may include entries of the same round, whose fsync runs
// beside the state's), so after any crash every entry at or below the stored commit was synced
// (as the log's flush policy promises; with 'group', on disk): missing or damaged there is
// damage, never a torn tail (issue 9 item 3). Open
// treats such damage, and a raft.state that is gone while the replica existed, as lost state:
// the replica starts empty under a new group-level storage id (replica-identity.ts).

import type { ConfChange, ConfState, Entry, HardState, Snapshot } from '../raft/types.ts';
import type { InitialState, Storage } from '../raft/storage.ts';
import { Membership, decodeConfChange } from '../raft/membership.ts';
import { bootstrapEntries, cloneConfState, EMPTY_CONF_STATE, firstNewEntry } from '../raft/storage.ts';
import { entrySize } from '../raft/entry-size.ts';
import { invariant } from '../base/invariant.ts';
import type { LogDamage } from '../storage/errors.ts';
import type { ScrubQueue } from '../storage/scrub-queue.ts';
import { MemoryLog } from '../storage/memory-log.ts';
import { PartitionLog } from '../storage/partition-log.ts';
import { SILENT_LOGGER, type LogConfig, type LogLike } from '../storage/log-config.ts';
import type { RaftIndexedLog } from '../storage/log.ts';
import { decodeEntry, encodeEntry } from './raft-entry-codec.ts';
import { FileRaftStateStore, MemoryRaftStateStore, raftLogOpenOptions, type PersistedRaftState, type RaftStateStore } from './raft-state-store.ts';
import { belongsToNode, newGroupStorageId } from './replica-identity.ts';

export interface RaftLogStorageOptions {
  /** This disk's storage id (the node store's). The group's own id is it or `<it>/<suffix>`. */
  storageId: string;
  logger?: LogLike;
  /** The group's name, for log lines. */
  group?: string;
  /** The node store records that this disk holds a replica of the group: a missing raft.state was lost. */
  known?: boolean;
  /** The id for a replica whose state was lost (default: newGroupStorageId(storageId)). */
  newStorageId?: () => string;
  /**
   * How far back the persisted configuration history reaches. 'logStart' (a partition group):
   * to the log start, because logStartSnapshot() must name the configuration there. 'commit'
   * (the metadata group): to the commit index, except the newest COMMIT_HISTORY_CHANGES_KEPT
   * changes (replacementFor reads recent removals), because that group's snapshots carry their
   * own configuration and the core rebuilds the rest from the log after the snapshot; raft.state
   * then stays small however many changes the log has seen.
   */
  historyBase?: 'logStart' | 'commit';
  /** The queue of the log's background CRC scrub (open only; default the process's). */
  scrubQueue?: ScrubQueue;
}

/** Committed config changes a 'commit' history keeps unfolded (a disk replacement takes two). */
const COMMIT_HISTORY_CHANGES_KEPT = 16;

/** What a partition snapshot carries: where the receiver's log restarts. */
export interface PartitionSnapshotData {
  /** Offset of entry snapshot.index + 1 (the receiver's new log end and start). */
  offset: number;
  /** The sender's log start offset (>= offset when DeleteRecords cut into that entry). */
  logStartOffset: number;
  /**
   * Raft-only batches below `offset` on the sender: the receiver's Kafka offset translation base
   * (docs/storage.md, "Kafka offsets"), so it translates as the others do. Absent from an older
   * sender: 0.
   */
  raftOnlyBefore?: number;
  /** The sender's SnapshotState, when the partition has one. */
  state?: string;
}

/** State derived from a partition's log that a snapshot must carry (see the file comment). */
export interface SnapshotState {
  /** The state now, covering at least the log start; undefined when this replica cannot vouch for it. */
  capture(): string | undefined;
  /** A snapshot's state, before the log restarts at `offset`: durable when it returns; never throws. */
  install(state: string | undefined, offset: number): void;
}

const NO_LIMIT = Number.MAX_SAFE_INTEGER;
/**
 * Recently appended entries kept in memory, up to this many bytes of entry data: the core
 * reads each entry back soon after writing it (to apply it once committed, and on a leader to
 * send it to followers), and serving those reads from memory saves a disk read and a copy per
 * entry (a follower spent 13% of its CPU re-reading committed batches, docs/benchmarks.md).
 */
const RECENT_ENTRIES_BYTES_MAX = 8 * 1024 * 1024;

export function encodeSnapshotData(d: PartitionSnapshotData): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ offset: d.offset, logStartOffset: d.logStartOffset, raftOnlyBefore: d.raftOnlyBefore, state: d.state }));
}

/**
 * The group a log's founding entries name (their context), read from entry 1: null for a log
 * founded without one (before topic ids); undefined when the log cannot tell (empty, or entry 1
 * is gone to retention or a snapshot install).
 */
export function foundingGroup(log: RaftIndexedLog): string | null | undefined {
  // A damaged log starts over (the lost-state path), and its entry 1 may be the damaged one.
  if (log.damage !== null) return undefined;
  if (log.firstRaftIndex !== 1 || log.lastRaftIndex < 1) return undefined;
  const [first] = log.entries(1, 2, NO_LIMIT);
  const entry = decodeEntry(first.index, first.term, first.batch);
  if (entry.type !== 'config') return undefined;
  return decodeConfChange(entry.data).context ?? null;
}

export function decodeSnapshotData(data: Uint8Array): PartitionSnapshotData {
  const v = JSON.parse(new TextDecoder().decode(data)) as PartitionSnapshotData;
  invariant(Number.isSafeInteger(v.offset) && v.offset >= 0 && Number.isSafeInteger(v.logStartOffset), 'malformed partition snapshot data');
  invariant(v.state === undefined || typeof v.state === 'string', 'malformed partition snapshot data: state');
  invariant(
    v.raftOnlyBefore === undefined || (Number.isSafeInteger(v.raftOnlyBefore) && v.raftOnlyBefore >= 0),
    'malformed partition snapshot data: raftOnlyBefore',
  );
  return v;
}

/** Who wants to know what the log holds (the partition's producer state, derived from it). */
export interface LogObserver {
  /** A batch was appended at `baseOffset` (every entry type; control batches included). */
  appended(batch: Buffer, baseOffset: number): void;
  /** Entries were removed or the log restarted (truncation, snapshot install): rederive. */
  reset(): void;
}

export class RaftLogStorage implements Storage {
  readonly log: RaftIndexedLog;
  private readonly store: RaftStateStore;
  private readonly logger: LogLike;
  private state: PersistedRaftState;
  private observer: LogObserver | null = null;
  private snapshotState: SnapshotState | null = null;
  /** Contiguous recently appended entries, oldest first from recentHead (see RECENT_ENTRIES_BYTES_MAX). */
  private recent: Entry[] = [];
  private recentHead = 0;
  private recentBytes = 0;
  /** Config entries after state.checkpointIndex (uncommitted when written), in order. */
  private tailChanges: { index: number; cc: ConfChange }[] = [];
  /** Why open found this replica's earlier state lost (it then started empty under a new id), or null. */
  readonly lostReason: string | null;
  /** The commit index in the last state written (at most the durable entries; see the file comment). */
  private storedCommit: number;
  /** The configuration checkpoint in the last state made durable: retention stays at or below it. */
  private syncedCheckpointIndex: number;
  /** The last entry a completed sync() covered (found on disk at open counts: recovery synced it). */
  private syncedIndex = 0;
  /** Bumped when entries are removed, so a sync() that ran across it does not vouch for their replacements. */
  private truncations = 0;
  private readonly historyBase: 'logStart' | 'commit';

  constructor(log: RaftIndexedLog, store: RaftStateStore, options: RaftLogStorageOptions) {
    this.log = log;
    this.store = store;
    this.logger = options.logger ?? SILENT_LOGGER;
    invariant(options.storageId !== '', 'a storage id is required');
    const group = options.group ?? null;
    this.historyBase = options.historyBase ?? 'logStart';
    const loaded = store.load();
    let lost = lostAtOpen(log, store, loaded, options);
    if (lost === null && loaded !== null) {
      this.state = loaded;
      this.repairAfterInstall();
      const commit = loaded.hardState.commit;
      // Every entry at or below the stored commit was synced; the log no longer has them.
      if (commit > log.lastRaftIndex) lost = `entries up to the stored commit index ${commit} are gone (the log ends at ${log.lastRaftIndex})`;
    }
    if (lost !== null) {
      this.state = freshState((options.newStorageId ?? (() => newGroupStorageId(options.storageId)))());
      // The new identity is durable before the old entries go: a crash in between leaves a
      // replica that is already not its old self.
      store.saveNow(this.state);
      log.resetTo({ offset: 0, raftIndex: 1, prevTerm: 0 });
      this.logger.warn(
        { group, reason: lost, storageId: this.state.storageId },
        'replica lost its Raft state: starting empty under a new storage id, to be added back as a new member',
      );
    } else if (loaded !== null && neverAcknowledged(loaded, log)) {
      this.state = loaded;
      this.logger.warn(
        { group, lastIndex: log.lastRaftIndex },
        'dropping log entries no durable term covers (a founding torn by a power loss): nothing of them was acknowledged',
      );
      log.resetTo({ offset: 0, raftIndex: 1, prevTerm: 0 });
    } else if (loaded === null) {
      this.state = freshState(options.storageId);
      store.saveNow(this.state);
    } else {
      this.state = loaded;
    }
    this.lostReason = lost;
    const state = this.state;
    const first = log.firstRaftIndex;
    if (state.hardState.commit < first - 1) {
      // Retention may delete up to the in-memory commit, which a commit-only hard state does not
      // fsync; after a power loss the stored commit can lie below the log start. Everything
      // before the log start was committed, so the commit is the log start - 1 (issue 9 item 5).
      this.logger.warn({ group, commit: state.hardState.commit, firstIndex: first }, 'raft commit index below the log start; raised');
      state.hardState = { ...state.hardState, commit: first - 1 };
      state.checkpointIndex = Math.max(state.checkpointIndex, first - 1);
      this.foldHistory();
      store.save(state);
    }
    this.storedCommit = state.hardState.commit;
    this.syncedCheckpointIndex = state.checkpointIndex;
    this.syncedIndex = log.lastRaftIndex;
    // Config entries after the checkpoint were not persisted in the history: find them.
    // The checkpoint follows the commit index, so this reads the uncommitted tail only.
    const from = Math.max(this.state.checkpointIndex + 1, log.firstRaftIndex);
    for (let next = from; next <= log.lastRaftIndex; ) {
      const batch = log.entries(next, log.lastRaftIndex + 1, NO_LIMIT);
      for (const b of batch) {
        const e = decodeEntry(b.index, b.term, b.batch);
        if (e.type === 'config') this.tailChanges.push({ index: e.index, cc: decodeConfChange(e.data) });
      }
      next += batch.length;
    }
  }

  /** The commit index in the last state written (durable once a sync() that started after it ends). */
  get storedCommitIndex(): number {
    return this.storedCommit;
  }

  /** A file-backed storage over the partition directory `dir`. */
  static open(dir: string, config: LogConfig, options: RaftLogStorageOptions): RaftLogStorage {
    const log = PartitionLog.open(dir, config, options.logger, { ...raftLogOpenOptions(dir), scrubQueue: options.scrubQueue });
    return new RaftLogStorage(log, new FileRaftStateStore(dir), options);
  }

  /** An in-memory storage (MemoryLog + memory state) for tests and the simulator. */
  static inMemory(storageId: string): RaftLogStorage {
    return new RaftLogStorage(new MemoryLog(), new MemoryRaftStateStore(), { storageId });
  }

  /**
   * Calls `listener` when the log finds damage to synced data after open (its scrub, or a read of
   * a segment not yet CRC-checked; B6): the group must stop, and the replica be opened again,
   * which then takes the lost-state path. Returns the unsubscribe. Logs that cannot find damage
   * after open (in memory) never call it.
   */
  onDamage(listener: (damage: LogDamage) => void): () => void {
    return this.log.onDamage?.(listener) ?? (() => undefined);
  }

  observe(observer: LogObserver): void {
    this.observer = observer;
  }

  /** Attaches the partition's SnapshotState; before the group runs, so no snapshot arrives without it. */
  attachState(state: SnapshotState): void {
    this.snapshotState = state;
  }

  get storageId(): string {
    return this.state.storageId;
  }

  /**
   * A crash may come between recording an installed snapshot and resetting the log (or
   * in the middle of the reset): redo the reset when the log does not reach that point.
   */
  private repairAfterInstall(): void {
    const s = this.state.installed;
    if (s === null) return;
    const log = this.log;
    const holds = log.lastRaftIndex >= s.index && (log.firstRaftIndex - 1 > s.index || log.termAtRaftIndex(s.index) === s.term);
    if (holds) return;
    this.logger.warn({ index: s.index, term: s.term, offset: s.offset }, 'redoing an interrupted snapshot install');
    log.resetTo({ offset: s.offset, raftIndex: s.index + 1, prevTerm: s.term, raftOnlyBefore: s.raftOnlyBefore ?? 0 });
  }

  // ---------------------------------------------------------------- Storage (read side)

  initialState(): InitialState {
    return { hardState: { ...this.state.hardState }, storageId: this.state.storageId };
  }

  getHardState(): HardState {
    return { ...this.state.hardState };
  }

  firstIndex(): number {
    return this.log.firstRaftIndex;
  }

  lastIndex(): number {
    return this.log.lastRaftIndex;
  }

  term(i: number): number | undefined {
    return this.log.termAtRaftIndex(i);
  }

  /** Same contract and byte rule as MemoryStorage.entries: at least one, then while the entry sizes fit. */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    invariant(
      lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi,
      () => `storage.entries(${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex() + 1})`,
    );
    const out: Entry[] = [];
    let bytes = 0;
    const cachedFrom = this.recentHead < this.recent.length ? this.recent[this.recentHead].index : Infinity;
    if (lo >= cachedFrom && lo < hi) {
      // The cache ends at the last index, so [lo, hi) is all in it.
      const base = this.recentHead - cachedFrom;
      for (let i = lo + base; i < hi + base; i++) {
        const e = this.recent[i];
        bytes += entrySize(e);
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(e);
      }
      return out;
    }
    // Each round reads at least one batch, so at most hi - lo rounds.
    for (let next = lo; next < hi; ) {
      const budget = maxBytes === NO_LIMIT ? NO_LIMIT : Math.max(0, maxBytes - bytes);
      const batches = this.log.entries(next, hi, budget);
      for (const b of batches) {
        const e = decodeEntry(b.index, b.term, b.batch);
        bytes += entrySize(e);
        if (out.length > 0 && bytes > maxBytes) return out;
        out.push(e);
      }
      next += batches.length;
    }
    return out;
  }

  /** The restart point (see the file comment): short config scans for the core's constructor. */
  snapshot(): Snapshot {
    const index = Math.max(this.state.checkpointIndex, this.firstIndex() - 1);
    return this.snapshotAt(index);
  }

  /** The snapshot to send a follower that is behind the log start (see the file comment). */
  logStartSnapshot(): Snapshot {
    return this.snapshotAt(Math.max(this.firstIndex() - 1, this.state.confBase.index), this.snapshotState?.capture());
  }

  private snapshotAt(index: number, state?: string): Snapshot {
    const term = this.log.termAtRaftIndex(index);
    invariant(term !== undefined, () => `term of snapshot index ${index} is known`);
    const offset = this.log.offsetAfterRaftIndex(index);
    return {
      index,
      term,
      confState: this.confStateAt(index),
      data: encodeSnapshotData({ offset, logStartOffset: this.log.logStartOffset, raftOnlyBefore: this.log.kafkaOffsets.deltaAt(offset), state }),
    };
  }

  /** The configuration in force after entry `index` (>= the history base). */
  confStateAt(index: number): ConfState {
    const base = this.state.confBase;
    invariant(index >= base.index, () => `configuration at ${index} is older than the history base ${base.index}`);
    let m = Membership.fromConfState(base.confState);
    for (const c of this.state.confChanges) {
      if (c.index > index) return m.toConfState();
      m = m.apply(c.cc);
    }
    for (const c of this.tailChanges) {
      if (c.index > index) break;
      m = m.apply(c.cc);
    }
    return m.toConfState();
  }

  // ---------------------------------------------------------------- write side (the host, from Ready)

  /**
   * Writes the configuration of a brand-new group as committed config entries
   * (MemoryStorage.bootstrap); `context` names the group in each of them (foundingGroup).
   */
  bootstrap(confState: ConfState, context?: string): void {
    invariant(this.lastIndex() === 0, 'bootstrap on a storage that already has entries');
    const ents = bootstrapEntries(confState, context);
    this.append(ents);
    // Durable before the group runs (bug B5): a founder that writes nothing else for a while
    // (no leader yet) must not lose a torn part of its founding to a power loss and come back
    // with a configuration naming itself alone. The entries first, then the hard state that
    // commits them: a power loss between the two leaves entries under a durable term 0, which
    // open drops (neverAcknowledged), so the founder founds again with the same bytes.
    this.log.flushSync();
    this.syncedIndex = this.lastIndex();
    const { state, durable } = this.recordHardState({ term: 1, vote: 0, commit: ents.length });
    this.store.saveNow(state);
    this.storedCommit = durable;
    this.syncedCheckpointIndex = this.state.checkpointIndex;
  }

  /** Appends entries, replacing any conflicting suffix (Raft §5.3); durable after sync(). */
  append(entries: readonly Entry[]): void {
    let start = firstNewEntry(entries, this.firstIndex());
    if (start < 0) return;
    // Entries already here with the same index and term are the same entries (Raft §5.3, log
    // matching): a write retried after it failed part-way (a full disk, RaftHost) skips them.
    // The core hands out only new entries otherwise, so this skips nothing then.
    while (start < entries.length && entries[start].index <= this.lastIndex() && this.term(entries[start].index) === entries[start].term) start++;
    if (start === entries.length) return;
    const from = entries[start].index;
    invariant(from <= this.lastIndex() + 1, () => `storage.append: gap, last ${this.lastIndex()}, got ${from}`);
    if (from <= this.lastIndex()) {
      invariant(
        from > this.state.hardState.commit,
        () => `storage.append: truncation at ${from} would remove committed entries (commit ${this.state.hardState.commit})`,
      );
      this.log.truncateToRaftIndex(from);
      this.syncedIndex = Math.min(this.syncedIndex, from - 1);
      this.truncations++;
      while (this.tailChanges.length > 0 && this.tailChanges[this.tailChanges.length - 1].index >= from) this.tailChanges.pop();
      while (this.recent.length > this.recentHead && this.recent[this.recent.length - 1].index >= from) this.recentBytes -= entrySize(this.recent.pop()!);
      this.observer?.reset();
    }
    for (let k = start; k < entries.length; k++) {
      const e = entries[k];
      invariant(e.index === this.log.lastRaftIndex + 1, () => `entry ${e.index} follows ${this.log.lastRaftIndex}`);
      const batch = encodeEntry(e);
      const appended = this.log.append(batch, e.term);
      this.observer?.appended(batch, appended.baseOffset);
      this.remember(e, batch);
      if (e.type === 'config') this.tailChanges.push({ index: e.index, cc: decodeConfChange(e.data) });
    }
  }

  /** Keeps the entry as entries() would read it back (the stored batch for a normal entry). */
  private remember(e: Entry, batch: Buffer): void {
    const cached: Entry =
      e.type === 'config' || e.data.length === 0
        ? { index: e.index, term: e.term, type: e.type, data: e.data }
        : { index: e.index, term: e.term, type: 'normal', data: batch };
    this.recent.push(cached);
    this.recentBytes += entrySize(cached);
    while (this.recentBytes > RECENT_ENTRIES_BYTES_MAX && this.recent.length - this.recentHead > 1)
      this.recentBytes -= entrySize(this.recent[this.recentHead++]);
    // Drop the evicted slots now and then, so eviction stays O(1) per entry on average.
    if (this.recentHead > 1024 && this.recentHead * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  /**
   * Records the hard state (durable after sync()). What is written as the commit index, and
   * the configuration checkpoint that follows it, stop at the entries the log has made durable
   * (see the file comment); getHardState() answers the commit as set. Committed config entries
   * move into the persisted history, and history older than the log start folds into its base.
   */
  setHardState(hs: HardState): void {
    const { state, durable } = this.recordHardState(hs);
    this.store.save(state);
    // Only once written: a write refused (a full disk) is retried with the same hard state.
    this.storedCommit = durable;
  }

  /** setHardState() without the write: the state to store, and the commit index it holds. */
  private recordHardState(hs: HardState): { state: PersistedRaftState; durable: number } {
    invariant(hs.commit <= this.lastIndex(), () => `commit ${hs.commit} beyond the last index ${this.lastIndex()}`);
    const st = this.state;
    st.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    const durable = Math.max(Math.min(hs.commit, this.syncedIndex, this.lastIndex()), this.firstIndex() - 1, this.storedCommit);
    if (durable > st.checkpointIndex) {
      while (this.tailChanges.length > 0 && this.tailChanges[0].index <= durable) st.confChanges.push(this.tailChanges.shift()!);
      st.checkpointIndex = durable;
    }
    this.foldHistory();
    return { state: durable === hs.commit ? st : { ...st, hardState: { ...st.hardState, commit: durable } }, durable };
  }

  /**
   * Where retention may delete up to (exclusive), given the high watermark: also no further than
   * the configuration checkpoint already made durable, so a power loss can never leave config
   * entries that were deleted from the log and not yet recorded in the history (issue 9 item 5).
   */
  retentionBoundOffset(highWatermark: number): number {
    const index = Math.min(Math.max(this.syncedCheckpointIndex, this.firstIndex() - 1), this.lastIndex());
    return Math.min(highWatermark, this.log.offsetAfterRaftIndex(index));
  }

  /**
   * The storage id the last removal of `nodeId` in the configuration history named as its
   * replacement (a removeNode's storageId, see cluster-node.ts replaceDisks), if still known.
   */
  replacementFor(nodeId: number): string | undefined {
    const history = [...this.state.confChanges, ...this.tailChanges];
    for (let k = history.length - 1; k >= 0; k--) {
      const cc = history[k].cc;
      if (cc.nodeId !== nodeId) continue;
      return cc.type === 'removeNode' && cc.storageId !== '' ? cc.storageId : undefined;
    }
    return undefined;
  }

  /** Folds config changes below the history base (see RaftLogStorageOptions) into one configuration. */
  private foldHistory(): void {
    const st = this.state;
    if (this.historyBase === 'commit') {
      // Every change in the history is committed (up to the checkpoint): keep only the newest.
      const folded = st.confChanges.length - COMMIT_HISTORY_CHANGES_KEPT;
      if (folded <= 0) return;
      let conf = Membership.fromConfState(st.confBase.confState);
      for (const c of st.confChanges.splice(0, folded)) conf = conf.apply(c.cc);
      const base = st.confChanges[0].index - 1;
      st.confBase = { index: Math.max(st.confBase.index, base), confState: conf.toConfState() };
      return;
    }
    const foldTo = Math.min(this.firstIndex() - 1, st.checkpointIndex);
    if (foldTo <= st.confBase.index) return;
    let m = Membership.fromConfState(st.confBase.confState);
    while (st.confChanges.length > 0 && st.confChanges[0].index <= foldTo) m = m.apply(st.confChanges.shift()!.cc);
    st.confBase = { index: foldTo, confState: m.toConfState() };
  }

  /** Makes everything appended and recorded so far durable (one fdatasync per file touched). */
  async sync(): Promise<void> {
    const checkpoint = this.state.checkpointIndex;
    const last = this.lastIndex();
    const truncations = this.truncations;
    await Promise.all([this.log.flush(), this.store.sync()]);
    if (checkpoint > this.syncedCheckpointIndex) this.syncedCheckpointIndex = checkpoint;
    if (truncations === this.truncations && last > this.syncedIndex) this.syncedIndex = Math.min(last, this.lastIndex());
  }

  /**
   * Installs a leader's snapshot: this replica's log restarts empty at the snapshot's
   * offset. The snapshot point is made durable before the log is reset, so a crash in
   * between is repaired at the next open.
   */
  applySnapshot(snap: Snapshot): void {
    const data = decodeSnapshotData(snap.data);
    const st = this.state;
    invariant(snap.index >= st.hardState.commit, () => `snapshot ${snap.index} below commit ${st.hardState.commit}`);
    // The derived state first: a crash before the log restarts leaves it ahead of the log, which
    // replay tolerates; the other order would leave a log start that no state covers.
    this.snapshotState?.install(data.state, data.offset);
    const raftOnlyBefore = data.raftOnlyBefore ?? 0;
    st.installed = { index: snap.index, term: snap.term, offset: data.offset, raftOnlyBefore };
    st.confBase = { index: snap.index, confState: cloneConfState(snap.confState) };
    st.confChanges = [];
    st.checkpointIndex = snap.index;
    st.hardState = { ...st.hardState, commit: snap.index };
    this.tailChanges = [];
    this.store.saveNow(st);
    this.storedCommit = snap.index;
    this.syncedCheckpointIndex = snap.index;
    this.syncedIndex = snap.index;
    this.truncations++;
    this.log.resetTo({ offset: data.offset, raftIndex: snap.index + 1, prevTerm: snap.term, raftOnlyBefore });
    this.recent = [];
    this.recentHead = 0;
    this.recentBytes = 0;
    this.observer?.reset();
  }

  /**
   * Drops the entries up to and including `index` (Raft log compaction behind a snapshot the
   * caller already stored durably): the log start moves to entry index + 1 and whole segments
   * below it are deleted (DeleteRecords' mechanism, so the new start is durable first).
   */
  compactTo(index: number): void {
    invariant(index <= this.state.hardState.commit, () => `compaction to ${index} beyond commit ${this.state.hardState.commit}`);
    // As retention (retentionBoundOffset): no config entry leaves the log before the history
    // that records it is durable.
    const bound = Math.min(index, Math.max(this.syncedCheckpointIndex, this.firstIndex() - 1));
    if (bound < this.firstIndex()) return;
    this.log.deleteRecordsBefore(this.log.offsetAfterRaftIndex(bound));
  }

  /** The Kafka offset after entry `raftIndex`: the high watermark for commit index `raftIndex`. */
  offsetAfter(raftIndex: number): number {
    return this.log.offsetAfterRaftIndex(raftIndex);
  }

  /**
   * Lets go of the Raft state file and leaves the log open: a replica whose log found damage is
   * opened again over the same log (which then starts it over), and the state file with it.
   */
  detach(): void {
    this.store.close();
  }

  async close(): Promise<void> {
    await this.sync();
    if (this.storedCommit < this.state.hardState.commit) {
      // Everything is durable now: record the commit the last write had to hold back.
      this.setHardState(this.state.hardState);
      await this.store.sync();
    }
    await this.log.close();
    this.store.close();
  }
}

function freshState(storageId: string): PersistedRaftState {
  return {
    storageId,
    hardState: { term: 0, vote: 0, commit: 0 },
    confBase: { index: 0, confState: cloneConfState(EMPTY_CONF_STATE) },
    confChanges: [],
    checkpointIndex: 0,
    installed: null,
  };
}

/**
 * Whether the log holds what a power loss left of an unfinished bootstrap(): founding entries only
 * (config entries of term 1 from index 1) under the fresh durable hard state (term 0, no vote, no
 * commit, no snapshot). A replica acknowledges entries, votes and leads only once a term is
 * durable beside them (the host syncs both before it answers), so nothing of these entries was
 * ever acted on: dropping them is as if they had never reached the disk.
 */
function neverAcknowledged(state: PersistedRaftState, log: RaftIndexedLog): boolean {
  const hs = state.hardState;
  if (hs.term !== 0 || hs.vote !== 0 || hs.commit !== 0 || state.installed !== null) return false;
  if (log.firstRaftIndex !== 1 || log.lastRaftIndex === 0) return false;
  // A founding has one entry per member: the scan stops at the first entry that is not one.
  for (let i = 1; i <= log.lastRaftIndex; i++) {
    const b = log.entryAt(i);
    if (b.term !== 1 || decodeEntry(b.index, b.term, b.batch).type !== 'config') return false;
  }
  return true;
}

/** Why the replica's earlier Raft state is lost, judged before it is used; null when it is not. */
function lostAtOpen(log: RaftIndexedLog, store: RaftStateStore, loaded: PersistedRaftState | null, options: RaftLogStorageOptions): string | null {
  const damage = log.damage;
  if (damage !== null) return `synced log data is damaged: ${damage.path} at byte ${damage.position} (${damage.reason})`;
  if (loaded !== null) {
    // A directory from another disk (copied, or this node's runnel.db replaced): not our state.
    return belongsToNode(loaded.storageId, options.storageId)
      ? null
      : `raft.state belongs to storage ${loaded.storageId}, not to this disk (${options.storageId})`;
  }
  if (store.unreadable()) return 'raft.state is unreadable';
  if (options.known === true) return 'raft.state is missing';
  if (log.lastRaftIndex !== 0 || log.firstRaftIndex !== 1) return 'the log has entries but no raft.state';
  return null;
}

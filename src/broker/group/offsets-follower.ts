// Every replica of a __consumer_offsets partition, leader or follower, keeps the partition's
// compacted state (offsets-state.ts) up to date from its own committed log, snapshots it in SQLite
// and deletes the log below the snapshot. A replica that becomes the partition's leader (the groups'
// coordinator) therefore starts from a state that is already at, or a few batches behind, the high
// watermark instead of replaying the partition's history: failover time does not grow with it
// (issue 9). docs/consumer-groups.md, "Bounding the log without compaction", has the reasoning.
//
// Following. Each advance of the high watermark schedules one step on the event loop that reads
// committed batches (`readBytesMax` at a time) for up to `followStepMsMax` and applies their
// records; a step that leaves a backlog schedules the next. Only committed records are read, so Raft never takes back what was applied.
//
// Trimming. The log below what the SQLite snapshot covers may go. In cluster mode a leader keeps
// what a recently active follower still lacks (ReplicatedPartition.caughtUpOffset), so trimming
// does not force snapshots on replicas that keep up; a replica that is further behind, or new, gets
// a Raft snapshot, and the state travels in it (capture/install, RaftLogStorage's SnapshotState).
// A state too large for one peer frame keeps the log instead (limits.snapshotBytesMax).

import type { Logger } from 'pino';
import { decodeBatches, isControlBatch } from '../../protocol/record-batch.ts';
import type { Log } from '../../storage/log.ts';
import { OFFSETS_TOPIC } from './offsets-topic.ts';
import { OffsetsState } from './offsets-state.ts';

/** What a follower needs of the partition replica it follows (a Partition or a ReplicatedPartition). */
export interface FollowedReplica {
  readonly log: Log;
  readonly highWatermark: number;
  onAdvance(listener: () => void): () => void;
  /** Cluster mode: the offset below which every recently active replica holds the log. */
  caughtUpOffset?(): number;
}

/** Durable snapshots of a partition's state (SQLite on a node, table group_snapshots). */
export interface SnapshotStore {
  load(partition: number): { coveredOffset: number; data: string } | undefined;
  save(partition: number, coveredOffset: number, data: string): void;
}

export interface OffsetsFollowerLimits {
  /**
   * Bytes of log read per step of following (one event-loop turn; at least one whole batch). A
   * record costs a few µs to decode and apply, so 64 KiB (about 1,000 offset commits) keeps a
   * step in the low milliseconds and never holds up the Raft loop's heartbeats.
   */
  readBytesMax: number;
  /**
   * A follow step goes on reading (`readBytesMax` at a time) until it has run this long or caught
   * up. One read per turn was not enough on a busy broker: the coordinator's turns took ~50 ms
   * under load, so its state advanced 20,000 records/s against 77,000 committed (issue 9).
   */
  followStepMsMax: number;
  /**
   * A serialised state larger than this does not trim the log: a replica behind the log start
   * would need it in one Raft snapshot message, which must fit in one peer frame (32 MiB).
   */
  snapshotBytesMax: number;
}

export const defaultOffsetsFollowerLimits: OffsetsFollowerLimits = {
  readBytesMax: 64 * 1024,
  followStepMsMax: 5,
  snapshotBytesMax: 16 * 1024 * 1024,
};

export class OffsetsStateUnavailableError extends Error {
  constructor(index: number, reason: string) {
    super(`${OFFSETS_TOPIC}-${index}: the consumer-group state is not available: ${reason}`);
    this.name = 'OffsetsStateUnavailableError';
  }
}

export class OffsetsFollower {
  readonly index: number;
  private readonly store: SnapshotStore;
  private readonly logger: Logger;
  private readonly limits: OffsetsFollowerLimits;
  private stateValue = new OffsetsState();
  /** Every committed record below this offset is applied to the state. */
  private position = 0;
  /** What the durable snapshot covers; -1 when there is none. */
  private savedOffset = -1;
  private savedBytes = 0;
  /** Why the state cannot be trusted (records it never saw are gone from the log), or null. */
  private broken: string | null = null;
  private replica: FollowedReplica | null = null;
  private unsubscribe: (() => void) | null = null;
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;
  /** Log-once flags: a stream of the same warning would drown the log. */
  private readonly warned = new Set<string>();

  /** Milliseconds from a monotonic clock (injected by tests). */
  private readonly now: () => number;

  constructor(index: number, store: SnapshotStore, logger: Logger, limits: OffsetsFollowerLimits, now: () => number = () => performance.now()) {
    this.index = index;
    this.now = now;
    this.store = store;
    this.logger = logger.child({ partition: `${OFFSETS_TOPIC}-${index}` });
    this.limits = limits;
    const saved = store.load(index);
    if (!saved) return;
    try {
      const { state, coveredOffset } = OffsetsState.deserialize(saved.data, saved.coveredOffset);
      this.stateValue = state;
      this.position = coveredOffset;
      this.savedOffset = coveredOffset;
      this.savedBytes = saved.data.length;
    } catch (err) {
      this.broken = `the stored snapshot is unreadable (${(err as Error).message})`;
      this.logger.error({ err }, 'consumer-group snapshot unreadable');
    }
  }

  /** The state as of coveredOffset: read it, do not change it (the coordinator copies what it needs). */
  get state(): OffsetsState {
    return this.stateValue;
  }

  /** Every committed record below this offset is in the state. */
  get coveredOffset(): number {
    return this.position;
  }

  /** What the durable snapshot covers (-1: none). */
  get snapshotOffset(): number {
    return this.savedOffset;
  }

  /** Starts following a replica's committed log. */
  bind(replica: FollowedReplica): void {
    this.unsubscribe?.();
    this.replica = replica;
    this.unsubscribe = replica.onAdvance(() => this.schedule());
    this.schedule();
  }

  /**
   * Applies committed records up to the high watermark, reading at most `bytesMax` of log; returns
   * the records applied. Throws OffsetsStateUnavailableError when the state cannot be trusted.
   */
  catchUp(bytesMax = Infinity): number {
    if (this.broken !== null) throw new OffsetsStateUnavailableError(this.index, this.broken);
    const replica = this.replica;
    if (!replica) return 0;
    const hw = replica.highWatermark;
    const log = replica.log;
    if (this.position >= hw) return 0;
    if (this.position < log.logStartOffset) {
      if (this.savedOffset >= 0) {
        this.fail(`the log starts at ${log.logStartOffset}, after the snapshot's ${this.position}: records are missing`);
        throw new OffsetsStateUnavailableError(this.index, this.broken!);
      }
      // No snapshot and a log that does not start at 0: what is left is all there is.
      this.warnOnce('head', { logStartOffset: log.logStartOffset }, 'no consumer-group snapshot, but the log does not start at 0');
      this.position = log.logStartOffset;
    }
    let applied = 0;
    let read = 0;
    // Each read returns at least one whole batch at or after `position`, which moves past it; hw bounds it.
    while (this.position < hw && read < bytesMax) {
      const { records } = log.read(this.position, this.limits.readBytesMax, hw);
      if (records.length === 0) break;
      read += records.length;
      for (const batch of decodeBatches(records)) {
        const last = batch.header.baseOffset + batch.header.lastOffsetDelta;
        if (last < this.position) continue;
        // Control batches carry no offsets: in cluster mode the partition's Raft configuration and
        // leader no-op entries are control batches in the same log (raft-entry-codec.ts).
        if (!isControlBatch(batch.header.attributes)) {
          for (const record of batch.records) {
            if (record.key === null || record.offset < this.position) continue;
            try {
              this.stateValue.apply(record.key, record.value);
              applied++;
            } catch (err) {
              this.warnOnce('record', { err, offset: record.offset }, 'skipping a __consumer_offsets record that does not decode');
            }
          }
        }
        this.position = last + 1;
      }
    }
    return applied;
  }

  /**
   * Saves the state to the snapshot store when it covers at least `recordsMin` more offsets than
   * the last snapshot, then deletes the log below the snapshot (as far as the replicas that keep
   * up allow). Returns whether a snapshot was written.
   */
  snapshot(recordsMin: number): boolean {
    const replica = this.replica;
    if (!replica || this.broken !== null || this.closed) return false;
    let written = false;
    const base = this.savedOffset >= 0 ? this.savedOffset : replica.log.logStartOffset;
    if (this.position - base >= recordsMin && this.position > this.savedOffset) {
      const data = this.stateValue.serialize(this.position);
      this.store.save(this.index, this.position, data);
      this.savedOffset = this.position;
      this.savedBytes = data.length;
      written = true;
      this.logger.info(
        { coveredOffset: this.position, groups: this.stateValue.groups.size, offsets: this.stateValue.offsetCount(), bytes: data.length },
        'consumer-group snapshot written',
      );
    }
    this.trim(replica);
    return written;
  }

  /** The state for a Raft snapshot of this partition (see RaftLogStorage's SnapshotState). */
  capture(): string | undefined {
    if (this.broken !== null) return undefined;
    return this.stateValue.serialize(this.position);
  }

  /**
   * A Raft snapshot replaces this replica's log: its log restarts at `offset`, and `text` is the
   * sender's state (covering at least that offset). Saved before the log restarts; never throws,
   * since it runs inside the Raft host's persistence step.
   */
  install(text: string | undefined, offset: number): void {
    if (text === undefined) {
      this.fail(`a Raft snapshot restarted the log at ${offset} without the consumer-group state`);
      return;
    }
    let decoded: { state: OffsetsState; coveredOffset: number };
    try {
      decoded = OffsetsState.deserialize(text);
    } catch (err) {
      this.fail(`a Raft snapshot carried an unreadable state (${(err as Error).message})`);
      return;
    }
    if (decoded.coveredOffset < offset) {
      this.fail(`a Raft snapshot restarts the log at ${offset}, but its state covers only ${decoded.coveredOffset}`);
      return;
    }
    this.stateValue = decoded.state;
    this.position = decoded.coveredOffset;
    this.broken = null;
    try {
      this.store.save(this.index, decoded.coveredOffset, text);
      this.savedOffset = decoded.coveredOffset;
      this.savedBytes = text.length;
    } catch (err) {
      // The state in memory is right; after a crash before the next snapshot the restart finds the
      // log ahead of the stored snapshot and refuses to coordinate rather than lose offsets.
      this.logger.error({ err }, 'the consumer-group state of a Raft snapshot could not be saved');
    }
    this.logger.info(
      { logStartOffset: offset, coveredOffset: decoded.coveredOffset, groups: decoded.state.groups.size },
      'consumer-group state installed from a Raft snapshot',
    );
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  private trim(replica: FollowedReplica): void {
    const log = replica.log;
    const bound = Math.min(this.savedOffset, replica.caughtUpOffset?.() ?? Infinity);
    if (bound <= log.logStartOffset) return;
    if (this.savedBytes > this.limits.snapshotBytesMax) {
      this.warnOnce(
        'size',
        { bytes: this.savedBytes, snapshotBytesMax: this.limits.snapshotBytesMax },
        'consumer-group state too large for a Raft snapshot: the log is kept',
      );
      return;
    }
    log.deleteRecordsBefore(bound);
    this.logger.info({ logStartOffset: log.logStartOffset }, 'consumer-group log trimmed behind its snapshot');
  }

  private schedule(): void {
    if (this.scheduled || this.closed || this.broken !== null) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      try {
        const started = this.now();
        do this.catchUp(this.limits.readBytesMax);
        while (this.replica !== null && this.position < this.replica.highWatermark && this.now() - started < this.limits.followStepMsMax);
      } catch (err) {
        // Broken state is logged where it broke; anything else (a log closing under us) once here.
        if (!(err instanceof OffsetsStateUnavailableError)) this.warnOnce('follow', { err }, 'following __consumer_offsets failed');
        return;
      }
      if (this.replica && this.position < this.replica.highWatermark) this.schedule();
    });
  }

  private fail(reason: string): void {
    this.broken = reason;
    this.logger.error({ reason }, 'consumer-group state unavailable on this replica');
  }

  private warnOnce(kind: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.logger.warn(fields, message);
  }
}

/** The followers of every __consumer_offsets partition this node hosts. */
export class OffsetsFollowers {
  private readonly followers = new Map<number, OffsetsFollower>();
  private readonly store: SnapshotStore;
  private readonly logger: Logger;
  private readonly limits: OffsetsFollowerLimits;
  private readonly now: (() => number) | undefined;

  constructor(store: SnapshotStore, logger: Logger, limits: OffsetsFollowerLimits = defaultOffsetsFollowerLimits, now?: () => number) {
    this.store = store;
    this.logger = logger;
    this.limits = limits;
    this.now = now;
  }

  /** The follower of a partition, created (from its stored snapshot) on first use. */
  follower(index: number): OffsetsFollower {
    let f = this.followers.get(index);
    if (!f) {
      f = new OffsetsFollower(index, this.store, this.logger, this.limits, this.now);
      this.followers.set(index, f);
    }
    return f;
  }

  get(index: number): OffsetsFollower | undefined {
    return this.followers.get(index);
  }

  /** A replica of __consumer_offsets-`index` opened here: follow its log. */
  follow(index: number, replica: FollowedReplica): OffsetsFollower {
    const f = this.follower(index);
    f.bind(replica);
    return f;
  }

  /** Snapshots (and trims) every followed partition that grew by `recordsMin`, one per event-loop turn. */
  async snapshot(recordsMin: number): Promise<number> {
    let written = 0;
    for (const f of [...this.followers.values()]) {
      try {
        if (f.snapshot(recordsMin)) written++;
      } catch (err) {
        this.logger.warn({ err, partition: `${OFFSETS_TOPIC}-${f.index}` }, 'consumer-group snapshot failed');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return written;
  }

  close(): void {
    for (const f of this.followers.values()) f.close();
  }
}

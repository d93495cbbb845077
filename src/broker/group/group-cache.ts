// The groups a coordinator serves, by the partition of __consumer_offsets that holds them, and
// the loading of each partition's groups when this node comes to lead it (start-up, a leader
// change in cluster mode) and their unloading when it no longer does. The routing of requests
// to the groups, their timers and the writes are the coordinator's (coordinator.ts).

import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.ts';
import type { MetadataState } from '../../metadata/metadata-state.ts';
import type { PartitionReplica } from '../../partition/replicas.ts';
import { Group, type GroupLimits } from './group.ts';
import { OFFSETS_TOPIC, offsetsPartitionFor } from './offsets-topic.ts';
import type { StoredOffset } from './offsets-state.ts';
import type { OffsetsFollower } from './offsets-follower.ts';

/** What loading needs from the rest of the broker: the partitions and the metadata. */
export interface GroupCacheHost {
  metadata(): MetadataState;
  /** The local replica of a __consumer_offsets partition, if this node hosts it. */
  offsetsPartition(index: number): PartitionReplica | undefined;
  /** True when this node leads the partition (always, for a hosted partition on a single node). */
  isLeader(index: number): boolean;
  now(): number;
  logger: Logger;
  /** The state this node keeps of a hosted __consumer_offsets partition (every replica has one). */
  offsetsState(index: number): OffsetsFollower | undefined;
}

export interface GroupCacheLimits extends GroupLimits {
  /**
   * Bytes of __consumer_offsets a coordinator reads per event-loop turn while it loads a partition
   * whose state lags (at least one batch). About 4,000 offset commits, ~10 ms: heartbeats of every
   * Raft group on the broker keep flowing while a backlog loads.
   */
  loadBytesPerTurnMax: number;
}

/** One group this node coordinates: its state machine, committed offsets and timer. */
export interface Entry {
  groupId: string;
  partition: number;
  group: Group;
  /** Committed offsets by tpKey(topic, partition). */
  offsets: Map<string, StoredOffset>;
  timer: NodeJS.Timeout | null;
  timerAtMs: number;
}

export class GroupCache {
  /** The groups being served, by group id. */
  readonly entries = new Map<string, Entry>();
  private readonly host: GroupCacheHost;
  private readonly limits: GroupCacheLimits;
  /** Called for each group a load installs, so that its timer starts. */
  private readonly onInstalled: (entry: Entry) => void;
  /** Partitions of __consumer_offsets whose groups this node serves, and whether loading finished. */
  private readonly partitions = new Map<number, 'loading' | 'loaded'>();
  /** The load in progress of each 'loading' partition; a step of any other load stops. */
  private readonly loads = new Map<number, { started: number; replayedFrom: number; records: number; turns: number }>();
  private closed = false;

  constructor(host: GroupCacheHost, limits: GroupCacheLimits, onInstalled: (entry: Entry) => void) {
    this.host = host;
    this.limits = limits;
    this.onInstalled = onInstalled;
  }

  /** Partition count of __consumer_offsets, or 0 while the topic does not exist yet. */
  offsetsPartitionCount(): number {
    return this.host.metadata().topic(OFFSETS_TOPIC)?.partitionCount ?? 0;
  }

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.offsetsPartitionCount());
  }

  /** Whether the groups of the partition are loaded and served. */
  isLoaded(index: number): boolean {
    return this.partitions.get(index) === 'loaded';
  }

  /** Stops loads in progress (broker shutdown). */
  close(): void {
    this.closed = true;
  }

  /**
   * Loads every hosted partition this node leads: start-up, and after the topic was created. A
   * partition whose state is unavailable is logged and left unloaded (its groups answer
   * COORDINATOR_NOT_AVAILABLE); the others are served, each once its load finishes.
   */
  loadAll(): void {
    const count = this.offsetsPartitionCount();
    for (let index = 0; index < count; index++) {
      if (this.partitions.has(index) || !this.host.offsetsPartition(index) || !this.host.isLeader(index)) continue;
      this.loadPartition(index).catch((err: unknown) => {
        this.host.logger.error({ err, partition: `${OFFSETS_TOPIC}-${index}` }, 'loading consumer groups failed');
      });
    }
  }

  /**
   * Loads one partition of __consumer_offsets into the cache: this replica's state of the partition
   * (offsets-follower.ts), brought up to the high watermark first. Records above the high watermark
   * are not committed and may yet disappear, so they are not read.
   *
   * The state is usually caught up already (the follower applies every commit as it arrives), so
   * the first turn, run synchronously, finishes the load. A state that lags (this replica restarted
   * shortly before it was elected) is brought up over several event-loop turns of at most
   * `loadBytesPerTurnMax` each, so the Raft heartbeats keep flowing (issue 9: reading 300,000
   * records in one turn took 1-2 s); meanwhile the groups answer COORDINATOR_LOAD_IN_PROGRESS, as
   * Kafka's do. Resolves once loaded, or when the partition was unloaded or the coordinator closed
   * meanwhile; rejects when the state is unavailable (the partition is left unloaded).
   */
  loadPartition(index: number): Promise<void> {
    const partition = this.host.offsetsPartition(index);
    const follower = this.host.offsetsState(index);
    if (!partition || !follower) return Promise.reject(new Error(`${OFFSETS_TOPIC}-${index} is not hosted here`));
    const load = { started: Date.now(), replayedFrom: follower.coveredOffset, records: 0, turns: 0 };
    this.partitions.set(index, 'loading');
    this.loads.set(index, load);
    return new Promise<void>((resolve, reject) => {
      const step = (): void => {
        // Unloaded (leadership moved), loaded again by a newer call, or closed: this load is over.
        if (this.closed || this.loads.get(index) !== load) return resolve();
        load.turns++;
        try {
          load.records += follower.catchUp(this.limits.loadBytesPerTurnMax);
        } catch (err) {
          this.partitions.delete(index);
          this.loads.delete(index);
          return reject(err);
        }
        if (follower.coveredOffset < partition.highWatermark) {
          setImmediate(step);
          return;
        }
        this.loads.delete(index);
        this.install(index, follower);
        this.host.logger.info(
          {
            partition: `${OFFSETS_TOPIC}-${index}`,
            snapshotOffset: follower.snapshotOffset,
            replayedFrom: load.replayedFrom,
            highWatermark: follower.coveredOffset,
            logStartOffset: partition.logStartOffset,
            records: load.records,
            turns: load.turns,
            groups: follower.state.groups.size,
            ms: Date.now() - load.started,
          },
          'loaded consumer groups',
        );
        resolve();
      };
      step();
    });
  }

  /** Makes the groups of a caught-up partition state the cache, and serves them. */
  private install(index: number, follower: OffsetsFollower): void {
    const now = this.host.now();
    for (const [groupId, content] of follower.state.groups) {
      const group = content.record ? Group.fromRecord(groupId, content.record, this.limits, now) : new Group(groupId, this.limits, now);
      const entry: Entry = { groupId, partition: index, group, offsets: new Map(content.offsets), timer: null, timerAtMs: Infinity };
      this.entries.set(groupId, entry);
      this.onInstalled(entry);
    }
    this.partitions.set(index, 'loaded');
  }

  /** Drops a partition's groups (cluster mode: leadership moved elsewhere). */
  unloadPartition(index: number): void {
    this.partitions.delete(index);
    this.loads.delete(index);
    for (const entry of [...this.entries.values()]) {
      if (entry.partition !== index) continue;
      if (entry.timer) clearTimeout(entry.timer);
      this.entries.delete(entry.groupId);
    }
  }

  /** FindCoordinator: the error for a group id this node cannot coordinate, or NONE. */
  coordinatorError(groupId: string): number {
    const count = this.offsetsPartitionCount();
    if (count === 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const index = offsetsPartitionFor(groupId, count);
    if (!this.host.offsetsPartition(index) || !this.host.isLeader(index)) return ErrorCode.NOT_COORDINATOR;
    const state = this.partitions.get(index);
    if (state === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (state === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return ErrorCode.NONE;
  }
}

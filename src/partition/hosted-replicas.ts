// The partition replicas one broker hosts, kept in step with the metadata: a created topic gets
// a replica per partition assigned here, a deleted one loses them and their logs, and at start-up
// logs of partitions the metadata no longer has (a topic deleted just before a crash) are removed.
// Each log's segment size and retention come from its topic's configs.
//
// Topic incarnations (issue 9): a topic deleted and created again under the same name has a new
// topic id. A replica is opened only over a log of its own topic id (LogManager.openLog): when
// the directory still belongs to the old incarnation, or its deletion still runs, the replica is
// opened once that deletion has freed the name. Until then the partition is simply not hosted
// here (clients get a retriable error, Raft messages for its group are dropped and resent).
//
// What a replica is differs by mode, so subclasses make them: a single-node Partition
// (ReplicaManager) or a partition Raft group (ClusterReplicaManager).

import type { Logger } from 'pino';
import { cancelledOf, hostingReplicas, namedReplicas, type MetadataCommand, type MetadataState, type TopicRecord } from '../metadata/metadata-state.ts';
import { LogManager } from '../storage/log-manager.ts';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log-config.ts';
import type { Log, RetentionResult } from '../storage/log.ts';
import { LogOnce } from '../log/log-once.ts';
import { holdRecoveryPoints, type OpenOptions, type PartitionLog } from '../storage/partition-log.ts';
import { effectiveTopicConfig, NO_DYNAMIC_BROKER_CONFIGS, type DynamicBrokerConfigs, type TopicConfigDefaults } from '../metadata/topic-configs.ts';
import type { FlushMode } from './partition.ts';
import { partitionKey } from './group-names.ts';
import { LoadQueue } from './load-queue.ts';
import type { PartitionProducers, PartitionProducersOptions, ProducerLimits } from './partition-producers.ts';

/** A retention or open failure that repeats on every try (a full disk) is logged at most this often. */
const REPEATED_FAILURE_LOG_INTERVAL_MS = 60_000;

export interface HostedReplicasOptions {
  nodeId: number;
  dataDir: string;
  topicDefaults: TopicConfigDefaults;
  flush: { mode: FlushMode; intervalMs: number };
  /** What recovery of a partition directory must know (cluster mode: the stored Raft commit). */
  openOptions?: (dir: string) => OpenOptions;
  /** Bounds on each replica's idempotent-producer state; the defaults when absent. */
  producers?: ProducerLimits;
}

/** What the base class needs of a replica. */
export interface HostedReplica {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  readonly highWatermark: number;
  /** Retention deletes only segments that end at or below this offset (at most the high watermark). */
  readonly retentionBoundOffset: number;
  /** Its idempotent producers; `expire` forgets those idle past the expiration (the caller owns the clock). */
  readonly producerState: Pick<PartitionProducers, 'expire'>;
  /** Broker shutdown: answer waiters and close the log durably. */
  close(): Promise<void>;
  /** The topic was deleted: answer waiters; the files are deleted next. */
  abandon(): Promise<void>;
}

export abstract class HostedReplicas<R extends HostedReplica> {
  protected readonly options: HostedReplicasOptions;
  protected readonly logger: Logger;
  protected readonly logs: LogManager;
  /** By partitionKey: the current incarnation's replica only. */
  protected readonly replicas = new Map<string, R>();
  /** By partitionKey: the topic id of the hosted replica. */
  private readonly topicIds = new Map<string, string>();
  /** The topics known here by name, as last applied (configs, and which incarnation is current). */
  private readonly topics = new Map<string, TopicRecord>();
  /** Replicas waiting for a deletion to free their directory name. */
  private readonly waiting = new Set<Promise<void>>();
  protected closing = false;
  private readonly openListeners: Array<(replica: R) => void> = [];
  /** Every replica's producer-state load, a chunk per turn of the event loop (load-queue.ts). */
  private readonly loadQueue: LoadQueue;
  /** Retention runs on a timer: a failure that repeats (a full disk) is logged once a minute. */
  private readonly retentionFailures: LogOnce;
  /** Replicas whose open failed, by partitionKey: retryUnopened tries them again. At most one per hosted partition. */
  private readonly unopened = new Set<string>();
  private readonly openFailures: LogOnce;
  /** The dynamic broker configs in force here (AlterConfigs on a broker resource), as last applied. */
  private dynamicConfigs: DynamicBrokerConfigs = NO_DYNAMIC_BROKER_CONFIGS;

  constructor(options: HostedReplicasOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    this.retentionFailures = new LogOnce(logger, { intervalMs: REPEATED_FAILURE_LOG_INTERVAL_MS });
    this.openFailures = new LogOnce(logger, { intervalMs: REPEATED_FAILURE_LOG_INTERVAL_MS });
    this.loadQueue = new LoadQueue({
      onError: (_job, err) => logger.error({ err }, 'loading producer state failed; idempotent produce to that partition is refused until it is reloaded'),
    });
    this.logs = LogManager.open({
      dataDir: options.dataDir,
      defaultConfig: this.logConfigFor(''),
      configFor: (topic) => this.logConfigFor(topic),
      logger,
      openOptions: options.openOptions,
    });
  }

  /** What a replica needs to keep its idempotent-producer state: the limits and the broker's load queue. */
  protected producerOptions(): PartitionProducersOptions {
    return { limits: this.options.producers, loadQueue: this.loadQueue, logger: this.logger };
  }

  /** Resolves once no replica's producer state is still loading. */
  producerStatesLoaded(): Promise<void> {
    return this.loadQueue.idle();
  }

  /**
   * Makes the replica of a partition assigned here, over its (possibly new) log; null when it
   * must not be hosted (the subclass logged why).
   */
  protected abstract open(topic: TopicRecord, index: number, log: PartitionLog): R | null;

  /** Called when a replica leaves the map (its topic was deleted, or the broker stops). */
  protected dropped(replica: R, topicId: string): void {
    void replica;
    void topicId;
  }

  /**
   * Called for each replica right after it opens, in the same turn: before its Raft group runs a
   * round, so a SnapshotState attached here is in place for the first snapshot that arrives.
   */
  onOpen(listener: (replica: R) => void): void {
    this.openListeners.push(listener);
  }

  /** The topic id of a hosted replica's incarnation. */
  protected topicIdOf(replica: R): string {
    return this.topicIds.get(partitionKey(replica.topic, replica.index)) ?? '';
  }

  /**
   * Removes logs of partitions the metadata lost, opens a replica for every partition assigned
   * here, and resolves once they are open (including those that waited for a deletion).
   */
  async start(state: MetadataState): Promise<void> {
    const startedAt = performance.now();
    this.dynamicConfigs = state.dynamicBrokerConfigs(this.options.nodeId);
    const removals: Promise<boolean>[] = [];
    for (const { topic, partition, topicId } of this.logs.partitions()) {
      const record = state.topic(topic);
      if (!record || partition >= record.partitionCount || !hostingReplicas(record, partition).includes(this.options.nodeId)) {
        this.logger.warn({ topic, partition, topicId }, 'removing the log of a partition the metadata no longer has');
        removals.push(this.logs.deleteLog(topic, partition));
      }
    }
    // Logs of another incarnation of an assigned partition are found (and removed) here. Opening
    // a log is synchronous (a crashed one recovers its unsynced tail): yield between partitions,
    // so a broker with thousands of them keeps its heartbeats and timers running. The producer
    // states load once every partition is open (issue 9: a restart serves within seconds; a
    // replay of a whole log per partition would hold that up), except one a Produce waits for.
    const release = this.loadQueue.hold();
    // Nor do the opened logs record their recovery points meanwhile (a checkpoint write each).
    const releaseRecoveryPoints = holdRecoveryPoints();
    try {
      for (const { name, partitionCount } of state.allTopics()) {
        for (let index = 0; index < partitionCount; index++) {
          await new Promise((resolve) => setImmediate(resolve));
          // The metadata may have changed meanwhile (a deleted topic is not opened again).
          const topic = state.topic(name);
          if (topic !== undefined && index < topic.partitionCount && !this.closing) this.ensurePartition(topic, index);
        }
      }
    } finally {
      release();
      releaseRecoveryPoints();
    }
    await Promise.all(removals);
    // Bounded: a waiting replica opens (or gives up) once its one deletion is done.
    for (let pass = 0; pass < 10 && this.waiting.size > 0; pass++) await Promise.all([...this.waiting]);
    this.logger.info(
      { partitions: this.replicas.size, openMs: Math.round(performance.now() - startedAt), producerStatesLoading: this.loadQueue.pending },
      'partitions opened',
    );
  }

  /** Every replica hosted here, led or not, with its log (DescribeLogDirs). */
  hostedLogs(): Array<{ topic: string; index: number; log: Log }> {
    return [...this.replicas.values()].map((r) => ({ topic: r.topic, index: r.index, log: r.log }));
  }

  /** Follows a metadata change that was just applied. */
  onMetadata(command: MetadataCommand, state: MetadataState): void {
    switch (command.type) {
      case 'createTopic':
      case 'createPartitions': {
        const topic = state.topic(command.type === 'createTopic' ? command.topic.name : command.name);
        if (topic) this.ensurePartitions(topic);
        break;
      }
      case 'deleteTopic':
        this.dropTopic(command.name);
        break;
      case 'alterConfigs':
        this.followConfigs(state, command.resource.type === 'topic' ? [command.resource.name] : [...this.topics.keys()]);
        break;
      case 'alterReassignment':
      case 'completeReassignment': {
        // A broker the target newly names opens the replica (empty: it waits to be added); one the
        // metadata no longer names (a completed move away, a cancelled move here) removes it.
        const topic = command.type === 'alterReassignment' ? state.topic(command.topic) : state.topicById(command.topicId);
        if (topic && command.partition < topic.partitionCount) this.ensurePartition(topic, command.partition);
        break;
      }
      case 'initCluster':
      case 'registerBroker':
      case 'allocateProducerIds':
      case 'publishLeaders':
      // An unsafe recovery keeps this broker's replica (it is one of the survivors).
      case 'recoverAssignment':
        break;
    }
  }

  /**
   * Follows a metadata state that replaced the previous one whole (a metadata snapshot was
   * installed): topics that vanished, or were deleted and created again (another topic id),
   * lose their replicas and logs; every topic assigned here gets its replicas.
   */
  onMetadataReplaced(state: MetadataState): void {
    for (const [name, known] of [...this.topics]) {
      if (state.topic(name)?.topicId !== known.topicId) this.dropTopic(name);
    }
    for (const topic of state.allTopics()) this.ensurePartitions(topic);
    this.followConfigs(state, [...this.topics.keys()]);
  }

  /**
   * Configs changed (AlterConfigs, IncrementalAlterConfigs): the open logs of these topics take
   * their new segment size and retention at once.
   */
  private followConfigs(state: MetadataState, topics: string[]): void {
    this.dynamicConfigs = state.dynamicBrokerConfigs(this.options.nodeId);
    for (const name of topics) {
      const topic = state.topic(name);
      if (topic === undefined || this.topics.get(name)?.topicId !== topic.topicId) continue;
      this.topics.set(name, topic);
      try {
        this.logs.reconfigureTopic(name);
      } catch (err) {
        // Values were checked before they were proposed; never into the metadata apply that called us.
        this.logger.error({ topic: name, err: String(err) }, 'changed topic configs not applied to its logs');
      }
    }
  }

  /**
   * Deletes segments past retention in every replica, and forgets idempotent producers idle past
   * their expiration (Kafka checks that on a timer of its own; one timer does both here). The
   * caller owns the timer.
   */
  runRetention(nowMs: number): void {
    for (const replica of this.replicas.values()) {
      // Bounded by the high watermark: retention never deletes what is not committed yet.
      let deleted: RetentionResult;
      try {
        deleted = replica.log.applyRetention(nowMs, replica.retentionBoundOffset);
      } catch (err) {
        // A full disk can refuse the checkpoint retention writes (or the log is read-only after
        // a failed fsync): the timer must not take the broker down; the next run tries again.
        this.retentionFailures.error(
          `${replica.topic}-${replica.index}`,
          { topic: replica.topic, partition: replica.index, err: String(err) },
          'retention failed',
        );
        continue;
      }
      if (deleted.deletedSegments > 0) {
        this.logger.info({ topic: replica.topic, partition: replica.index, ...deleted }, 'retention deleted segments');
      }
      const expired = replica.producerState.expire(nowMs);
      if (expired > 0) this.logger.info({ topic: replica.topic, partition: replica.index, expired }, 'idle producer ids expired');
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.replicas.values()];
    for (const replica of all) this.dropped(replica, this.topicIdOf(replica));
    this.replicas.clear();
    this.topicIds.clear();
    await Promise.all(all.map((r) => r.close()));
    this.loadQueue.close();
    await this.logs.closeAll();
  }

  /**
   * Opens a hosted replica again over the same (still open) log, when its incarnation is still
   * current: the subclass has stopped and released the old one (a Raft replica whose log found
   * damage, B6; the new one takes the lost-state path). Failures are retried as any open's.
   */
  protected reopen(replica: R): void {
    const key = partitionKey(replica.topic, replica.index);
    if (this.closing || this.replicas.get(key) !== replica) return;
    const topicId = this.topicIdOf(replica);
    this.replicas.delete(key);
    this.topicIds.delete(key);
    const topic = this.topics.get(replica.topic);
    if (topic === undefined || topic.topicId !== topicId || replica.index >= topic.partitionCount) return;
    this.ensurePartition(topic, replica.index);
  }

  private ensurePartitions(topic: TopicRecord): void {
    for (let index = 0; index < topic.partitionCount; index++) this.ensurePartition(topic, index);
  }

  /**
   * Whether a replica of a partition a cancelled reassignment had added here, and the metadata
   * names here no longer, must stay until the group is back to its assignment: it may be a voter
   * the group still needs (TopicRecord.cancelled). Only Raft replicas can be.
   */
  protected keepsCancelled(replica: R): boolean {
    void replica;
    return false;
  }

  /**
   * Opens the partition's replica when the metadata names this broker for it, removes it when it
   * no longer does. A broker a cancelled reassignment left keeps (or, at start, opens again) the
   * replica it has while keepsCancelled says the group needs it, and never creates one.
   */
  private ensurePartition(topic: TopicRecord, index: number): void {
    this.topics.set(topic.name, topic);
    const me = this.options.nodeId;
    const named = namedReplicas(topic, index).includes(me);
    const cancelled = !named && cancelledOf(topic, index).includes(me);
    const key = partitionKey(topic.name, index);
    if (!this.replicas.has(key) && (named || (cancelled && this.logs.hasLog(topic.name, index, topic.topicId)))) this.openReplica(topic, index);
    const hosted = this.replicas.get(key);
    if (hosted && !named && !(cancelled && this.keepsCancelled(hosted))) this.dropPartition(hosted);
  }

  /**
   * Stops a replica the metadata no longer places here (a reassignment moved it away) and deletes
   * its log, the way a deleted topic's go. Other partitions of the topic stay.
   */
  private dropPartition(replica: R): void {
    const key = partitionKey(replica.topic, replica.index);
    const topicId = this.topicIdOf(replica);
    this.replicas.delete(key);
    this.topicIds.delete(key);
    this.unopened.delete(key);
    this.dropped(replica, topicId);
    this.logger.info({ topic: replica.topic, partition: replica.index, topicId }, 'partition moved off this broker: removing its replica and files');
    void this.logs.deleteLog(replica.topic, replica.index, replica.abandon());
  }

  private openReplica(topic: TopicRecord, index: number): void {
    const fields = { topic: topic.name, partition: index, topicId: topic.topicId };
    try {
      const opened = this.logs.openLog(topic.name, index, topic.topicId);
      if ('deleting' in opened) {
        this.openAfter(opened.deleting, topic, index);
        return;
      }
      const replica = this.open(topic, index, opened.log);
      if (replica === null) return;
      this.replicas.set(partitionKey(topic.name, index), replica);
      this.topicIds.set(partitionKey(topic.name, index), topic.topicId);
      for (const listener of this.openListeners) listener(replica);
    } catch (err) {
      // Never into the metadata apply that called us: that would stop every group of the broker.
      // Tried again by retryUnopened (a full disk may have refused its files); logged once a minute.
      this.unopened.add(partitionKey(topic.name, index));
      this.openFailures.error(partitionKey(topic.name, index), { ...fields, err: String(err) }, 'partition replica not opened; retrying');
    }
  }

  /**
   * Opens again the replicas whose open failed (a full disk refused their files), if their
   * partition is still assigned here. The caller owns the timer. Returns how many are still unopened.
   */
  retryUnopened(): number {
    for (const key of [...this.unopened]) {
      this.unopened.delete(key);
      const at = key.lastIndexOf('-');
      const topic = this.topics.get(key.slice(0, at));
      const index = Number(key.slice(at + 1));
      if (this.closing || topic === undefined || index >= topic.partitionCount || this.replicas.has(key)) continue;
      this.ensurePartition(topic, index);
      if (this.replicas.has(key)) this.logger.info({ topic: topic.name, partition: index, topicId: topic.topicId }, 'partition replica opened on a retry');
    }
    return this.unopened.size;
  }

  /** Opens the replica once `deletion` freed its directory name, if its incarnation is still current. */
  private openAfter(deletion: Promise<void>, topic: TopicRecord, index: number): void {
    const waiting = deletion.then(() => {
      const current = this.topics.get(topic.name);
      if (this.closing || current?.topicId !== topic.topicId || this.replicas.has(partitionKey(topic.name, index))) return;
      if (index < current.partitionCount && namedReplicas(current, index).includes(this.options.nodeId)) this.openReplica(current, index);
    });
    this.waiting.add(waiting);
    void waiting.then(() => this.waiting.delete(waiting));
  }

  private dropTopic(topic: string): void {
    this.topics.delete(topic);
    const doomed = [...this.replicas.values()].filter((r) => r.topic === topic);
    for (const replica of doomed) {
      const key = partitionKey(topic, replica.index);
      const topicId = this.topicIdOf(replica);
      this.replicas.delete(key);
      this.topicIds.delete(key);
      this.dropped(replica, topicId);
      // The name stays busy until the replica has let go and the directory is renamed away.
      void this.logs.deleteLog(topic, replica.index, replica.abandon());
    }
    // Logs of the topic without a replica (another incarnation's, found at start-up) go too.
    void this.logs.deleteTopic(topic);
  }

  private logConfigFor(topic: string): LogConfig {
    const effective = effectiveTopicConfig(this.topics.get(topic)?.configs ?? {}, this.options.topicDefaults, this.dynamicConfigs);
    return {
      segmentBytes: effective.segmentBytes,
      segmentMs: effective.segmentMs,
      indexIntervalBytes: effective.indexIntervalBytes,
      retentionMs: effective.retentionMs,
      retentionBytes: effective.retentionBytes,
      flush: this.options.flush,
      recoveryPointIntervalMs: DEFAULT_LOG_CONFIG.recoveryPointIntervalMs,
    };
  }
}

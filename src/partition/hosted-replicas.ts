// The partition replicas one broker hosts, kept in step with the metadata: a created topic gets
// a replica per partition assigned here, a deleted one loses them and their logs, and at start-up
// logs of partitions the metadata no longer has (a topic deleted just before a crash) are removed.
// Each log's segment size and retention come from its topic's configs.
//
// What a replica is differs by mode, so subclasses make them: a single-node Partition
// (ReplicaManager) or a partition Raft group (ClusterReplicaManager).

import type { Logger } from 'pino';
import type { MetadataCommand, MetadataState, TopicRecord } from '../cluster/metadata-state.ts';
import { LogManager } from '../storage/log-manager.ts';
import type { LogConfig } from '../storage/log-config.ts';
import type { Log } from '../storage/log.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import { effectiveTopicConfig, type TopicConfigDefaults } from '../broker/topic-configs.ts';
import type { FlushMode } from './partition.ts';

export interface HostedReplicasOptions {
  nodeId: number;
  dataDir: string;
  topicDefaults: TopicConfigDefaults;
  flush: { mode: FlushMode; intervalMs: number };
  indexIntervalBytes: number;
}

/** What the base class needs of a replica. */
export interface HostedReplica {
  readonly topic: string;
  readonly index: number;
  readonly log: Log;
  readonly highWatermark: number;
  /** Broker shutdown: answer waiters and close the log durably. */
  close(): Promise<void>;
  /** The topic was deleted: answer waiters; the files are deleted next. */
  abandon(): Promise<void>;
}

/** A replica's name: `<topic>-<index>`, also its Raft group's name (unambiguous: the index has no '-'). */
export function partitionGroupName(topic: string, index: number): string {
  return `${topic}-${index}`;
}

export abstract class HostedReplicas<R extends HostedReplica> {
  protected readonly options: HostedReplicasOptions;
  protected readonly logger: Logger;
  protected readonly logs: LogManager;
  /** By partitionGroupName. */
  protected readonly replicas = new Map<string, R>();
  private readonly topicConfigs = new Map<string, Record<string, string>>();

  constructor(options: HostedReplicasOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    this.logs = LogManager.open({
      dataDir: options.dataDir,
      defaultConfig: this.logConfigFor(''),
      configFor: (topic) => this.logConfigFor(topic),
      logger,
    });
  }

  /** Makes the replica of a partition assigned here, over its (possibly new) log. */
  protected abstract open(topic: TopicRecord, index: number, log: PartitionLog): R;

  /** Called when a replica leaves the map (its topic was deleted, or the broker stops). */
  protected dropped(replica: R): void {
    void replica;
  }

  /** Opens a replica for every partition assigned here and removes logs of partitions the metadata lost. */
  async start(state: MetadataState): Promise<void> {
    for (const topic of state.allTopics()) this.ensurePartitions(topic);
    for (const { topic, partition } of this.logs.partitions()) {
      const record = state.topic(topic);
      if (!record || partition >= record.partitionCount || !record.assignments[partition].includes(this.options.nodeId)) {
        this.logger.warn({ topic, partition }, 'removing the log of a partition the metadata no longer has');
        await this.logs.deleteLog(topic, partition);
      }
    }
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
        this.dropTopic(command.name).catch((err: unknown) => this.logger.error({ err, topic: command.name }, 'removing a deleted topic failed'));
        break;
      case 'initCluster':
      case 'registerBroker':
      case 'allocateProducerIds':
        break;
    }
  }

  /** Deletes segments past retention in every replica; the caller owns the timer. */
  runRetention(nowMs: number): void {
    for (const replica of this.replicas.values()) {
      // Bounded by the high watermark: retention never deletes what is not committed yet.
      const deleted = replica.log.applyRetention(nowMs, replica.highWatermark);
      if (deleted.deletedSegments > 0) {
        this.logger.info({ topic: replica.topic, partition: replica.index, ...deleted }, 'retention deleted segments');
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.replicas.values()];
    this.replicas.clear();
    for (const replica of all) this.dropped(replica);
    await Promise.all(all.map((r) => r.close()));
    await this.logs.closeAll();
  }

  private ensurePartitions(topic: TopicRecord): void {
    this.topicConfigs.set(topic.name, topic.configs);
    for (let index = 0; index < topic.partitionCount; index++) {
      const name = partitionGroupName(topic.name, index);
      if (topic.assignments[index].includes(this.options.nodeId) && !this.replicas.has(name)) {
        this.replicas.set(name, this.open(topic, index, this.logs.createLog(topic.name, index)));
      }
    }
  }

  private async dropTopic(topic: string): Promise<void> {
    this.topicConfigs.delete(topic);
    const doomed = [...this.replicas.values()].filter((r) => r.topic === topic);
    for (const replica of doomed) {
      this.replicas.delete(partitionGroupName(topic, replica.index));
      this.dropped(replica);
    }
    await Promise.all(doomed.map((r) => r.abandon()));
    await this.logs.deleteTopic(topic);
  }

  private logConfigFor(topic: string): LogConfig {
    const effective = effectiveTopicConfig(this.topicConfigs.get(topic) ?? {}, this.options.topicDefaults);
    return {
      segmentBytes: effective.segmentBytes,
      indexIntervalBytes: this.options.indexIntervalBytes,
      retentionMs: effective.retentionMs,
      retentionBytes: effective.retentionBytes,
      flush: this.options.flush,
    };
  }
}

// The partitions this node hosts, kept in step with the metadata: a created topic gets its logs,
// a deleted one loses them, and at start-up leftovers of topics deleted during a crash are removed.
//
// On a single node every partition is led here with leader epoch 0. In cluster mode the partition
// Raft groups decide leadership; `leaderOf` and `leaderEpoch` are the seam the handlers read.

import type { Logger } from 'pino';
import type { MetadataCommand, MetadataState, TopicRecord } from '../cluster/metadata-state.ts';
import { LogManager } from '../storage/log-manager.ts';
import type { LogConfig } from '../storage/log-config.ts';
import { effectiveTopicConfig, type TopicConfigDefaults } from '../broker/topic-configs.ts';
import { Partition, type FlushMode } from './partition.ts';

import type { LeaderView, Replicas } from './replicas.ts';

export type { LeaderView } from './replicas.ts';

export interface ReplicaManagerOptions {
  nodeId: number;
  dataDir: string;
  topicDefaults: TopicConfigDefaults;
  flush: { mode: FlushMode; intervalMs: number };
  indexIntervalBytes: number;
}

export class ReplicaManager implements Replicas {
  private readonly options: ReplicaManagerOptions;
  private readonly logger: Logger;
  private readonly logs: LogManager;
  private readonly partitions = new Map<string, Partition>();

  constructor(options: ReplicaManagerOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    this.logs = LogManager.open({
      dataDir: options.dataDir,
      defaultConfig: this.logConfigFor(''),
      configFor: (topic) => this.logConfigFor(topic),
      logger,
    });
  }

  /** Each topic's config overrides, which decide the segment size and retention of its logs. */
  private readonly topicConfigs = new Map<string, Record<string, string>>();

  /** Opens the logs of every partition assigned here and removes those of unknown topics. */
  start(state: MetadataState): void {
    for (const topic of state.allTopics()) this.topicConfigs.set(topic.name, topic.configs);
    for (const topic of state.allTopics()) {
      for (let index = 0; index < topic.partitionCount; index++) {
        if (topic.assignments[index].includes(this.options.nodeId)) this.openPartition(topic.name, index);
      }
    }
  }

  /** Removes logs of partitions the metadata no longer has (a topic deleted just before a crash). */
  async removeOrphans(state: MetadataState): Promise<void> {
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
        void this.dropTopic(command.name);
        break;
      case 'registerBroker':
      case 'allocateProducerIds':
        break;
    }
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(key(topic, index));
  }

  leaderOf(topic: string, index: number): LeaderView {
    return this.partitions.has(key(topic, index))
      ? { leaderId: this.options.nodeId, leaderEpoch: 0, isr: [this.options.nodeId] }
      : { leaderId: -1, leaderEpoch: -1, isr: [] };
  }

  leaderEpoch(topic: string, index: number): number {
    return this.leaderOf(topic, index).leaderEpoch;
  }

  allPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /** Deletes segments past retention in every partition; the caller owns the timer. */
  runRetention(nowMs: number): void {
    for (const partition of this.partitions.values()) {
      // Bounded by the high watermark: retention never deletes what is not committed yet.
      const deleted = partition.log.applyRetention(nowMs, partition.highWatermark);
      if (deleted.deletedSegments > 0) {
        this.logger.info({ topic: partition.topic, partition: partition.index, ...deleted }, 'retention deleted segments');
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.partitions.values()].map((p) => p.close()));
    this.partitions.clear();
    await this.logs.closeAll();
  }

  private ensurePartitions(topic: TopicRecord): void {
    this.topicConfigs.set(topic.name, topic.configs);
    for (let index = 0; index < topic.partitionCount; index++) {
      if (topic.assignments[index].includes(this.options.nodeId) && !this.partitions.has(key(topic.name, index))) {
        this.openPartition(topic.name, index);
      }
    }
  }

  private openPartition(topic: string, index: number): void {
    const log = this.logs.createLog(topic, index);
    this.partitions.set(key(topic, index), new Partition(topic, index, log, this.options.flush.mode));
  }

  private async dropTopic(topic: string): Promise<void> {
    this.topicConfigs.delete(topic);
    const doomed = [...this.partitions.values()].filter((p) => p.topic === topic);
    for (const partition of doomed) this.partitions.delete(key(topic, partition.index));
    await Promise.all(doomed.map((p) => p.abandon()));
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

function key(topic: string, index: number): string {
  return `${topic}\u0000${index}`;
}

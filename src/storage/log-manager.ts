// Every partition log under one data directory: `<data_dir>/<topic>-<partition>/`.
// The caller owns the clock (runRetention(nowMs)) and the topic configs (configFor).

import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirSync } from './checkpoint.ts';
import { parsePartitionDirName, partitionDirName } from './file-names.ts';
import { SILENT_LOGGER, type LogConfig, type LogLike } from './log-config.ts';
import type { RetentionResult } from './log.ts';
import { PartitionLog } from './partition-log.ts';

export interface LogManagerOptions {
  dataDir: string;
  defaultConfig: LogConfig;
  /** Per-topic overrides (segment size, retention, flush); defaults to defaultConfig. */
  configFor?: (topic: string) => LogConfig;
  logger?: LogLike;
}

export interface PartitionKey {
  topic: string;
  partition: number;
}

export class LogManager {
  readonly dataDir: string;
  private readonly logs = new Map<string, { key: PartitionKey; log: PartitionLog }>();
  private readonly configFor: (topic: string) => LogConfig;
  private readonly logger: LogLike;

  private constructor(options: LogManagerOptions) {
    this.dataDir = options.dataDir;
    this.configFor = options.configFor ?? (() => options.defaultConfig);
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  /** Opens (and recovers) every partition directory found under dataDir. */
  static open(options: LogManagerOptions): LogManager {
    const manager = new LogManager(options);
    mkdirSync(options.dataDir, { recursive: true });
    for (const name of readdirSync(options.dataDir).sort()) {
      const key = parsePartitionDirName(name);
      const path = join(options.dataDir, name);
      if (key === null || !statSync(path).isDirectory()) continue;
      const log = PartitionLog.open(path, manager.configFor(key.topic), manager.logger);
      manager.logs.set(name, { key, log });
    }
    manager.logger.info({ dataDir: options.dataDir, partitions: manager.logs.size }, 'logs opened');
    return manager;
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  /** Returns the existing log or creates an empty one. */
  createLog(topic: string, partition: number, config: LogConfig = this.configFor(topic)): PartitionLog {
    const name = partitionDirName(topic, partition);
    const existing = this.logs.get(name);
    if (existing !== undefined) return existing.log;
    const log = PartitionLog.open(join(this.dataDir, name), config, this.logger);
    fsyncDirSync(this.dataDir);
    this.logs.set(name, { key: { topic, partition }, log });
    this.logger.info({ topic, partition }, 'log created');
    return log;
  }

  partitions(): PartitionKey[] {
    return [...this.logs.values()].map((e) => e.key);
  }

  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const name = partitionDirName(topic, partition);
    const entry = this.logs.get(name);
    if (entry === undefined) return false;
    this.logs.delete(name);
    await entry.log.close();
    PartitionLog.destroy(entry.log.dir);
    fsyncDirSync(this.dataDir);
    this.logger.info({ topic, partition }, 'log deleted');
    return true;
  }

  async deleteTopic(topic: string): Promise<number> {
    const partitions = [...this.logs.values()].filter((e) => e.key.topic === topic).map((e) => e.key.partition);
    for (const p of partitions) await this.deleteLog(topic, p);
    return partitions.length;
  }

  /**
   * Applies retention to every log. `highWatermarkOf` bounds what may be deleted per
   * partition (records not yet committed must stay); without it there is no bound.
   */
  runRetention(nowMs: number, highWatermarkOf?: (topic: string, partition: number) => number): RetentionResult {
    let deletedSegments = 0;
    let deletedBytes = 0;
    for (const { key, log } of this.logs.values()) {
      try {
        const r = log.applyRetention(nowMs, highWatermarkOf?.(key.topic, key.partition) ?? Infinity);
        deletedSegments += r.deletedSegments;
        deletedBytes += r.deletedBytes;
      } catch (err) {
        // One failed partition must not stop retention for the others.
        this.logger.error({ ...key, err: String(err) }, 'retention failed');
      }
    }
    return { deletedSegments, deletedBytes };
  }

  async closeAll(): Promise<void> {
    const entries = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(entries.map((e) => e.log.close()));
  }
}

// Every partition log under one data directory: `<data_dir>/<topic>-<partition>/`, each with a
// `partition.metadata` naming the topic id it belongs to (docs/storage.md, "Topic incarnations").
// The caller owns the clock (runRetention(nowMs)) and the topic configs (configFor).
//
// A topic deleted and created again under the same name is a new incarnation with a new topic
// id, and its partitions reuse the directory names. So:
//   - openLog() is asked for a topic id and never returns another incarnation's log: a directory
//     of another incarnation is deleted first, and the caller is told to wait for that;
//   - a deletion closes the log, renames the directory to `<name>.<uuid>-delete` and fsyncs the
//     data dir (from then on the name is free), then removes the renamed directory in the
//     background. A directory is never reused while its deletion runs;
//   - open() finishes deletions a crash interrupted (directories still marked `-delete`).
//
// Opening finds the partition directories; each log is opened (and recovered) when it is first
// asked for, so a caller with thousands of partitions can open them a few at a time.

import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fsyncDirSync } from './checkpoint.ts';
import { storageFs } from './fs.ts';
import { deletedPartitionDirName, isDeletedPartitionDirName, parsePartitionDirName, partitionDirName } from './file-names.ts';
import { SILENT_LOGGER, type LogConfig, type LogLike } from './log-config.ts';
import type { RetentionResult } from './log.ts';
import { PartitionLog, type OpenOptions } from './partition-log.ts';
import { readPartitionTopicId, writePartitionTopicId } from './partition-metadata.ts';

export interface LogManagerOptions {
  dataDir: string;
  defaultConfig: LogConfig;
  /** Per-topic overrides (segment size, retention, flush); defaults to defaultConfig. */
  configFor?: (topic: string) => LogConfig;
  logger?: LogLike;
  /** What recovery of the log in a directory must know (a Raft log's stored commit index). */
  openOptions?: (dir: string) => OpenOptions;
}

export interface PartitionKey {
  topic: string;
  partition: number;
}

export interface PartitionDir extends PartitionKey {
  /** The topic id in the directory's partition.metadata; null for a directory written before topic ids. */
  topicId: string | null;
}

/** openLog's answer: the log, or the deletion of another incarnation's directory to wait for first. */
export type OpenLogResult = { log: PartitionLog } | { deleting: Promise<void> };

interface Entry {
  key: PartitionKey;
  topicId: string | null;
  /** Null until the log is first asked for. */
  log: PartitionLog | null;
}

export class LogManager {
  readonly dataDir: string;
  private readonly logs = new Map<string, Entry>();
  /** Directory name → resolves once the directory has been renamed away (the name is free). */
  private readonly deletions = new Map<string, Promise<void>>();
  /** Deletions not finished yet (renamed directories still being removed included). */
  private readonly inProgress = new Set<Promise<void>>();
  private readonly configFor: (topic: string) => LogConfig;
  private readonly logger: LogLike;
  private readonly openOptions: (dir: string) => OpenOptions;

  private constructor(options: LogManagerOptions) {
    this.dataDir = options.dataDir;
    this.configFor = options.configFor ?? (() => options.defaultConfig);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.openOptions = options.openOptions ?? (() => ({}));
  }

  /** Finishes interrupted deletions and finds every partition directory; the logs open when first asked for. */
  static open(options: LogManagerOptions): LogManager {
    const manager = new LogManager(options);
    mkdirSync(options.dataDir, { recursive: true });
    let removed = 0;
    for (const name of readdirSync(options.dataDir).sort()) {
      const path = join(options.dataDir, name);
      if (!statSync(path).isDirectory()) continue;
      if (isDeletedPartitionDirName(name)) {
        // Start-up: nothing serves yet, so removing it synchronously blocks no one.
        manager.logger.warn({ dir: path }, 'finishing an unfinished deletion of a partition directory');
        storageFs().remove(path);
        removed++;
        continue;
      }
      const key = parsePartitionDirName(name);
      if (key === null) continue;
      const topicId = readPartitionTopicId(path);
      manager.logs.set(name, { key, topicId, log: null });
    }
    if (removed > 0) fsyncDirSync(options.dataDir);
    manager.logger.info({ dataDir: options.dataDir, partitions: manager.logs.size }, 'logs found');
    return manager;
  }

  /** Gives every open log of `topic` its (changed) config; logs opened later read it from configFor. */
  reconfigureTopic(topic: string): void {
    const config = this.configFor(topic);
    for (const entry of this.logs.values()) {
      if (entry.key.topic === topic && entry.log !== null) entry.log.reconfigure(config);
    }
  }

  /** Whether a log of this topic incarnation's partition exists here (open or not; not one being deleted). */
  hasLog(topic: string, partition: number, topicId: string): boolean {
    return this.logs.get(partitionDirName(topic, partition))?.topicId === topicId;
  }

  /** The log of an existing partition directory, opened (and recovered) on first use. */
  getLog(topic: string, partition: number): PartitionLog | undefined {
    const name = partitionDirName(topic, partition);
    const entry = this.logs.get(name);
    return entry === undefined ? undefined : this.opened(name, entry);
  }

  private opened(name: string, entry: Entry): PartitionLog {
    const dir = join(this.dataDir, name);
    entry.log ??= PartitionLog.open(dir, this.configFor(entry.key.topic), this.logger, this.openOptions(dir));
    return entry.log;
  }

  /**
   * The log of partition `partition` of the topic incarnation `topicId`, created empty if there
   * is none. A directory from before topic ids is adopted (its partition.metadata is written).
   * A directory of another incarnation, or one whose deletion still runs, is never returned:
   * the answer is then the deletion to wait for, after which the caller asks again.
   */
  openLog(topic: string, partition: number, topicId: string, config: LogConfig = this.configFor(topic)): OpenLogResult {
    const name = partitionDirName(topic, partition);
    const deleting = this.deletions.get(name);
    if (deleting !== undefined) return { deleting };
    const existing = this.logs.get(name);
    if (existing !== undefined) {
      if (existing.topicId === topicId) return { log: this.opened(name, existing) };
      if (existing.topicId === null) {
        writePartitionTopicId(join(this.dataDir, name), topicId);
        existing.topicId = topicId;
        this.logger.warn({ topic, partition, topicId }, 'adopted a partition directory written before topic ids for the topic of that name');
        return { log: this.opened(name, existing) };
      }
      this.logger.warn({ topic, partition, topicId: existing.topicId, currentTopicId: topicId }, 'removing the log of another incarnation of the topic');
      void this.deleteLog(topic, partition);
      return { deleting: this.deletions.get(name)! };
    }
    const dir = join(this.dataDir, name);
    // Only a deletion that failed half-way leaves a directory we do not know; its contents are
    // not this incarnation's.
    if (existsSync(dir)) throw new Error(`partition directory ${dir} exists but is not an open log (a failed deletion?); not reusing it`);
    mkdirSync(dir);
    let log: PartitionLog;
    try {
      writePartitionTopicId(dir, topicId);
      fsyncDirSync(this.dataDir);
      log = PartitionLog.open(dir, config, this.logger, this.openOptions(dir));
    } catch (err) {
      // A full disk can refuse the new directory's first files. It holds nothing yet: remove it,
      // so a later attempt creates it afresh instead of refusing a directory it does not know.
      storageFs().remove(dir);
      throw err;
    }
    this.logs.set(name, { key: { topic, partition }, topicId, log });
    this.logger.info({ topic, partition, topicId }, 'log created');
    return { log };
  }

  partitions(): PartitionDir[] {
    return [...this.logs.values()].map((e) => ({ ...e.key, topicId: e.topicId }));
  }

  /**
   * Deletes a partition's log: at once it is no longer known here and its name counts as busy;
   * after `release` (the replica letting go of the log) it is closed and its directory renamed
   * away, which frees the name; then the directory is removed. Resolves with true when all is done,
   * false when there was no such log or the deletion failed (logged).
   */
  deleteLog(topic: string, partition: number, release: Promise<unknown> = Promise.resolve()): Promise<boolean> {
    const name = partitionDirName(topic, partition);
    const entry = this.logs.get(name);
    if (entry === undefined) return Promise.resolve(false);
    this.logs.delete(name);
    const fields = { topic, partition, topicId: entry.topicId };
    const renamed = (async () => {
      await release.catch(() => undefined);
      await entry.log?.close().catch((err: unknown) => this.logger.warn({ ...fields, err: String(err) }, 'closing a deleted log failed; deleting it anyway'));
      const doomed = join(this.dataDir, deletedPartitionDirName(name, randomUUID().replace(/-/g, '')));
      storageFs().rename(join(this.dataDir, name), doomed);
      fsyncDirSync(this.dataDir);
      return doomed;
    })();
    const freed = renamed.then(
      () => undefined,
      () => undefined,
    );
    this.deletions.set(name, freed);
    void freed.then(() => {
      if (this.deletions.get(name) === freed) this.deletions.delete(name);
    });
    const done = renamed.then(
      async (doomed) => {
        await rm(doomed, { recursive: true, force: true });
        fsyncDirSync(this.dataDir);
        this.logger.info(fields, 'log deleted');
        return true;
      },
      (err: unknown) => {
        // The directory keeps its name; openLog refuses to reuse it and says so.
        this.logger.error({ ...fields, err: String(err) }, 'deleting a partition directory failed');
        return false;
      },
    );
    const tracked = done.then(() => undefined);
    this.inProgress.add(tracked);
    void tracked.then(() => this.inProgress.delete(tracked));
    return done;
  }

  /** Deletes every log of `topic` (see deleteLog); resolves with how many there were. */
  async deleteTopic(topic: string): Promise<number> {
    const partitions = [...this.logs.values()].filter((e) => e.key.topic === topic).map((e) => e.key.partition);
    await Promise.all(partitions.map((p) => this.deleteLog(topic, p)));
    return partitions.length;
  }

  /** Resolves once every deletion started so far has finished. */
  async idle(): Promise<void> {
    // Bounded: each pass waits for the deletions present at its start; new ones need a caller.
    for (let pass = 0; pass < 100 && this.inProgress.size > 0; pass++) await Promise.all([...this.inProgress]);
  }

  /**
   * Applies retention to every log. `highWatermarkOf` bounds what may be deleted per
   * partition (records not yet committed must stay); without it there is no bound.
   */
  runRetention(nowMs: number, highWatermarkOf?: (topic: string, partition: number) => number): RetentionResult {
    let deletedSegments = 0;
    let deletedBytes = 0;
    for (const { key, log } of this.logs.values()) {
      if (log === null) continue;
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

  /** Finishes the deletions in progress, then closes every log. */
  async closeAll(): Promise<void> {
    await this.idle();
    const entries = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(entries.map((e) => e.log?.close()));
  }
}

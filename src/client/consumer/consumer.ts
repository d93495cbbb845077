// The SDK's consumer (issue 13): `subscribe` in a group (the classic protocol with the range and
// cooperative-sticky assignors, rebalance listeners, auto-commit or manual commit,
// commit-on-revoke) or `assign` partitions without one; seek to an offset, a time, the
// beginning or the end; pause and resume; records as an async iterator or through a handler.

import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { Cluster, type ClusterOptions } from '../cluster.ts';
import { kafkaError } from '../errors.ts';
import { pairsOf, toTopicPartitions, tpKey } from './assignor.ts';
import type { Assignor } from './assignor.ts';
import { cooperativeStickyAssignor } from './cooperative-sticky-assignor.ts';
import { type AutoOffsetReset, type ConsumerRecord, Fetcher, type StartAt } from './fetcher.ts';
import { GroupSession, type RebalanceListeners } from './group-session.ts';
import { commitOffsets, EARLIEST_TIMESTAMP, fetchCommitted, LATEST_TIMESTAMP } from './offsets.ts';
import { rangeAssignor } from './range-assignor.ts';
import type { ConnectionSecurity } from '../security.ts';

export type { ConsumerRecord, AutoOffsetReset };

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export type AssignorName = 'range' | 'cooperative-sticky';

/** `ssl` and `sasl` (KafkaJS's names) secure the connections of the Cluster made from `bootstrap`. */
export interface ConsumerOptions extends RebalanceListeners, ConnectionSecurity {
  /** Brokers to bootstrap from (host:port), when no `cluster` is given. */
  bootstrap?: string[];
  /** A Cluster to share with a producer or admin; the consumer then does not close it. */
  cluster?: Cluster;
  clientId?: string;
  limits?: ClusterOptions['limits'];
  /** The consumer group; needed by `subscribe` and by commits. */
  groupId?: string;
  /**
   * Assignors offered in JoinGroup, by preference, with Kafka's names (default ['range',
   * 'cooperative-sticky'], Kafka's). The group is cooperative (KIP-429) only when every one is:
   * pass ['cooperative-sticky'] for incremental rebalances.
   */
  assignors?: AssignorName[];
  /** Where to start when the group has no committed offset, or after OFFSET_OUT_OF_RANGE (default 'latest', Kafka's). */
  autoOffsetReset?: AutoOffsetReset;
  /** Commit processed offsets every autoCommitIntervalMs, on revoke and on close (default true). */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  /** The coordinator removes a member it has not heard from for this long (default 10 000). */
  sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to join again; below limits.requestTimeoutMs (default 20 000). */
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Errors the consumer survives (a failed auto-commit, a listener that threw); default: a warning on stderr. */
  onError?: (err: Error) => void;
}

const ASSIGNORS: Record<AssignorName, Assignor> = { range: rangeAssignor, 'cooperative-sticky': cooperativeStickyAssignor };

export class Consumer {
  private readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  private readonly options: ConsumerOptions;
  private readonly fetcher: Fetcher;
  private session: GroupSession | null = null;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private fatal: Error | null = null;
  private closed = false;
  /** The record a handler is working on (run()), so a revocation waits for it. */
  private handling: Promise<void> | null = null;

  constructor(options: ConsumerOptions) {
    if (!options.cluster && !options.bootstrap) throw new Error('Consumer needs bootstrap (host:port list) or cluster');
    this.options = { ...options };
    this.ownsCluster = !options.cluster;
    this.cluster =
      options.cluster ??
      new Cluster({
        bootstrap: options.bootstrap!,
        ssl: options.ssl,
        sasl: options.sasl,
        clientId: options.clientId ?? 'runnel-consumer',
        limits: options.limits,
      });
    const reset = options.autoOffsetReset ?? 'latest';
    if (!['earliest', 'latest', 'none'].includes(reset)) throw new Error(`autoOffsetReset must be earliest, latest or none, got ${String(reset)}`);
    for (const name of options.assignors ?? []) {
      if (!(name in ASSIGNORS)) throw new Error(`assignors: unknown assignor "${name}" (known: ${Object.keys(ASSIGNORS).join(', ')})`);
    }
    const rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 20_000;
    if (rebalanceTimeoutMs >= this.cluster.limits.requestTimeoutMs) {
      throw new Error(
        `rebalanceTimeoutMs (${rebalanceTimeoutMs}) must be below limits.requestTimeoutMs (${this.cluster.limits.requestTimeoutMs}): a JoinGroup may wait that long`,
      );
    }
    this.fetcher = new Fetcher(this.cluster, { autoOffsetReset: reset, onError: (err) => this.surface(err) });
  }

  /** Joins the group `groupId` consuming `topics`; partitions come and go through rebalances. */
  subscribe(topics: string[]): void {
    const groupId = this.options.groupId;
    if (!groupId) throw new Error('subscribe needs a groupId: pass { groupId } to the Consumer, or use assign() without a group');
    if (this.mode !== 'none') throw new Error(`this consumer already uses ${this.mode}(); make a new Consumer to change it`);
    if (topics.length === 0) throw new Error('subscribe needs at least one topic');
    this.mode = 'subscribe';
    const o = this.options;
    this.session = new GroupSession(this.cluster, this.fetcher, {
      groupId,
      topics: [...new Set(topics)].sort(),
      assignors: (o.assignors ?? ['range', 'cooperative-sticky']).map((name) => ASSIGNORS[name]),
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 20_000,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3_000,
      autoCommit: o.autoCommit ?? true,
      autoCommitIntervalMs: o.autoCommitIntervalMs ?? 5_000,
      onAssigned: o.onAssigned,
      onRevoked: o.onRevoked,
      onLost: o.onLost,
      onError: (err) => this.surface(err),
      idle: async () => {
        await this.handling;
      },
    });
    this.session.start();
    this.fetcher.start();
  }

  /**
   * Reads these partitions without group membership. They start at the group's committed offsets
   * when a groupId is set, else (and where none is committed) by autoOffsetReset; seek to change.
   */
  async assign(partitions: TopicPartition[]): Promise<void> {
    if (this.mode !== 'none') throw new Error(`this consumer already uses ${this.mode}(); make a new Consumer to change it`);
    this.mode = 'assign';
    const tps = toTopicPartitions(partitions.map((p): [string, number] => [p.topic, p.partition]));
    const starts = new Map<string, StartAt>();
    if (this.options.groupId) {
      for (const [key, offset] of await fetchCommitted(this.cluster, this.options.groupId, tps)) if (offset >= 0) starts.set(key, { offset });
    }
    this.fetcher.add(tps, starts);
    this.fetcher.start();
  }

  /** The partition numbers of `topic` (from metadata); throws UNKNOWN_TOPIC_OR_PARTITION when it does not exist. */
  async partitionsFor(topic: string): Promise<number[]> {
    const info = (await this.cluster.metadata([topic])).topics[0] ?? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions: [] };
    if (info.errorCode !== ErrorCode.NONE) throw kafkaError(info.errorCode, `topic ${topic}`, `create it with \`runnel topic create ${topic}\``);
    return info.partitions.map((p) => p.partition);
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return pairsOf(this.fetcher.assigned()).map(([topic, partition]) => ({ topic, partition }));
  }

  /** The next offset to be handed out, or null while a seek or reset is settling. */
  position(tp: TopicPartition): number | null {
    return this.fetcher.position(tp.topic, tp.partition);
  }

  seek(tp: TopicPartition, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`seek: offset must be an integer >= 0, got ${offset}`);
    this.fetcher.seek(tp.topic, tp.partition, { offset });
  }

  /** Moves to the first record with a timestamp at or after `timestampMs` (the end when there is none). */
  seekToTimestamp(tps: TopicPartition[], timestampMs: number): void {
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new Error(`seekToTimestamp: timestampMs must be an integer >= 0, got ${timestampMs}`);
    for (const tp of tps) this.fetcher.seek(tp.topic, tp.partition, { timestamp: timestampMs });
  }

  seekToBeginning(tps: TopicPartition[] = this.assignment()): void {
    for (const tp of tps) this.fetcher.seek(tp.topic, tp.partition, { timestamp: EARLIEST_TIMESTAMP });
  }

  seekToEnd(tps: TopicPartition[] = this.assignment()): void {
    for (const tp of tps) this.fetcher.seek(tp.topic, tp.partition, { timestamp: LATEST_TIMESTAMP });
  }

  pause(tps: TopicPartition[]): void {
    for (const tp of tps) this.fetcher.setPaused(tp.topic, tp.partition, true);
  }

  resume(tps: TopicPartition[]): void {
    for (const tp of tps) this.fetcher.setPaused(tp.topic, tp.partition, false);
  }

  /**
   * Commits the offsets after the records processed so far (or `offsets`: the next offset to read
   * per partition). In a group this fails with REBALANCE_IN_PROGRESS while the group rebalances.
   */
  async commit(offsets?: (TopicPartition & { offset: number })[]): Promise<void> {
    const groupId = this.options.groupId;
    if (!groupId) throw new Error('commit needs a groupId: pass { groupId } to the Consumer');
    const chosen = offsets ? new Map(offsets.map((o) => [tpKey(o.topic, o.partition), o])) : this.fetcher.processedOffsets();
    if (this.session) return this.session.commit(chosen);
    await commitOffsets(this.cluster, groupId, { generationId: -1, memberId: '' }, chosen);
  }

  /**
   * Records as they arrive. A record counts as processed (for commits) once the loop asks for
   * the next one or leaves; leaving the loop does not close the consumer.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord> {
    let last: ConsumerRecord | undefined;
    try {
      while (!this.closed) {
        if (last) this.fetcher.markProcessed(last);
        last = undefined;
        this.throwIfFailed();
        const record = this.fetcher.next();
        if (record) {
          last = record;
          yield record;
        } else {
          await this.fetcher.data.wait(this.cluster.limits.fetchWaitMsMax);
        }
      }
    } finally {
      if (last) this.fetcher.markProcessed(last);
    }
  }

  /**
   * Calls `handler` for each record, one at a time, until close() (or the handler throws: then
   * the record is not marked processed and the error is the result). A rebalance waits for the
   * running handler before its partitions are committed and revoked.
   */
  async run(handler: (record: ConsumerRecord) => void | Promise<void>): Promise<void> {
    while (!this.closed) {
      this.throwIfFailed();
      const record = this.fetcher.next();
      if (!record) {
        await this.fetcher.data.wait(this.cluster.limits.fetchWaitMsMax);
        continue;
      }
      // Marked processed inside the same promise a revocation waits for, so its commit includes the record.
      const handling = (async () => {
        await handler(record);
        this.fetcher.markProcessed(record);
      })();
      this.handling = handling.then(
        () => undefined,
        () => undefined,
      );
      try {
        await handling;
      } finally {
        this.handling = null;
      }
    }
  }

  /** Leaves the group (committing what was processed when auto-commit is on), stops fetching and closes connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fetcher.data.notify();
    await this.session?.stop();
    if (this.mode === 'assign' && this.options.groupId && (this.options.autoCommit ?? true)) await this.commit().catch((err) => this.surface(err));
    await this.fetcher.stop();
    if (this.ownsCluster) await this.cluster.close();
  }

  private throwIfFailed(): void {
    const err = this.fatal ?? this.session?.failure;
    // An OFFSET_OUT_OF_RANGE under 'none' is thrown once: after a seek the partition goes on.
    this.fatal = null;
    if (err) throw err;
  }

  private surface(err: Error): void {
    const fatalName = (err as { errorName?: string }).errorName;
    if (fatalName === 'OFFSET_OUT_OF_RANGE' || this.session?.failure === err) this.fatal = err;
    (this.options.onError ?? ((e: Error) => process.emitWarning(`runnel consumer: ${e.message}`)))(err);
    this.fetcher.data.notify();
  }
}

/** Kafka's names of the built-in assignors, for `assignors`. */
export const assignorNames = Object.keys(ASSIGNORS) as AssignorName[];
export type { TopicPartitions };

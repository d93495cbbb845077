// The group coordinator: the edge around the pure group state machine (group.ts). It routes each
// group request to the group's state machine, parks JoinGroup/SyncGroup requests until their group
// answers them, runs the group timers, and makes every change that Kafka persists durable in
// __consumer_offsets before it answers. Which groups it serves, and their loading when this node
// comes to lead a partition, is group-cache.ts; the offset retention rule is offsets-expiry.ts;
// the snapshots of each partition's state are offsets-follower.ts.
//
// Durability. A committed offset or a group's new assignment is a record appended to the group's
// __consumer_offsets partition (records.ts); the request is answered once the partition's high
// watermark passes it, exactly like an acks=all produce. The in-memory cache changes only then,
// so nothing a client was told can be lost, and nothing it was not told can be read. On start-up
// (and, in cluster mode, when this node becomes a partition's leader) the partition is replayed to
// rebuild the cache: the log is the truth, the cache is derived from it, which is what makes the
// coordinator's state follow the partition's Raft leadership. The replay starts from the state that
// this replica keeps while it follows the partition (offsets-follower.ts), so only the records it
// has not applied yet are read.

import { invariant } from '../../base/invariant.ts';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.ts';
import { batchView, buildRecordBatch } from '../../protocol/record-batch.ts';
import {
  Group,
  type Delivery,
  type Effects,
  type GroupLimits,
  type GroupState,
  type JoinAnswer,
  type JoinInput,
  type MemberView,
  type SyncAnswer,
  type SyncInput,
} from './group.ts';
import { OFFSETS_TOPIC } from './offsets-topic.ts';
import { groupKey, groupValue, offsetKey, offsetValue, type CommittedOffset } from './records.ts';
import { tpKey, type StoredOffset } from './offsets-state.ts';
import { offsetsToExpire } from './offsets-expiry.ts';
import { GroupCache, type Entry, type GroupCacheHost, type GroupCacheLimits } from './group-cache.ts';
import { consumerSubscriptionTopics } from './consumer-protocol.ts';

export interface CoordinatorLimits extends GroupCacheLimits {
  /** Groups (with members or only offsets) one coordinator keeps. */
  groupsMax: number;
  /** Kafka's offset.metadata.max.bytes: longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataBytesMax: number;
  /** Group ids longer than this are refused with INVALID_GROUP_ID. */
  groupIdBytesMax: number;
  /** Kafka's offsets.retention.minutes: how long an empty group's offsets are kept. */
  offsetsRetentionMs: number;
}

export const defaultCoordinatorLimits: Omit<CoordinatorLimits, keyof GroupLimits> = {
  groupsMax: 100_000,
  offsetMetadataBytesMax: 4096,
  groupIdBytesMax: 1024,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
  loadBytesPerTurnMax: 256 * 1024,
};

/** What the coordinator needs from the rest of the broker: the partitions and the metadata. */
export interface CoordinatorHost extends GroupCacheHost {
  nodeId: number;
  leaderEpoch(index: number): number;
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TopicPartitionResult {
  name: string;
  partitions: Array<{ partitionIndex: number; errorCode: number }>;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface GroupSummary {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: MemberView[];
}

type Resolved = { entry: Entry; errorCode?: undefined } | { entry?: undefined; errorCode: number };

export class GroupCoordinator {
  private readonly host: CoordinatorHost;
  private readonly limits: CoordinatorLimits;
  /** The groups served, and the loading of them (group-cache.ts). */
  private readonly cache: GroupCache;
  private readonly entries: Map<string, Entry>;
  private readonly waiters = new Map<number, { kind: Delivery['kind']; resolve: (delivery: Delivery) => void }>();
  private nextToken = 1;
  private closed = false;

  constructor(host: CoordinatorHost, limits: CoordinatorLimits) {
    this.host = host;
    this.limits = limits;
    this.cache = new GroupCache(host, limits, (entry) => this.reschedule(entry));
    this.entries = this.cache.entries;
  }

  // ------------------------------------------------------------------------- loading (group-cache.ts)

  /** Partition count of __consumer_offsets, or 0 while the topic does not exist yet. */
  offsetsPartitionCount(): number {
    return this.cache.offsetsPartitionCount();
  }

  partitionFor(groupId: string): number {
    return this.cache.partitionFor(groupId);
  }

  /** Loads the groups of every hosted partition this node leads (GroupCache.loadAll). */
  loadAll(): void {
    this.cache.loadAll();
  }

  /** Loads the groups of one partition this node came to lead (GroupCache.loadPartition). */
  loadPartition(index: number): Promise<void> {
    return this.cache.loadPartition(index);
  }

  /** Drops a partition's groups (cluster mode: leadership moved elsewhere). */
  unloadPartition(index: number): void {
    this.cache.unloadPartition(index);
  }

  /** FindCoordinator: the error for a group id this node cannot coordinate, or NONE. */
  coordinatorError(groupId: string): number {
    return this.cache.coordinatorError(groupId);
  }

  // --------------------------------------------------------------------------- group membership

  async join(groupId: string, input: Omit<JoinInput, 'token' | 'freshUuid'>): Promise<JoinAnswer> {
    const resolved = this.resolve(groupId, input.memberId === '');
    if (!resolved.entry) return joinError(resolved.errorCode, input.memberId);
    const entry = resolved.entry;
    const token = this.nextToken++;
    const answer = new Promise<Delivery>((resolve) => this.waiters.set(token, { kind: 'join', resolve }));
    this.process(entry, entry.group.join({ ...input, token, freshUuid: randomUUID() }, this.host.now()));
    const delivery = await answer;
    invariant(delivery.kind === 'join', () => `join token ${token} got a ${delivery.kind} answer`);
    return delivery.answer;
  }

  async sync(groupId: string, input: Omit<SyncInput, 'token'>): Promise<SyncAnswer> {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) {
      const errorCode = resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.UNKNOWN_MEMBER_ID : resolved.errorCode;
      return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
    const entry = resolved.entry;
    const token = this.nextToken++;
    const answer = new Promise<Delivery>((resolve) => this.waiters.set(token, { kind: 'sync', resolve }));
    this.process(entry, entry.group.sync({ ...input, token }, this.host.now()));
    const delivery = await answer;
    invariant(delivery.kind === 'sync', () => `sync token ${token} got a ${delivery.kind} answer`);
    return delivery.answer;
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) return resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.UNKNOWN_MEMBER_ID : resolved.errorCode;
    const errorCode = resolved.entry.group.heartbeat(memberId, groupInstanceId, generationId, this.host.now());
    this.reschedule(resolved.entry);
    return errorCode;
  }

  /** LeaveGroup: one error per member (v3+ batches them), plus a group-level error. */
  leave(groupId: string, members: Array<{ memberId: string; groupInstanceId: string | null }>): { errorCode: number; members: number[] } {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) {
      const errorCode = resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.UNKNOWN_MEMBER_ID : resolved.errorCode;
      // A group that does not exist has none of these members; a coordinator problem is group-wide.
      return resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND
        ? { errorCode: ErrorCode.NONE, members: members.map(() => errorCode) }
        : { errorCode, members: members.map(() => errorCode) };
    }
    const entry = resolved.entry;
    const effects: Effects = { deliveries: [], persist: false };
    const now = this.host.now();
    const codes = members.map((m) => entry.group.leave(m.memberId, m.groupInstanceId, now, effects));
    this.process(entry, effects);
    return { errorCode: ErrorCode.NONE, members: codes };
  }

  // ---------------------------------------------------------------------------- offsets

  async commitOffsets(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    topics: Array<{ name: string; partitions: CommitPartition[] }>,
  ): Promise<TopicPartitionResult[]> {
    const everyone = (errorCode: number): TopicPartitionResult[] =>
      topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    const resolved = this.resolve(groupId, generationId < 0);
    if (!resolved.entry) {
      // Kafka: a commit with a generation for a group it does not know comes from an older one.
      return everyone(resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.ILLEGAL_GENERATION : resolved.errorCode);
    }
    const entry = resolved.entry;
    const now = this.host.now();
    const groupError = entry.group.validateCommit(memberId, groupInstanceId, generationId, now);
    this.reschedule(entry);
    if (groupError !== ErrorCode.NONE) return everyone(groupError);

    const metadata = this.host.metadata();
    const records: Array<{ key: Buffer; value: Buffer }> = [];
    const accepted: StoredOffset[] = [];
    const results = topics.map((t) => {
      const topic = metadata.topic(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          let errorCode: number = ErrorCode.NONE;
          if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitionCount) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata, 'utf8') > this.limits.offsetMetadataBytesMax) {
            errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          } else {
            const value: CommittedOffset = {
              offset: p.committedOffset,
              leaderEpoch: p.committedLeaderEpoch,
              metadata: p.committedMetadata ?? '',
              commitTimestampMs: now,
            };
            records.push({ key: offsetKey(groupId, t.name, p.partitionIndex), value: offsetValue(value) });
            accepted.push({ ...value, topic: t.name, partition: p.partitionIndex });
          }
          return { partitionIndex: p.partitionIndex, errorCode };
        }),
      };
    });
    if (records.length === 0) return results;
    try {
      await this.append(entry.partition, records);
    } catch (err) {
      this.host.logger.warn({ err, group: groupId }, 'offset commit could not be made durable');
      const failed = storeErrorCode(err);
      for (const t of results) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = failed;
      return results;
    }
    // Durable: now (and only now) the commit is visible to OffsetFetch.
    if (this.entries.get(groupId) === entry && entry.group.state !== 'Dead') {
      for (const offset of accepted) entry.offsets.set(tpKey(offset.topic, offset.partition), offset);
    }
    return results;
  }

  /** OffsetFetch: `topics` null means every partition the group has an offset for. */
  fetchOffsets(
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  ): { errorCode: number; topics: Array<{ name: string; partitions: FetchedOffset[] }> } {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry && resolved.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) return { errorCode: resolved.errorCode, topics: [] };
    const offsets = resolved.entry?.offsets ?? new Map<string, StoredOffset>();
    const fetched = (name: string, partitionIndex: number): FetchedOffset => {
      const o = offsets.get(tpKey(name, partitionIndex));
      return o
        ? { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      const byTopic = new Map<string, FetchedOffset[]>();
      for (const o of offsets.values()) {
        let list = byTopic.get(o.topic);
        if (!list) {
          list = [];
          byTopic.set(o.topic, list);
        }
        list.push(fetched(o.topic, o.partition));
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => fetched(t.name, p)) })),
    };
  }

  /** OffsetDelete: removes committed offsets of topics the group no longer consumes. */
  async deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }>): Promise<{ errorCode: number; topics: TopicPartitionResult[] }> {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) return { errorCode: resolved.errorCode, topics: [] };
    const entry = resolved.entry;
    const group = entry.group;
    let subscribed = new Set<string>();
    if (group.state !== 'Empty') {
      if (group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = new Set(group.memberViews().flatMap((m) => consumerSubscriptionTopics(m.metadata)));
    }
    const metadata = this.host.metadata();
    const records: Array<{ key: Buffer; value: null }> = [];
    const doomed: string[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partitionIndex) => {
        const topic = metadata.topic(t.name);
        if (!topic || partitionIndex < 0 || partitionIndex >= topic.partitionCount) {
          return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number };
        }
        if (subscribed.has(t.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC as number };
        const k = tpKey(t.name, partitionIndex);
        if (entry.offsets.has(k)) {
          records.push({ key: offsetKey(groupId, t.name, partitionIndex), value: null });
          doomed.push(k);
        }
        return { partitionIndex, errorCode: ErrorCode.NONE as number };
      }),
    }));
    if (records.length > 0) {
      try {
        await this.append(entry.partition, records);
      } catch (err) {
        this.host.logger.warn({ err, group: groupId }, 'offset delete could not be made durable');
        return { errorCode: storeErrorCode(err), topics: [] };
      }
      for (const k of doomed) entry.offsets.delete(k);
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  // ---------------------------------------------------------------------------- admin

  listGroups(statesFilter: string[]): Array<{ groupId: string; protocolType: string; groupState: string }> {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const out: Array<{ groupId: string; protocolType: string; groupState: string }> = [];
    for (const entry of this.entries.values()) {
      const state = entry.group.state;
      if (state === 'Dead' || !this.cache.isLoaded(entry.partition)) continue;
      if (wanted.size > 0 && !wanted.has(state.toLowerCase())) continue;
      out.push({ groupId: entry.groupId, protocolType: entry.group.protocolType ?? '', groupState: state });
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** DescribeGroups: an unknown group is described as Dead without an error, as Kafka does. */
  describeGroup(groupId: string): { errorCode: number; summary: GroupSummary } {
    const dead: GroupSummary = { groupId, state: 'Dead', protocolType: '', protocolName: '', members: [] };
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) {
      return { errorCode: resolved.errorCode === ErrorCode.GROUP_ID_NOT_FOUND ? ErrorCode.NONE : resolved.errorCode, summary: dead };
    }
    const group = resolved.entry.group;
    const stable = group.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      summary: {
        groupId,
        state: group.state,
        protocolType: group.protocolType ?? '',
        // Kafka shows the protocol, member metadata and assignments only for a Stable group.
        protocolName: stable ? (group.protocolName ?? '') : '',
        members: group.memberViews().map((m) => (stable ? m : { ...m, metadata: Buffer.alloc(0), assignment: Buffer.alloc(0) })),
      },
    };
  }

  /** DeleteGroups: an empty group and its offsets go, with tombstones in __consumer_offsets. */
  async deleteGroup(groupId: string): Promise<number> {
    const resolved = this.resolve(groupId, false);
    if (!resolved.entry) return resolved.errorCode;
    const entry = resolved.entry;
    if (entry.group.state !== 'Empty') return entry.group.state === 'Dead' ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NON_EMPTY_GROUP;
    const records: Array<{ key: Buffer; value: null }> = [
      ...[...entry.offsets.values()].map((o) => ({ key: offsetKey(groupId, o.topic, o.partition), value: null })),
      { key: groupKey(groupId), value: null },
    ];
    entry.group.markDead(this.host.now());
    try {
      await this.append(entry.partition, records);
    } catch (err) {
      this.host.logger.warn({ err, group: groupId }, 'group deletion could not be made durable');
      // The tombstones may not have reached the disk; reload would bring the group back, so keep
      // it out of the way now and let the client retry.
      return storeErrorCode(err);
    } finally {
      this.forget(entry);
    }
    return ErrorCode.NONE;
  }

  /**
   * Offset retention (Kafka's offsets.retention.minutes): the offsets of a group that has been
   * empty for the retention time go; a group that never used group management loses each offset
   * that long after its commit. A group left with neither members nor offsets is removed.
   */
  async expireOffsets(): Promise<number> {
    const now = this.host.now();
    let expired = 0;
    for (const entry of [...this.entries.values()]) {
      const group = entry.group;
      if (group.state !== 'Empty' || !this.cache.isLoaded(entry.partition)) continue;
      const { doomed, removeGroup } = offsetsToExpire(group, entry.offsets, now, this.limits.offsetsRetentionMs);
      if (doomed.length === 0 && !removeGroup) continue;
      const records: Array<{ key: Buffer; value: null }> = doomed.map(([, o]) => ({ key: offsetKey(entry.groupId, o.topic, o.partition), value: null }));
      if (removeGroup) records.push({ key: groupKey(entry.groupId), value: null });
      try {
        await this.append(entry.partition, records);
      } catch (err) {
        this.host.logger.warn({ err, group: entry.groupId }, 'offset expiry could not be made durable');
        continue;
      }
      for (const [k] of doomed) entry.offsets.delete(k);
      expired += doomed.length;
      if (removeGroup && entry.group.state === 'Empty' && entry.offsets.size === 0) {
        entry.group.markDead(now);
        this.forget(entry);
      }
      if (doomed.length > 0) this.host.logger.info({ group: entry.groupId, offsets: doomed.length, removed: removeGroup }, 'expired offsets');
    }
    return expired;
  }

  /** Fails every parked request and stops the timers (broker shutdown). */
  close(): void {
    this.closed = true;
    this.cache.close();
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
    for (const [token, waiter] of this.waiters) {
      waiter.resolve(
        waiter.kind === 'join'
          ? { token, kind: 'join', answer: joinError(ErrorCode.NOT_COORDINATOR, '') }
          : { token, kind: 'sync', answer: { errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) } },
      );
    }
    this.waiters.clear();
  }

  // ---------------------------------------------------------------------------- internals

  /** Finds (or creates) the entry of a group this node coordinates, or says why it cannot. */
  private resolve(groupId: string, create: boolean): Resolved {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (typeof groupId !== 'string' || groupId.length === 0 || Buffer.byteLength(groupId, 'utf8') > this.limits.groupIdBytesMax) {
      return { errorCode: ErrorCode.INVALID_GROUP_ID };
    }
    const coordinatorError = this.coordinatorError(groupId);
    if (coordinatorError !== ErrorCode.NONE) return { errorCode: coordinatorError };
    const existing = this.entries.get(groupId);
    if (existing) return { entry: existing };
    if (!create) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
    if (this.entries.size >= this.limits.groupsMax) {
      this.host.logger.warn({ group: groupId, groupsMax: this.limits.groupsMax }, 'refusing a new group: the coordinator holds groupsMax groups');
      return { errorCode: ErrorCode.INVALID_REQUEST };
    }
    const entry: Entry = {
      groupId,
      partition: this.partitionFor(groupId),
      group: new Group(groupId, this.limits, this.host.now()),
      offsets: new Map(),
      timer: null,
      timerAtMs: Infinity,
    };
    this.entries.set(groupId, entry);
    return { entry };
  }

  /** Delivers a state machine's answers, after persisting the group record when it asks for that. */
  private process(entry: Entry, effects: Effects): void {
    this.reschedule(entry);
    if (!effects.persist) {
      this.deliver(effects.deliveries);
      return;
    }
    const record = entry.group.state === 'Dead' ? null : entry.group.toRecord();
    this.append(entry.partition, [{ key: groupKey(entry.groupId), value: record ? groupValue(record) : null }]).then(
      () => this.deliver(effects.deliveries),
      (err: unknown) => {
        this.host.logger.warn({ err, group: entry.groupId }, 'group metadata could not be made durable');
        const errorCode = storeErrorCode(err);
        this.deliver(effects.deliveries.map((d) => ({ ...d, answer: { ...d.answer, errorCode } }) as Delivery));
      },
    );
  }

  private deliver(deliveries: Delivery[]): void {
    for (const delivery of deliveries) {
      const waiter = this.waiters.get(delivery.token);
      if (!waiter) continue;
      this.waiters.delete(delivery.token);
      waiter.resolve(delivery);
    }
  }

  /** Keeps one timer per group, set for the state machine's next deadline. */
  private reschedule(entry: Entry): void {
    if (this.closed) return;
    const deadline = entry.group.nextDeadlineMs();
    if (deadline === entry.timerAtMs) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    entry.timerAtMs = deadline;
    if (!Number.isFinite(deadline)) return;
    const delayMs = Math.max(0, deadline - this.host.now());
    entry.timer = setTimeout(() => {
      entry.timer = null;
      entry.timerAtMs = Infinity;
      if (this.entries.get(entry.groupId) !== entry) return;
      this.process(entry, entry.group.tick(this.host.now()));
    }, delayMs);
    entry.timer.unref();
  }

  private forget(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    if (this.entries.get(entry.groupId) === entry) this.entries.delete(entry.groupId);
  }

  /** Appends records as one batch to a partition of __consumer_offsets and waits until durable. */
  private async append(index: number, records: Array<{ key: Buffer; value: Buffer | null }>): Promise<void> {
    const partition = this.host.offsetsPartition(index);
    if (!partition || !this.host.isLeader(index)) throw new CoordinatorMovedError(index);
    const timestamp = this.host.now();
    const batch = buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp })) });
    // No producer id on the batch: the producer check lets it through, so the outcome is 'appended'.
    const appended = await partition.appendIdempotent([batchView(batch)], this.host.leaderEpoch(index));
    if (appended.kind === 'refused') throw new Error(`${OFFSETS_TOPIC}-${index} refused the write: ${appended.message}`);
    await partition.waitDurable(appended.lastOffset);
  }
}

class CoordinatorMovedError extends Error {
  constructor(index: number) {
    super(`this node no longer leads ${OFFSETS_TOPIC}-${index}`);
  }
}

/** Kafka's mapping of a failed write to __consumer_offsets: the client should find the coordinator again. */
function storeErrorCode(err: unknown): number {
  void err;
  return ErrorCode.NOT_COORDINATOR;
}

function joinError(errorCode: number, memberId: string): JoinAnswer {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

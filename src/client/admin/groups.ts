// Consumer groups for the admin client: list (every broker), describe with lag per partition
// (committed offset against the high watermark), delete, and reset offsets of an empty group.
// Group requests go to the group's coordinator, found again after NOT_COORDINATOR and the like.

import { consumerLag } from '../../protocol/consumer-lag.ts';
import { deleteGroups, describeGroups, listGroups, offsetCommit, offsetFetch } from '../../protocol/apis/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Cluster } from '../cluster.ts';
import { KafkaError, kafkaError } from '../errors.ts';
import { withRetries } from '../retry.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, offsetsAt } from './offsets.ts';

export interface GroupListing {
  groupId: string;
  protocolType: string;
  /** e.g. Stable, Empty, PreparingRebalance. */
  state: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** The group's committed offset; -1 when it has none for this partition. */
  committed: number;
  highWatermark: number;
  /** highWatermark − committed; -1 when nothing is committed. */
  lag: number;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The assignor the members agreed on (e.g. cooperative-sticky), '' when none. */
  protocol: string;
  members: GroupMember[];
  offsets: PartitionLag[];
}

/** Where a reset moves a group's offsets. */
export type ResetTarget = { to: 'earliest' } | { to: 'latest' } | { to: 'timestamp'; timestamp: number } | { to: 'offset'; offset: number };

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

/** Runs `fn` against the group's coordinator, finding it again when it moved. */
function atCoordinator<T>(cluster: Cluster, groupId: string, fn: (node: number) => Promise<T>): Promise<T> {
  return withRetries(
    cluster.limits,
    async () => fn(await cluster.coordinator(groupId)),
    (err) => {
      if (!(err instanceof KafkaError) || COORDINATOR_MOVED.has(err.code)) cluster.invalidateCoordinator(groupId);
    },
  );
}

/** Every group of the cluster: ListGroups asks each broker for the groups it coordinates. */
export async function listAllGroups(cluster: Cluster): Promise<GroupListing[]> {
  const meta = await cluster.metadata([], { refresh: true });
  const answers = await Promise.all(meta.brokers.map((b) => withRetries(cluster.limits, () => cluster.request(b.nodeId, listGroups, { statesFilter: [] }))));
  const out = new Map<string, GroupListing>();
  for (const answer of answers) {
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, 'ListGroups');
    for (const g of answer.groups) out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? '' });
  }
  return [...out.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
}

/** The group's committed offsets: topic → partition → offset. */
async function committedOffsets(cluster: Cluster, groupId: string): Promise<Map<string, Map<number, number>>> {
  const answer = await atCoordinator(cluster, groupId, async (node) => {
    const a = await cluster.request(node, offsetFetch, { groupId, topics: null, groups: [{ groupId, topics: null }], requireStable: false });
    const group = a.groups.length > 0 ? a.groups[0]! : { errorCode: a.errorCode, topics: a.topics };
    if (group.errorCode !== ErrorCode.NONE) throw kafkaError(group.errorCode, `OffsetFetch of group ${groupId}`);
    return group.topics;
  });
  const out = new Map<string, Map<number, number>>();
  for (const t of answer) {
    const partitions = new Map<number, number>();
    for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0) partitions.set(p.partitionIndex, p.committedOffset);
    if (partitions.size > 0) out.set(t.name, partitions);
  }
  return out;
}

/** Describes groups with their members and, per committed partition, the lag. */
export async function describeGroupsWithLag(cluster: Cluster, groupIds: string[]): Promise<GroupDescription[]> {
  return Promise.all(
    groupIds.map(async (groupId) => {
      const g = await atCoordinator(cluster, groupId, async (node) => {
        const answer = await cluster.request(node, describeGroups, { groups: [groupId], includeAuthorizedOperations: false });
        const group = answer.groups[0]!;
        if (group.errorCode !== ErrorCode.NONE) throw kafkaError(group.errorCode, `DescribeGroups ${groupId}`);
        return group;
      });
      const offsets: PartitionLag[] = [];
      for (const [topic, partitions] of await committedOffsets(cluster, groupId)) {
        const ends = await offsetsAt(cluster, topic, [...partitions.keys()], LATEST_TIMESTAMP);
        for (const [partition, committed] of [...partitions].sort((a, b) => a[0] - b[0])) {
          const highWatermark = ends.get(partition) ?? -1;
          offsets.push({ topic, partition, committed, highWatermark, lag: consumerLag(highWatermark, committed) ?? -1 });
        }
      }
      return {
        groupId,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost })),
        offsets,
      };
    }),
  );
}

/** Deletes groups (each must have no members); rejects with the first group's error (e.g. NON_EMPTY_GROUP). */
export async function deleteGroupIds(cluster: Cluster, groupIds: string[]): Promise<void> {
  for (const groupId of groupIds) {
    await atCoordinator(cluster, groupId, async (node) => {
      const answer = await cluster.request(node, deleteGroups, { groupsNames: [groupId] });
      const r = answer.results[0];
      if (r && r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `delete group ${groupId}`);
    });
  }
}

/** The offsets a reset of `partitions` of `topic` to `target` would commit; nothing is committed (a dry run). */
export async function resetOffsetsPlan(cluster: Cluster, topic: string, partitions: number[], target: ResetTarget): Promise<Map<number, number>> {
  if (target.to === 'offset') {
    if (!Number.isInteger(target.offset) || target.offset < 0) throw new Error(`offset must be an integer >= 0, got ${target.offset}`);
    return new Map(partitions.map((p) => [p, target.offset]));
  }
  if (target.to === 'timestamp') {
    const at = await offsetsAt(cluster, topic, partitions, target.timestamp);
    // No record that late: the end, as Kafka's reset tool does.
    const ends = await offsetsAt(cluster, topic, partitions, LATEST_TIMESTAMP);
    return new Map(partitions.map((p) => [p, (at.get(p) ?? -1) >= 0 ? at.get(p)! : ends.get(p)!]));
  }
  return offsetsAt(cluster, topic, partitions, target.to === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
}

/**
 * Moves an empty group's committed offsets of `topic` (all its partitions, or `partitions`) to
 * `target`, and returns the new offsets. A group with members rejects with NON_EMPTY_GROUP:
 * they would commit over the reset.
 */
export async function resetGroupOffsets(
  cluster: Cluster,
  groupId: string,
  topic: string,
  target: ResetTarget,
  partitions?: number[],
): Promise<{ partition: number; offset: number }[]> {
  const [description] = await describeGroupsWithLag(cluster, [groupId]);
  if (description && description.members.length > 0) {
    throw kafkaError(
      ErrorCode.NON_EMPTY_GROUP,
      `group ${groupId} has ${description.members.length} member(s) (state ${description.state})`,
      'stop its consumers first',
    );
  }
  const meta = await cluster.metadata([topic]);
  const info = meta.topics[0]!;
  if (info.errorCode !== ErrorCode.NONE) throw kafkaError(info.errorCode, `topic ${topic}`);
  const chosen = partitions ?? info.partitions.map((p) => p.partition);
  const offsets = await resetOffsetsPlan(cluster, topic, chosen, target);
  await atCoordinator(cluster, groupId, async (node) => {
    const answer = await cluster.request(node, offsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [
        {
          name: topic,
          partitions: [...offsets].map(([partitionIndex, committedOffset]) => ({
            partitionIndex,
            committedOffset,
            committedLeaderEpoch: -1,
            committedMetadata: null,
          })),
        },
      ],
    });
    for (const p of answer.topics[0]?.partitions ?? []) {
      if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `commit ${topic}/${p.partitionIndex} for group ${groupId}`);
    }
  });
  return [...offsets].map(([partition, offset]) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
}

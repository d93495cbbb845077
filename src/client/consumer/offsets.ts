// The consumer's offset requests: committed offsets of a group (OffsetFetch) and commits
// (OffsetCommit) at its coordinator, and offsets by time (ListOffsets) at partition leaders.
// Each answer's error codes become KafkaErrors naming the partition; a coordinator or leader
// that moved is forgotten so the next call asks again.

import { listOffsets, offsetCommit, offsetFetch } from '../../protocol/apis/index.ts';
import type { ListOffsetsResponse } from '../../protocol/apis/list-offsets.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Cluster } from '../cluster.ts';
import { ConnectionError } from '../connection.ts';
import { KafkaError, kafkaError } from '../errors.ts';
import { pairsOf, toTopicPartitions, tpKey } from './assignor.ts';
import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';

/** ListOffsets timestamps with a special meaning (Kafka's). */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const LEADER_MOVED = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

/** The group's committed offsets of these partitions by tpKey; -1 where nothing is committed. */
export async function fetchCommitted(cluster: Cluster, groupId: string, partitions: TopicPartitions): Promise<Map<string, number>> {
  const coordinator = await cluster.coordinator(groupId);
  const topics = partitions.map(({ topic, partitions: p }) => ({ name: topic, partitionIndexes: p }));
  // v8+ asks per group (groups), older versions at the top level; the encoder keeps the fields of the version it speaks.
  const answer = await onCoordinator(cluster, groupId, () =>
    cluster.request(coordinator, offsetFetch, { groupId, topics, groups: [{ groupId, topics }], requireStable: true }, 'group'),
  );
  const group = answer.groups.length > 0 ? answer.groups[0]! : { errorCode: answer.errorCode, topics: answer.topics };
  if (group.errorCode !== ErrorCode.NONE) throw coordinatorError(cluster, groupId, group.errorCode, 'OffsetFetch');
  const out = new Map<string, number>();
  for (const t of group.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw coordinatorError(cluster, groupId, p.errorCode, `OffsetFetch ${t.name}/${p.partitionIndex}`);
      out.set(tpKey(t.name, p.partitionIndex), p.committedOffset);
    }
  }
  return out;
}

export interface CommitMember {
  generationId: number;
  memberId: string;
}

/** Commits `offsets` (tpKey → next offset to read) for the group; throws the first partition's error. */
export async function commitOffsets(
  cluster: Cluster,
  groupId: string,
  member: CommitMember,
  offsets: ReadonlyMap<string, { topic: string; partition: number; offset: number }>,
): Promise<void> {
  if (offsets.size === 0) return;
  const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedMetadata: string | null }[]>();
  for (const { topic, partition, offset } of offsets.values()) {
    const list = byTopic.get(topic) ?? [];
    list.push({ partitionIndex: partition, committedOffset: offset, committedMetadata: null });
    byTopic.set(topic, list);
  }
  const coordinator = await cluster.coordinator(groupId);
  const answer = await onCoordinator(cluster, groupId, () =>
    cluster.request(
      coordinator,
      offsetCommit,
      {
        groupId,
        generationIdOrMemberEpoch: member.generationId,
        memberId: member.memberId,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      },
      'group',
    ),
  );
  for (const t of answer.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw coordinatorError(cluster, groupId, p.errorCode, `OffsetCommit ${t.name}/${p.partitionIndex}`);
    }
  }
}

/**
 * The offset of each partition at `timestamp` (LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, or ms: the
 * first record at or after it, or the end when none), asking each leader; tpKey → offset.
 */
export async function offsetsForTime(cluster: Cluster, partitions: TopicPartitions, timestamp: number): Promise<Map<string, number>> {
  const byLeader = new Map<number, [string, number][]>();
  for (const [topic, partition] of pairsOf(partitions)) {
    const leader = await cluster.leaderFor(topic, partition);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), [topic, partition]]);
  }
  const out = new Map<string, number>();
  await Promise.all(
    [...byLeader].map(async ([leader, pairs]) => {
      const topics = toTopicPartitions(pairs).map(({ topic, partitions: ps }) => ({
        name: topic,
        partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })),
      }));
      let answer: ListOffsetsResponse;
      try {
        answer = await cluster.request(leader, listOffsets, { replicaId: -1, isolationLevel: 0, topics });
      } catch (err) {
        if (err instanceof ConnectionError) for (const t of topics) cluster.invalidate(t.name);
        throw err;
      }
      for (const t of answer.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) {
            if (LEADER_MOVED.has(p.errorCode)) cluster.invalidate(t.name);
            throw kafkaError(p.errorCode, `ListOffsets ${t.name}/${p.partitionIndex}`);
          }
          // -1: no record at or after the timestamp; Kafka's clients then read from the end.
          out.set(tpKey(t.name, p.partitionIndex), p.offset);
        }
      }
    }),
  );
  for (const [key, offset] of out) {
    if (offset < 0 && timestamp >= 0) out.delete(key);
  }
  if (timestamp >= 0) {
    const missing = pairsOf(partitions).filter(([t, p]) => !out.has(tpKey(t, p)));
    if (missing.length > 0) for (const [key, offset] of await offsetsForTime(cluster, toTopicPartitions(missing), LATEST_TIMESTAMP)) out.set(key, offset);
  }
  return out;
}

/** Runs a coordinator request; a broken connection forgets the coordinator before the error goes up. */
async function onCoordinator<T>(cluster: Cluster, groupId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof ConnectionError) cluster.invalidateCoordinator(groupId);
    throw err;
  }
}

function coordinatorError(cluster: Cluster, groupId: string, code: number, what: string): KafkaError {
  if (COORDINATOR_MOVED.has(code)) cluster.invalidateCoordinator(groupId);
  return kafkaError(code, `${what} of group ${groupId}`);
}

/** True for errors after which the same request may be sent again once the coordinator is found. */
export function isCoordinatorRetriable(err: unknown): boolean {
  return err instanceof ConnectionError || (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code));
}

export { LEADER_MOVED };

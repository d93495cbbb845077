// OffsetCommit (key 8): a consumer saves its position in each partition.
//
//   OffsetCommitRequest => group_id generation_id_or_member_epoch(v1+) member_id(v1+)
//       group_instance_id(v7+) retention_time_ms(v2-4) [topics]
//     topics => name [partitions]
//       partitions => partition_index committed_offset committed_leader_epoch(v6+)
//           commit_timestamp(v1) committed_metadata
//   OffsetCommitResponse => throttle_time_ms(v3+) [topics]
//     topics => name [partitions]
//       partitions => partition_index error_code
//
// The commit is answered once its record in __consumer_offsets is durable (coordinator.ts).
// Generation -1 with an empty member id commits for a group that does not use group management
// (assign() consumers, admin tools). retention_time_ms and commit_timestamp are ignored, as in
// Kafka 2.1+: retention is the broker's.

import { ErrorCode } from '../../protocol/errors.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { offsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/apis/offset-commit.ts';

export function offsetCommitHandler(services: BrokerServices): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: offsetCommit,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    async handle(request, context) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: context.apiVersion >= 6 ? p.committedLeaderEpoch : -1,
          committedMetadata: p.committedMetadata ?? null,
        })),
      }));
      // ACLs: READ on the group, then READ on each topic, as Kafka.
      const { authorizer } = services;
      const refuse = (t: (typeof topics)[number], errorCode: number) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      });
      if (!authorizer.check(context.session, 'READ', 'GROUP', request.groupId)) {
        return { throttleTimeMs: 0, topics: topics.map((t) => refuse(t, ErrorCode.GROUP_AUTHORIZATION_FAILED)) };
      }
      const readable = topics.map((t) => authorizer.check(context.session, 'READ', 'TOPIC', t.name));
      const results = await services.groups.commitOffsets(
        request.groupId,
        context.apiVersion >= 1 ? (request.memberId ?? '') : '',
        context.apiVersion >= 7 ? (request.groupInstanceId ?? null) : null,
        context.apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1,
        topics.filter((_, i) => readable[i]),
      );
      if (readable.every(Boolean)) return { throttleTimeMs: 0, topics: results };
      // In the request's order: the committed topics' results, the refused ones in between.
      let next = 0;
      return { throttleTimeMs: 0, topics: topics.map((t, i) => (readable[i] ? results[next++] : refuse(t, ErrorCode.TOPIC_AUTHORIZATION_FAILED))) };
    },
  };
}

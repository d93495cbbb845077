// OffsetDelete (key 47): remove a group's committed offsets for some partitions (KIP-496).
//
//   OffsetDeleteRequest => group_id [topics]
//     topics => name [partitions]
//       partitions => partition_index
//   OffsetDeleteResponse => error_code throttle_time_ms [topics]
//     topics => name [partitions]
//       partitions => partition_index error_code
//
// Allowed for an empty group, and for a live consumer group only on topics none of its members
// subscribes to (GROUP_SUBSCRIBED_TO_TOPIC otherwise). The deletions are tombstones in
// __consumer_offsets, durable before the answer.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { offsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/apis/offset-delete.ts';

export function offsetDeleteHandler(services: BrokerServices): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: offsetDelete,
    async handle(request, context) {
      // ACLs: DELETE on the group, READ on each topic, as Kafka.
      const { authorizer } = services;
      if (!authorizer.check(context.session, 'DELETE', 'GROUP', request.groupId)) {
        return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
      }
      const readable = (name: string) => authorizer.check(context.session, 'READ', 'TOPIC', name);
      const topics = request.topics
        .filter((t) => readable(t.name))
        .map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => p.partitionIndex),
        }));
      const result = await services.groups.deleteOffsets(request.groupId, topics);
      const denied = request.topics
        .filter((t) => !readable(t.name))
        .map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
        }));
      return { errorCode: result.errorCode, throttleTimeMs: 0, topics: result.errorCode === ErrorCode.NONE ? [...result.topics, ...denied] : result.topics };
    },
  };
}

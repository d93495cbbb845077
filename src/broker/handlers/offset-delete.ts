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

import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { offsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/apis/offset-delete.ts';

export function offsetDeleteHandler(services: BrokerServices): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: offsetDelete,
    async handle(request) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => p.partitionIndex),
      }));
      const result = await services.groups.deleteOffsets(request.groupId, topics);
      return { errorCode: result.errorCode, throttleTimeMs: 0, topics: result.topics };
    },
  };
}

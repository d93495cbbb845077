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

import { ApiKey } from '../../protocol/apis/index.ts';
import { apiFor, type ApiHandler, type Body } from '../handler.ts';
import type { BrokerServices } from '../services.ts';

export function offsetDeleteHandler(services: BrokerServices): ApiHandler {
  return {
    api: apiFor(ApiKey.OffsetDelete),
    async handle(request) {
      const topics = (request.topics as Body[]).map((t) => ({
        name: t.name as string,
        partitions: (t.partitions as Body[]).map((p) => p.partitionIndex as number),
      }));
      const result = await services.groups.deleteOffsets(request.groupId, topics);
      return { errorCode: result.errorCode, throttleTimeMs: 0, topics: result.topics };
    },
  };
}

// OffsetFetch (key 9): the committed offsets of a group.
//
//   OffsetFetchRequest => group_id(v0-7) [topics](v0-7, null = all from v2) [groups](v8+)
//       require_stable(v7+)
//     topics => name [partition_indexes]
//     groups => group_id [topics] (null = all)
//   OffsetFetchResponse => throttle_time_ms(v3+) [topics](v0-7) error_code(v2-7) [groups](v8+)
//     topics => name [partitions]
//       partitions => partition_index committed_offset committed_leader_epoch(v5+) metadata
//           error_code
//     groups => group_id [topics] error_code
//
// A partition without a committed offset answers offset -1 and empty metadata. Before v2 there is
// no group-level error, so a coordinator problem is reported on every partition. require_stable
// (KIP-447) asks to wait for pending transactional offsets; without transactions none are pending.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { offsetFetch, type OffsetFetchRequest, type OffsetFetchResponse } from '../../protocol/apis/offset-fetch.ts';

type TopicsQuery = Array<{ name: string; partitionIndexes: number[] }> | null;

export function offsetFetchHandler(services: BrokerServices): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    api: offsetFetch,
    handle(request, context) {
      const version = context.apiVersion;
      // v9's member_id and member_epoch identify KIP-848 consumer-group members; classic groups
      // (the only kind this broker runs) ignore them, as Kafka's do.
      if (version >= 8) {
        const groups = request.groups.map((g) => {
          const result = services.groups.fetchOffsets(g.groupId, toQuery(g.topics));
          return { groupId: g.groupId, topics: result.topics, errorCode: result.errorCode };
        });
        return { throttleTimeMs: 0, groups };
      }
      const query = toQuery(request.topics);
      const result = services.groups.fetchOffsets(request.groupId, query);
      if (version < 2 && result.errorCode !== ErrorCode.NONE) {
        const errorCode = result.errorCode;
        return {
          throttleTimeMs: 0,
          topics: (query ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: -1,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode,
            })),
          })),
        };
      }
      return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
    },
  };
}

function toQuery(topics: OffsetFetchRequest['topics']): TopicsQuery {
  if (topics === null) return null;
  return topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
}

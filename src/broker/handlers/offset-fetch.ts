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
      // ACLs, as Kafka: DESCRIBE on the group; DESCRIBE on each topic named (else
      // TOPIC_AUTHORIZATION_FAILED), and an all-topics request leaves out the others.
      const { authorizer } = services;
      const visible = (name: string) => authorizer.allowed(context.session, 'DESCRIBE', 'TOPIC', name);
      const fetchAuthorized = (groupId: string, query: TopicsQuery): ReturnType<typeof services.groups.fetchOffsets> => {
        if (!authorizer.check(context.session, 'DESCRIBE', 'GROUP', groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
        if (query === null) {
          const all = services.groups.fetchOffsets(groupId, null);
          return { errorCode: all.errorCode, topics: all.topics.filter((t) => visible(t.name)) };
        }
        const result = services.groups.fetchOffsets(
          groupId,
          query.filter((t) => visible(t.name)),
        );
        if (result.errorCode !== ErrorCode.NONE) return result;
        let next = 0;
        const topics = query.map((t) => (visible(t.name) ? result.topics[next++] : failedTopic(t, ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
        return { errorCode: ErrorCode.NONE, topics };
      };
      // v9's member_id and member_epoch identify KIP-848 consumer-group members; classic groups
      // (the only kind this broker runs) ignore them, as Kafka's do.
      if (version >= 8) {
        const groups = request.groups.map((g) => {
          const result = fetchAuthorized(g.groupId, toQuery(g.topics));
          return { groupId: g.groupId, topics: result.topics, errorCode: result.errorCode };
        });
        return { throttleTimeMs: 0, groups };
      }
      const query = toQuery(request.topics);
      const result = fetchAuthorized(request.groupId, query);
      if (version < 2 && result.errorCode !== ErrorCode.NONE) {
        const errorCode = result.errorCode;
        return { throttleTimeMs: 0, topics: (query ?? []).map((t) => failedTopic(t, errorCode)) };
      }
      return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
    },
  };
}

/** A topic of the query answered `errorCode` on every partition, with no offset. */
function failedTopic(t: { name: string; partitionIndexes: number[] }, errorCode: number) {
  return {
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })),
  };
}

function toQuery(topics: OffsetFetchRequest['topics']): TopicsQuery {
  if (topics === null) return null;
  return topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
}

// OffsetForLeaderEpoch (key 23, KIP-101/KIP-320): where a leader epoch ended in the log, so a
// consumer that read records of epoch E can tell, after a leader change, whether the log it read
// was truncated (librdkafka and the Java client ask it before fetching from a new leader).
//
//   OffsetForLeaderEpochRequest => replica_id [topics]
//     topics => topic [partitions]
//       partitions => partition current_leader_epoch leader_epoch
//   OffsetForLeaderEpochResponse => throttle_time_ms [topics]
//     topics => topic [partitions]
//       partitions => error_code partition leader_epoch end_offset
//
// The leader epoch is the Raft term (partitionLeaderEpoch of every batch; 0 on a single node);
// the answer comes from the leader's leader-epoch cache in Kafka offsets
// (storage/leader-epoch-cache.ts). As Kafka's Partition.lastOffsetForLeaderEpoch: a
// current_leader_epoch older than this replica's is FENCED_LEADER_EPOCH, a newer one
// UNKNOWN_LEADER_EPOCH; only the leader answers (else NOT_LEADER_OR_FOLLOWER).

import { ErrorCode } from '../../protocol/errors.ts';
import { endOffsetForEpoch } from '../../storage/leader-epoch-cache.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { notServedError } from './not-served.ts';
import { offsetForLeaderEpoch, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../../protocol/apis/offset-for-leader-epoch.ts';

type PartitionAnswer = OffsetForLeaderEpochResponse['topics'][number]['partitions'][number];

/** Kafka's checkCurrentLeaderEpoch: -1 means the client did not say. */
export function currentEpochError(asked: number, current: number): number {
  if (asked === -1 || current < 0) return ErrorCode.NONE;
  if (asked < current) return ErrorCode.FENCED_LEADER_EPOCH;
  if (asked > current) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return ErrorCode.NONE;
}

export function offsetForLeaderEpochHandler(services: BrokerServices): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
  function answer(topic: string, p: OffsetForLeaderEpochRequest['topics'][number]['partitions'][number]): PartitionAnswer {
    const fail = (errorCode: number): PartitionAnswer => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1 });
    const current = services.replicas.leaderEpoch(topic, p.partition);
    const fenced = currentEpochError(p.currentLeaderEpoch, current);
    if (fenced !== ErrorCode.NONE) return fail(fenced);
    const replica = services.replicas.partition(topic, p.partition);
    if (!replica) return fail(notServedError(services, topic, p.partition));
    const { leaderEpoch, endOffset } = endOffsetForEpoch(replica.leaderEpochCache(current), p.leaderEpoch, replica.logEndOffset);
    return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch, endOffset };
  }

  return {
    api: offsetForLeaderEpoch,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    handle(request, context) {
      const topics = request.topics.map((t) => {
        // ACLs: DESCRIBE on the topic, as Kafka.
        if (!services.authorizer.check(context.session, 'DESCRIBE', 'TOPIC', t.topic)) {
          return {
            topic: t.topic,
            partitions: t.partitions.map((p) => ({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1 })),
          };
        }
        return { topic: t.topic, partitions: t.partitions.map((p) => answer(t.topic, p)) };
      });
      return { throttleTimeMs: 0, topics };
    },
  };
}

// DescribeProducers (key 61, KIP-664): the idempotent producers of partitions led here, from the
// partition's producer state (KIP-98). Runnel has no transactions, so each producer's coordinator
// epoch and current transaction start offset are -1.
//
//   DescribeProducersRequest => [topics]
//     topics => name [partition_indexes]
//   DescribeProducersResponse => throttle_time_ms [topics]
//     topics => name [partitions]
//       partitions => partition_index error_code error_message [active_producers]
//         active_producers => producer_id producer_epoch last_sequence last_timestamp
//             coordinator_epoch current_txn_start_offset

import { ErrorCode } from '../../protocol/errors.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { describeProducers, type DescribeProducersRequest, type DescribeProducersResponse } from '../../protocol/apis/describe-producers.ts';

type PartitionResult = DescribeProducersResponse['topics'][number]['partitions'][number];

export function describeProducersHandler(services: BrokerServices): ApiHandler<DescribeProducersRequest, DescribeProducersResponse> {
  return {
    api: describeProducers,
    partitionsIn: (request) => nestedCount(request.topics, 'partitionIndexes'),
    handle(request, context) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((index): PartitionResult => {
          const fail = (errorCode: number, errorMessage: string | null) => ({ partitionIndex: index, errorCode, errorMessage, activeProducers: [] });
          // ACLs: READ on the topic, as Kafka.
          if (!services.authorizer.check(context.session, 'READ', 'TOPIC', t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null);
          const topic = services.controller.state.topic(t.name);
          if (!topic || index < 0 || index >= topic.partitionCount) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
          const partition = services.replicas.partition(t.name, index);
          if (!partition) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'this broker does not lead the partition');
          const producers = partition.producerState.activeProducers();
          // Retriable, as Produce answers while the state loads after a restart.
          if (producers === null) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the producer state is still loading');
          return {
            partitionIndex: index,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            activeProducers: producers.map((p) => ({
              producerId: p.producerId,
              producerEpoch: p.epoch,
              lastSequence: p.lastSequence,
              lastTimestamp: p.lastTimestamp,
              coordinatorEpoch: -1,
              currentTxnStartOffset: -1,
            })),
          };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}

// ListPartitionReassignments (key 46): the reassignments in flight (KIP-455).
//
//   ListPartitionReassignmentsRequest => timeout_ms [topics] (nullable: null lists all)
//     topics => name [partition_indexes]
//   ListPartitionReassignmentsResponse => throttle_time_ms error_code error_message [topics]
//     topics => name [partitions]
//       partitions => partition_index [replicas] [adding_replicas] [removing_replicas]
//
// Partitions without a reassignment in flight are left out, as Kafka does; a topic or partition
// that does not exist fails the request with UNKNOWN_TOPIC_OR_PARTITION.

import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { ongoingReassignment, type OngoingReassignment } from '../reassignment-admin.ts';
import {
  listPartitionReassignments,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '../../protocol/apis/list-partition-reassignments.ts';

export function listPartitionReassignmentsHandler(services: BrokerServices): ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> {
  return {
    api: listPartitionReassignments,
    partitionsIn: (request) => nestedCount(request.topics, 'partitionIndexes'),
    handle(request, context) {
      // ACLs: DESCRIBE on the cluster, as Kafka.
      if (!services.authorizer.check(context.session, 'DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'ListPartitionReassignments needs DESCRIBE on the cluster',
          topics: [],
        };
      }
      const state = services.controller.state;
      const wanted = request.topics ?? state.allTopics().map((t) => ({ name: t.name, partitionIndexes: [...t.assignments.keys()] }));
      const topics: ListPartitionReassignmentsResponse['topics'] = [];
      for (const { name, partitionIndexes } of wanted) {
        const record = state.topic(name);
        const missing = record ? partitionIndexes.find((p) => p < 0 || p >= record.partitionCount) : partitionIndexes[0];
        if (!record || missing !== undefined) {
          return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${name}-${missing ?? ''} does not exist`, topics: [] };
        }
        const partitions = partitionIndexes.map((p) => ongoingReassignment(state, name, p)).filter((o): o is OngoingReassignment => o !== undefined);
        if (partitions.length > 0) topics.push({ name, partitions });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
    },
  };
}

// AlterPartitionReassignments (key 45): start, change or cancel partition reassignments (KIP-455).
//
//   AlterPartitionReassignmentsRequest => timeout_ms [topics]
//     topics => name [partitions]
//       partitions => partition_index [replicas] (nullable: null cancels)
//   AlterPartitionReassignmentsResponse => throttle_time_ms error_code error_message [responses]
//     responses => name [partitions]
//       partitions => partition_index error_code error_message
//
// The answer comes once the change is in the metadata (the target recorded), not once the data
// moved: ListPartitionReassignments shows what is still in flight, as in Kafka.

import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { repeatedNames } from '../topic-admin.ts';
import { alterReassignment } from '../reassignment-admin.ts';
import {
  alterPartitionReassignments,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/apis/alter-partition-reassignments.ts';

export function alterPartitionReassignmentsHandler(
  services: BrokerServices,
): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> {
  return {
    api: alterPartitionReassignments,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    async handle(request, context) {
      // ACLs: ALTER on the cluster, as Kafka; every partition carries the refusal too.
      if (!services.authorizer.check(context.session, 'ALTER', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        const responses = request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })),
        }));
        return { throttleTimeMs: 0, errorCode, errorMessage: 'AlterPartitionReassignments needs ALTER on the cluster', responses };
      }
      const repeated = repeatedNames(request.topics);
      const responses: AlterPartitionReassignmentsResponse['responses'] = [];
      for (const t of request.topics) {
        const partitions: AlterPartitionReassignmentsResponse['responses'][number]['partitions'] = [];
        const twice = repeatedNames(t.partitions.map((p) => ({ name: String(p.partitionIndex) })));
        for (const p of t.partitions) {
          if (repeated.has(t.name) || twice.has(String(p.partitionIndex))) {
            partitions.push({
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `${t.name}-${p.partitionIndex} appears more than once`,
            });
            continue;
          }
          const outcome = await alterReassignment(services, t.name, p.partitionIndex, p.replicas);
          partitions.push({ partitionIndex: p.partitionIndex, ...outcome });
        }
        responses.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
    },
  };
}

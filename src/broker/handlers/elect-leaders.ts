// ElectLeaders (key 43): preferred-leader election (KIP-460).
//
//   ElectLeadersRequest => election_type (v1+) [topic_partitions] (nullable: null = every partition) timeout_ms
//     topic_partitions => topic [partitions]
//   ElectLeadersResponse => throttle_time_ms error_code (v1+) [replica_election_results]
//     replica_election_results => topic [partition_result]
//       partition_result => partition_id error_code error_message
//
// PREFERRED (0; v0 has only this) hands leadership to the partition's first replica once it is a
// caught-up voter: ELECTION_NOT_NEEDED when it leads already, PREFERRED_LEADER_NOT_AVAILABLE when
// it did not take over within the request's timeout. UNCLEAN (1) is refused per partition with
// INVALID_REQUEST: a Raft group elects only a replica holding every committed entry, and one that
// lost its majority for good is recovered explicitly (docs/cluster.md), never by an election that
// may drop acknowledged records.

import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { electPreferred, ElectionType, type PartitionOutcome } from '../reassignment-admin.ts';
import { electLeaders, type ElectLeadersRequest, type ElectLeadersResponse } from '../../protocol/apis/elect-leaders.ts';

const UNCLEAN_REFUSED = 'unclean leader election is not offered: a Raft group elects only a replica that holds every committed entry';

export function electLeadersHandler(services: BrokerServices): ApiHandler<ElectLeadersRequest, ElectLeadersResponse> {
  return {
    api: electLeaders,
    partitionsIn: (request) => nestedCount(request.topicPartitions, 'partitions'),
    async handle(request, context) {
      const state = services.controller.state;
      const type = context.apiVersion >= 1 ? request.electionType : ElectionType.PREFERRED;
      const named = request.topicPartitions ?? state.allTopics().map((t) => ({ topic: t.name, partitions: [...t.assignments.keys()] }));
      // ACLs: ALTER on the cluster, as Kafka; every partition carries the refusal too.
      if (!services.authorizer.check(context.session, 'ALTER', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        const replicaElectionResults = (request.topicPartitions ?? []).map(({ topic, partitions }) => ({
          topic,
          partitionResult: partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
        }));
        return { throttleTimeMs: 0, errorCode, replicaElectionResults };
      }
      // Elections of different partitions proceed together; each waits at most the request's timeout.
      const results = await Promise.all(
        named.map(async ({ topic, partitions }) => ({
          topic,
          partitionResult: await Promise.all(
            partitions.map(async (partitionId) => ({ partitionId, ...(await elect(services, type, topic, partitionId, request.timeoutMs, context.signal)) })),
          ),
        })),
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
    },
  };
}

function elect(services: BrokerServices, type: number, topic: string, partition: number, timeoutMs: number, signal: AbortSignal): Promise<PartitionOutcome> {
  if (type === ElectionType.UNCLEAN) return Promise.resolve({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: UNCLEAN_REFUSED });
  if (type !== ElectionType.PREFERRED) return Promise.resolve({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown election type ${type}` });
  return electPreferred(services, topic, partition, timeoutMs, signal);
}

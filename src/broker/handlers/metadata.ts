// Metadata (key 3): brokers, topics and partition leaders; creates missing topics when allowed.
//
//   MetadataRequest => [topics] allow_auto_topic_creation(v4+)
//       include_cluster_authorized_operations(v8-10) include_topic_authorized_operations(v8+)
//     topics => topic_id(v10+) name (nullable v10+); the array itself is nullable from v1 (null =
//     all topics); in v0 an empty array means all topics
//   MetadataResponse => throttle_time_ms(v3+) [brokers] cluster_id(v2+) controller_id(v1+) [topics]
//       cluster_authorized_operations(v8-10)
//     brokers => node_id host port rack(v1+)
//     topics => error_code name topic_id(v10+) is_internal(v1+) [partitions]
//         topic_authorized_operations(v8+)
//       partitions => error_code partition_index leader_id leader_epoch(v7+) [replica_nodes]
//           [isr_nodes] [offline_replicas](v5+)
//
// Authorized operations (v8+, KIP-430): what the authorizer allows this session of everything the
// resource type defines, when asked for; INT32_MIN when not (authorized-operations.ts).
//
// ACLs, as Kafka: an all-topics request leaves out the topics the session may not DESCRIBE; a
// named one it may not describe is answered TOPIC_AUTHORIZATION_FAILED, existing or not (so an
// unauthorized client cannot probe names). Auto-creation also needs CREATE on the cluster or the
// topic; without it the topic is TOPIC_AUTHORIZATION_FAILED.
//
// Every broker names every partition's leader, also where it hosts no replica (partition-leader.ts).
//
// Kafka creates an unknown topic when the client allows it (v4+, always before v4) and the broker
// does; kcat's producer depends on this, having no CreateTopics of its own.

import { brokersOn } from '../../metadata/broker-endpoints.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { topicNameProblem } from '../../metadata/topic-names.ts';
import { hostingReplicas, type TopicRecord } from '../../metadata/metadata-state.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { createTopic } from '../topic-admin.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, authorizedOperations, clusterAuthorizedOperations } from '../authorized-operations.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { partitionLeader } from '../partition-leader.ts';
import { uuidFromHex, uuidToHex, zeroUuid } from '../uuid.ts';
import { isInternalTopic } from '../group/offsets-topic.ts';
import { metadata as metadataApi, type MetadataRequest, type MetadataResponse } from '../../protocol/apis/metadata.ts';

export function metadataHandler(services: BrokerServices): ApiHandler<MetadataRequest, MetadataResponse> {
  return {
    api: metadataApi,
    // Each named topic may be auto-created, so the topic count is what needs a bound here.
    partitionsIn: (request) => request.topics?.length ?? 0,
    async handle(request, context) {
      const version = context.apiVersion;
      const state = services.controller.state;
      const requested = request.topics;
      const all = requested === null || (version === 0 && requested.length === 0);
      const allowCreate = services.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation !== false);

      const topics: TopicMetadata[] = [];
      const { authorizer } = services;
      const session = context.session;
      const topicOps = (name: string) => authorizedOperations(authorizer, session, 'TOPIC', name, request.includeTopicAuthorizedOperations);
      const describe = (topic: TopicRecord) => describeTopic(services, topic, topicOps(topic.name));
      if (all) {
        for (const topic of state.allTopics()) if (authorizer.allowed(session, 'DESCRIBE', 'TOPIC', topic.name)) topics.push(describe(topic));
      } else {
        for (const entry of requested!) {
          const name: string | null = entry.name;
          if (name === null || name === undefined) {
            const byId = entry.topicId ? state.topicById(uuidToHex(entry.topicId)) : undefined;
            if (byId && !authorizer.check(session, 'DESCRIBE', 'TOPIC', byId.name)) {
              topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, entry.topicId));
              continue;
            }
            topics.push(byId ? describe(byId) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, entry.topicId));
            continue;
          }
          if (!authorizer.check(session, 'DESCRIBE', 'TOPIC', name)) {
            topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name));
            continue;
          }
          const existing = state.topic(name);
          if (existing) {
            topics.push(describe(existing));
            continue;
          }
          if (topicNameProblem(name)) {
            topics.push(topicError(ErrorCode.INVALID_TOPIC_EXCEPTION, name));
            continue;
          }
          // Internal topics (__consumer_offsets) are created by the broker when it needs them.
          if (!allowCreate || isInternalTopic(name)) {
            topics.push(topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name));
            continue;
          }
          if (!authorizer.allowed(session, 'CREATE', 'CLUSTER', CLUSTER_RESOURCE_NAME) && !authorizer.check(session, 'CREATE', 'TOPIC', name)) {
            topics.push(topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name));
            continue;
          }
          const created = await createTopic(services, { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }, false);
          if (created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
            // Another request created it while we waited: describe what is there now.
            const now = state.topic(name);
            topics.push(now ? describe(now) : topicError(ErrorCode.LEADER_NOT_AVAILABLE, name));
          } else if (created.errorCode !== ErrorCode.NONE || !created.topic) {
            topics.push(topicError(created.errorCode, name));
          } else {
            topics.push(describe(state.topic(name) ?? created.topic));
          }
        }
      }

      return {
        throttleTimeMs: 0,
        // The endpoints of the listener this request came in on (a client on SSL is sent to SSL ports).
        brokers: brokersOn(state.allBrokers(), context.session.listener),
        clusterId: services.clusterId,
        controllerId: services.controller.controllerId,
        topics,
        clusterAuthorizedOperations: clusterAuthorizedOperations(authorizer, session, request.includeClusterAuthorizedOperations),
      };
    },
  };
}

type TopicMetadata = MetadataResponse['topics'][number];

function describeTopic(services: BrokerServices, topic: TopicRecord, topicAuthorizedOperations: number): TopicMetadata {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: uuidFromHex(topic.topicId),
    isInternal: isInternalTopic(topic.name),
    partitions: topic.assignments.map((_, index) => {
      // During a reassignment: the target's replicas, then those being removed (KIP-455).
      const replicas = hostingReplicas(topic, index);
      const leader = partitionLeader(services, topic.name, index, replicas);
      return {
        errorCode: leader.leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: index,
        leaderId: leader.leaderId,
        leaderEpoch: leader.leaderEpoch,
        replicaNodes: replicas,
        isrNodes: leader.isr,
        offlineReplicas: [],
      };
    }),
    topicAuthorizedOperations,
  };
}

function topicError(errorCode: number, name: string | null, topicId?: Buffer): TopicMetadata {
  return {
    errorCode,
    name,
    topicId: topicId ?? zeroUuid,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
  };
}

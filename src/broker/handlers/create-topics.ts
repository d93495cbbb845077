// CreateTopics (key 19).
//
//   CreateTopicsRequest => [topics] timeout_ms validate_only(v1+)
//     topics => name num_partitions replication_factor [assignments] [configs]
//       assignments => partition_index [broker_ids]
//       configs => name value
//   CreateTopicsResponse => throttle_time_ms(v2+) [topics]
//     topics => name topic_id(v7+) error_code error_message(v1+) topic_config_error_code(tagged v5+)
//         num_partitions(v5+) replication_factor(v5+) [configs](v5+)
//       configs => name value read_only config_source is_sensitive
//
// A name that appears twice in one request fails for both entries, as in Kafka (INVALID_REQUEST).

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { createTopic, repeatedNames } from '../topic-admin.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { describeTopicConfigs } from '../../metadata/topic-configs.ts';
import { uuidFromHex, zeroUuid } from '../uuid.ts';
import { createTopics, type CreateTopicsRequest, type CreateTopicsResponse } from '../../protocol/apis/create-topics.ts';

export function createTopicsHandler(services: BrokerServices): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return {
    api: createTopics,
    async handle(request, context) {
      const topics = request.topics;
      const repeated = repeatedNames(topics);
      const results: TopicResult[] = [];
      for (const t of topics) {
        if (repeated.has(t.name)) {
          results.push(failure(t.name, ErrorCode.INVALID_REQUEST, `topic "${t.name}" appears more than once in the request`));
          continue;
        }
        // ACLs: CREATE on the cluster or on the topic, as Kafka.
        if (
          !services.authorizer.allowed(context.session, 'CREATE', 'CLUSTER', CLUSTER_RESOURCE_NAME) &&
          !services.authorizer.check(context.session, 'CREATE', 'TOPIC', t.name)
        ) {
          results.push(failure(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null));
          continue;
        }
        const result = await createTopic(
          services,
          { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs: t.configs },
          request.validateOnly === true,
        );
        if (result.errorCode !== ErrorCode.NONE || !result.topic) {
          results.push(failure(t.name, result.errorCode, result.errorMessage));
          continue;
        }
        const topic = result.topic;
        results.push({
          name: topic.name,
          topicId: uuidFromHex(topic.topicId),
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: ErrorCode.NONE,
          numPartitions: topic.partitionCount,
          replicationFactor: topic.replicationFactor,
          configs: describeTopicConfigs(topic.configs, services.topicDefaults, services.controller.state.dynamicBrokerConfigs(services.nodeId)).map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            configSource: c.source,
            isSensitive: c.isSensitive,
          })),
        });
      }
      return { throttleTimeMs: 0, topics: results };
    },
  };
}

type TopicResult = CreateTopicsResponse['topics'][number];

function failure(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return {
    name,
    topicId: zeroUuid,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

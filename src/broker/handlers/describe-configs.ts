// DescribeConfigs (key 32): the configs in force for topics (resource type 2) and brokers (4),
// each with the source of its value (topic override, this broker's or every broker's dynamic
// config, the broker's config file, Kafka's default) and, when asked, its synonyms. ACLs:
// DESCRIBE_CONFIGS on the topic, or on the cluster for a broker.
//
//   DescribeConfigsRequest => [resources] include_synonyms(v1+) include_documentation(v3+)
//     resources => resource_type resource_name [configuration_keys] (nullable: null = all)
//   DescribeConfigsResponse => throttle_time_ms [results]
//     results => error_code error_message resource_type resource_name [configs]
//       configs => name value read_only is_default(v0) config_source(v1+) is_sensitive
//           [synonyms](v1+) config_type(v3+) documentation(v3+)

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { ConfigSource, describeTopicConfigs, type ConfigEntryView } from '../../metadata/topic-configs.ts';
import { describeBrokerConfigs } from '../../metadata/config-changes.ts';
import { ResourceType, brokerResourceError, configAccessError } from '../config-resources.ts';
import { describeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse } from '../../protocol/apis/describe-configs.ts';

export function describeConfigsHandler(services: BrokerServices): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  return {
    api: describeConfigs,
    handle(request, context) {
      const state = services.controller.state;
      const dynamic = state.dynamicBrokerConfigs(services.nodeId);
      const results = request.resources.map((resource) => {
        const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
        const denied = configAccessError(services, context.session, 'DESCRIBE_CONFIGS', resource);
        if (denied !== null) return { ...base, errorCode: denied, errorMessage: null, configs: [] };
        let entries: ConfigEntryView[];
        if (resource.resourceType === ResourceType.TOPIC) {
          const topic = state.topic(resource.resourceName);
          if (!topic)
            return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic "${resource.resourceName}" does not exist`, configs: [] };
          entries = describeTopicConfigs(topic.configs, services.topicDefaults, dynamic);
        } else if (resource.resourceType === ResourceType.BROKER) {
          const problem = brokerResourceError(services, resource.resourceName);
          if (problem) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, configs: [] };
          entries = describeBrokerConfigs(resource.resourceName, services.brokerConfigs, dynamic);
        } else {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resource.resourceType} is not supported`, configs: [] };
        }
        const keys: string[] | null = resource.configurationKeys;
        const wanted = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: wanted.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
            configSource: e.source,
            isSensitive: e.isSensitive,
            synonyms: request.includeSynonyms ? e.synonyms : [],
            configType: e.configType,
            documentation: request.includeDocumentation ? e.documentation : null,
          })),
        };
      });
      return { throttleTimeMs: 0, results };
    },
  };
}

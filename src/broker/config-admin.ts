// Changing dynamic configs: the checks AlterConfigs and IncrementalAlterConfigs make before they
// propose an alterConfigs metadata command. The command goes through the controller (in cluster
// mode the metadata Raft group, a follower forwarding it as it forwards CreateTopics), and every
// broker applies it to its open partitions when it applies the command (hosted-replicas.ts).

import { ErrorCode } from '../protocol/errors.ts';
import { applyConfigOps, type ConfigOp, type ConfigResource } from '../metadata/config-changes.ts';
import { isInternalTopic } from './group/offsets-topic.ts';
import { ResourceType, brokerResourceError } from './config-resources.ts';
import { proposeSafely } from './topic-admin.ts';
import type { BrokerServices } from './services.ts';

export interface ConfigResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface ConfigChangeRequest {
  resourceType: number;
  resourceName: string;
  ops: ConfigOp[];
}

/** Checks and applies one resource's change; with `replace` (AlterConfigs) the ops are the whole new set. */
export async function alterResourceConfigs(
  services: BrokerServices,
  change: ConfigChangeRequest,
  replace: boolean,
  validateOnly: boolean,
): Promise<ConfigResourceResult> {
  const { resourceType, resourceName } = change;
  const answer = (errorCode: number, errorMessage: string | null): ConfigResourceResult => ({ errorCode, errorMessage, resourceType, resourceName });
  const state = services.controller.state;
  let resource: ConfigResource;
  let current: Readonly<Record<string, string>>;
  if (resourceType === ResourceType.TOPIC) {
    const topic = state.topic(resourceName);
    if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${resourceName}" does not exist`);
    if (isInternalTopic(resourceName)) return answer(ErrorCode.INVALID_REQUEST, `${resourceName} is an internal topic; only the broker sets its configs`);
    resource = { type: 'topic', name: resourceName };
    current = topic.configs;
  } else if (resourceType === ResourceType.BROKER) {
    const problem = brokerResourceError(services, resourceName);
    // Any broker applies a change for another broker through the metadata; only the name's form matters.
    if (problem && !/^\d+$/.test(resourceName)) return answer(ErrorCode.INVALID_REQUEST, problem);
    resource = { type: 'broker', name: resourceName };
    current = state.brokerConfigsOf(resourceName);
  } else {
    return answer(ErrorCode.INVALID_REQUEST, `resource type ${resourceType} is not supported (2 = topic, 4 = broker)`);
  }
  const checked = applyConfigOps(resource, current, change.ops, replace);
  if (!checked.ok) return answer(ErrorCode.INVALID_CONFIG, checked.message);
  if (validateOnly) return answer(ErrorCode.NONE, null);
  const result = await proposeSafely(services, { type: 'alterConfigs', resource, replace, ops: change.ops });
  if (!result.ok) return answer(ErrorCode[result.error], result.message);
  return answer(ErrorCode.NONE, null);
}

/** Resources named twice in one request: Kafka fails each such entry (INVALID_REQUEST). */
export function repeatedResources(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const r of resources) {
    const key = resourceKey(r);
    (seen.has(key) ? repeated : seen).add(key);
  }
  return repeated;
}

export function resourceKey(r: { resourceType: number; resourceName: string }): string {
  return `${r.resourceType}:${r.resourceName}`;
}

/** Answers each resource of an Alter request in order, failing repeated ones without looking further. */
export async function alterAll<R extends { resourceType: number; resourceName: string }>(
  resources: readonly R[],
  toChange: (resource: R) => ConfigChangeRequest | string,
  apply: (change: ConfigChangeRequest) => Promise<ConfigResourceResult>,
): Promise<ConfigResourceResult[]> {
  const repeated = repeatedResources(resources);
  const results: ConfigResourceResult[] = [];
  for (const resource of resources) {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    if (repeated.has(resourceKey(resource))) {
      results.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'the resource appears more than once in the request' });
      continue;
    }
    const change = toChange(resource);
    results.push(typeof change === 'string' ? { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: change } : await apply(change));
  }
  return results;
}

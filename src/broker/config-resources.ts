// The config resources AlterConfigs, IncrementalAlterConfigs and DescribeConfigs accept.

import { brokerResourceProblem } from '../metadata/config-changes.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../security/acl.ts';
import type { Session } from '../security/session.ts';
import type { BrokerServices } from './services.ts';

/** Kafka's ConfigResource.Type numbers. */
export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

/**
 * Why a broker resource name cannot be served here, or null: "" (every broker) and this broker's
 * id are; another broker's configs are asked of that broker, as Kafka's clients do.
 */
export function brokerResourceError(services: BrokerServices, name: string): string | null {
  const problem = brokerResourceProblem(name);
  if (problem) return problem;
  return name === '' || name === String(services.nodeId) ? null : `this is broker ${services.nodeId}; ask broker ${name} for its configs`;
}

/**
 * ACLs: TOPIC_AUTHORIZATION_FAILED or CLUSTER_AUTHORIZATION_FAILED when the session may not
 * `operation` the configs of the resource (a broker's configs are the cluster's, as in Kafka), else null.
 */
export function configAccessError(
  services: BrokerServices,
  session: Session,
  operation: 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS',
  resource: { resourceType: number; resourceName: string },
): number | null {
  if (resource.resourceType === ResourceType.TOPIC) {
    return services.authorizer.check(session, operation, 'TOPIC', resource.resourceName) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  if (resource.resourceType === ResourceType.BROKER) {
    return services.authorizer.check(session, operation, 'CLUSTER', CLUSTER_RESOURCE_NAME) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
  return null;
}

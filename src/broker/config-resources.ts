// The config resources AlterConfigs, IncrementalAlterConfigs and DescribeConfigs accept.

import { brokerResourceProblem } from '../metadata/config-changes.ts';
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

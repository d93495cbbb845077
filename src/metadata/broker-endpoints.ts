// Which address a client is told for a broker: the endpoint of the listener the client's request
// came in on, as Kafka answers Metadata, FindCoordinator and DescribeCluster. A client on the SSL
// listener of broker 1 must be sent to the SSL listeners of brokers 2 and 3, not their PLAINTEXT ones.
import type { BrokerEndpoint, BrokerRecord } from './metadata-state.ts';

/** The listener name of a record written before brokers registered their listeners. */
const LEGACY_LISTENER_NAME = 'PLAINTEXT';

/** The broker's endpoints; a record without listeners has its host/port as one PLAINTEXT endpoint. */
export function endpointsOf(broker: BrokerRecord): readonly BrokerEndpoint[] {
  return broker.listeners ?? [{ name: LEGACY_LISTENER_NAME, host: broker.host, port: broker.port, securityProtocol: 'PLAINTEXT' }];
}

/** The broker's endpoint on `listener`, or undefined when it has no listener of that name (Kafka leaves it out). */
export function endpointOn(broker: BrokerRecord, listener: string): BrokerEndpoint | undefined {
  return endpointsOf(broker).find((endpoint) => endpoint.name === listener);
}

/** The brokers that have `listener`, each with that listener's endpoint, in node id order. */
export function brokersOn(brokers: readonly BrokerRecord[], listener: string): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  const found: Array<{ nodeId: number; host: string; port: number; rack: string | null }> = [];
  for (const broker of brokers) {
    const endpoint = endpointOn(broker, listener);
    if (endpoint !== undefined) found.push({ nodeId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack: broker.rack });
  }
  return found;
}

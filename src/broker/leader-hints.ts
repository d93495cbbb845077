// KIP-951 leader discovery: a Produce (v10+) or Fetch (v12+, endpoints v16+) answered
// NOT_LEADER_OR_FOLLOWER names the leader this broker knows and that broker's address, so the
// client can go there at once instead of refreshing its metadata first.

import { brokersOn } from '../metadata/broker-endpoints.ts';
import type { BrokerServices } from './services.ts';
import { partitionLeader } from './partition-leader.ts';

export interface LeaderHint {
  leaderId: number;
  leaderEpoch: number;
}

/** The leader this broker knows for a partition it does not lead, or null when it knows none. */
export function knownLeader(services: BrokerServices, topic: string, index: number): LeaderHint | null {
  const replicas = services.controller.state.topic(topic)?.assignments[index] ?? [];
  const leader = partitionLeader(services, topic, index, replicas);
  return leader.leaderId >= 0 && leader.leaderId !== services.nodeId ? { leaderId: leader.leaderId, leaderEpoch: leader.leaderEpoch } : null;
}

/** The addresses of the given brokers on `listener` (the request's), for a response's node_endpoints. */
export function leaderEndpoints(
  services: BrokerServices,
  leaders: ReadonlySet<number>,
  listener: string,
): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  return brokersOn(
    services.controller.state.allBrokers().filter((b) => leaders.has(b.nodeId)),
    listener,
  );
}

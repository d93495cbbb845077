// Who leads a partition, as this broker answers clients (Metadata, FindCoordinator).
//
// Its own replica's view when it hosts one (live); otherwise the leader the partition's replicas
// published in the metadata (cluster mode, issue 11: LeaderPublisher), and also when that one is
// newer than any term its own replica has seen. A published leader is a hint: it lags a change
// by the publishing window plus a metadata commit, and a client that meets
// NOT_LEADER_OR_FOLLOWER there refreshes its metadata, as with Kafka's.

import type { BrokerServices } from './services.ts';
import type { LeaderView } from '../partition/replicas.ts';

/** The leader to answer for `topic`-`index`, whose replicas (the assignment) are `replicas`. */
export function partitionLeader(services: BrokerServices, topic: string, index: number, replicas: number[]): LeaderView {
  const live = services.replicas.leaderOf(topic, index);
  const published = services.controller.state.publishedLeader(topic, index);
  if (!published || published.leaderEpoch <= live.epochSeen) return live;
  // Only the replicas know who is caught up; the assignment is Kafka's answer when unknown.
  return { leaderId: published.leaderId, leaderEpoch: published.leaderEpoch, isr: replicas, epochSeen: live.epochSeen };
}

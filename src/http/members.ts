// The members section of GET /status: every broker the metadata knows, where it is reached
// (Kafka and Raft addresses), whether this node's peer transport is connected to it, and its
// role in the metadata group as this node's copy of the group configuration names it. Also
// the learners of the groups led here with how far behind they are: only a group's leader
// tracks its followers, so each broker reports the learners of the groups it leads.
// Pure functions of their inputs, so tests build them from plain data.

import type { BrokerRecord } from '../metadata/metadata-state.ts';
import type { GroupStatus } from '../raft-host/group-status.ts';

export type MemberRole = 'voter' | 'learner' | 'none';

export interface MemberStatus {
  nodeId: number;
  /** `host:port` clients use (the advertised Kafka listener). */
  kafka: string;
  /** `host:port` of the peer transport (cluster.raft_address); null on a single node. */
  raftAddress: string | null;
  /** Connected over the peer transport (always true for this node). */
  connected: boolean;
  /** Role in `__metadata` by this node's copy of its configuration; 'none' when it names the broker in neither list. */
  metadata: MemberRole;
}

export interface LearnerStatus {
  group: string;
  nodeId: number;
  /** Entries the learner lacks relative to the leader's last index. */
  lag: number;
  /** Whether the leader heard from it within the last election timeout. */
  active: boolean;
}

export function roleIn(group: Pick<GroupStatus, 'voters' | 'learners'> | undefined, nodeId: number): MemberRole {
  if (!group) return 'none';
  if (group.voters.includes(nodeId)) return 'voter';
  if (group.learners.includes(nodeId)) return 'learner';
  return 'none';
}

export function memberStatuses(
  brokers: readonly BrokerRecord[],
  selfId: number,
  connected: ReadonlySet<number>,
  metadataGroup: GroupStatus | undefined,
): MemberStatus[] {
  return [...brokers]
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => ({
      nodeId: b.nodeId,
      kafka: `${b.host}:${b.port}`,
      raftAddress: b.raftAddress ?? null,
      connected: b.nodeId === selfId || connected.has(b.nodeId),
      metadata: roleIn(metadataGroup, b.nodeId),
    }));
}

/** The learners of the groups this node leads, with their lag (the leader's view). */
export function learnersCatchingUp(groups: readonly GroupStatus[]): LearnerStatus[] {
  const out: LearnerStatus[] = [];
  for (const g of groups) {
    if (g.state !== 'leader') continue;
    for (const f of g.followers) {
      if (g.learners.includes(f.id)) out.push({ group: g.group, nodeId: f.id, lag: f.lag, active: f.active });
    }
  }
  return out;
}

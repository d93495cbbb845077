// What `./broker status` and GET /status show of one broker: its identity, the brokers the
// metadata knows (with whether the peer transport is connected to each), and, per Raft group
// hosted here, the group's state. Single-node brokers report no groups. `members` and
// `learners` (members.ts) are what `runnel cluster status` prints.

import type { GroupStatus } from '../raft-host/group-status.ts';
import type { LearnerStatus, MemberStatus } from './members.ts';
import type { ReassignmentStatus } from './reassignments.ts';

export interface BrokerStatusEntry {
  nodeId: number;
  host: string;
  port: number;
  /** Whether this broker's peer transport has an authenticated connection to it (always true for itself). */
  connected: boolean;
}

export interface NodeStatus {
  nodeId: number;
  clusterId: string;
  mode: 'single' | 'cluster';
  /** The metadata group's leader (the controller); the node itself on a single node; 0 when unknown. */
  controllerId: number;
  kafka: { host: string; port: number };
  brokers: BrokerStatusEntry[];
  groups: GroupStatus[];
  /**
   * Every broker the metadata knows with its Kafka and Raft addresses, connection and role in
   * `__metadata` (members.ts). Optional: brokers of older versions do not report it.
   */
  members?: MemberStatus[];
  /** The learners of the groups this node leads, with their lag (only a leader knows it). */
  learners?: LearnerStatus[];
  /** Partitions whose replicas are moving (reassignments.ts), at most STATUS_REASSIGNMENTS_MAX of them; absent from older brokers. */
  reassignments?: ReassignmentStatus[];
  /** How many partitions are moving, also those beyond the listed ones. */
  reassigningPartitions?: number;
  /** Cluster mode: bytes received from and sent to all peers over the peer transport since start. */
  transport?: { bytesIn: number; bytesOut: number };
}

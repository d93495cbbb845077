// What `./broker status` and GET /status show of one broker: its identity, the brokers the
// metadata knows (with whether the peer transport is connected to each), and, per Raft group
// hosted here, the group's state. Single-node brokers report no groups.

import type { GroupStatus } from '../raft-host/group-status.ts';

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
  /** Cluster mode: bytes received from and sent to all peers over the peer transport since start. */
  transport?: { bytesIn: number; bytesOut: number };
}

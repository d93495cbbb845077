// What `./broker status` and GET /status show of one broker: its identity, the brokers the
// metadata knows (with whether the peer transport is connected to each), and, per Raft group
// hosted here, the group's state. Single-node brokers report no groups.

export interface GroupFollowerStatus {
  id: number;
  /** Highest index known to be on the follower's disk. */
  match: number;
  /** Entries the follower lacks relative to the leader's last index. */
  lag: number;
  /** 'probe' | 'replicate' | 'snapshot' (the leader's view of the follower). */
  state: string;
  /** Heard from within the last election timeout. */
  active: boolean;
  /** The storage id the follower answers with ('' until it answers). */
  storageId: string;
  /** Whether the configuration names the follower with that storage id (only then it counts). */
  identityOk: boolean;
}

export interface GroupStatus {
  /** `__metadata` or `<topic>-<partition>`. */
  group: string;
  /**
   * A partition group's topic id: which incarnation of the topic it is (a topic deleted and
   * created again has a new one). On the wire the group is named `<topic>-<partition>@<topicId>`.
   */
  topicId?: string;
  state: 'follower' | 'preCandidate' | 'candidate' | 'leader';
  term: number;
  /** 0 when no leader is known. */
  leader: number;
  commit: number;
  applied: number;
  /** The first entry still in the log (entries before it were compacted behind a snapshot or deleted by retention). */
  firstIndex: number;
  lastIndex: number;
  /** This replica's identity in the group: the node's storage id, or `<it>/<suffix>` after it lost its state. */
  storageId: string;
  voters: number[];
  learners: number[];
  /** Filled on the leader only. */
  followers: GroupFollowerStatus[];
}

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

// The state of one Raft group hosted here, as `./broker status` and GET /status show it (one
// entry of NodeStatus.groups, src/http/status.ts).

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

// Plain data types shared by the Raft core, its storage seam and its hosts.
// Everything here is serialisable data: no classes, no methods, so a host can put
// messages on the wire and entries on disk with its own codec.

export type EntryType = 'normal' | 'config';

/** One log entry. `data` of a `config` entry is an encoded ConfChange (see confchange.ts). */
export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  data: Uint8Array;
}

/** The state that must be durable before any message that depends on it is sent. */
export interface HardState {
  term: number;
  vote: number;
  commit: number;
}

/** A member of a Raft group: a node id plus the identity of the disk it runs on. */
export interface Member {
  id: number;
  storageId: string;
}

export interface ConfState {
  voters: Member[];
  learners: Member[];
  /**
   * Storage ids an unsafe recovery removed (forceConfiguration): messages from them are dropped
   * and they can never be added again. Absent when empty, so configurations without a forced
   * change keep the shape (and the bytes) they had before.
   */
  fenced?: string[];
}

export interface Snapshot {
  index: number;
  term: number;
  confState: ConfState;
  data: Uint8Array;
}

/**
 * 'force' is not a proposal: RaftNode.forceConfiguration writes it on one survivor of a group
 * that lost its majority for good (unsafe recovery, docs/raft.md "Forced configuration").
 */
export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode' | 'force';

/** One membership change. Only one may be uncommitted at a time (Raft thesis §4.1). */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: number;
  /**
   * The storage identity the group will accept for this node. The core ignores it in a
   * removeNode; a host may name there the identity that replaces the member (cluster-node.ts
   * replaceDisks), so a later leader can read it from the configuration history.
   */
  storageId: string;
  /**
   * Opaque to Raft (etcd's ConfChange.Context): the founding entries of a partition group name
   * the group they found, so the log proves which topic incarnation it belongs to.
   */
  context?: string;
  /** force: the whole new voter set (learners: none). */
  voters?: Member[];
  /** force: the storage ids of every member left out, fenced for good. */
  fenced?: string[];
}

export type MessageType =
  | 'app'
  | 'appResp'
  | 'hb'
  | 'hbResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'snap'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'prop';

/**
 * One Raft message. All fields are always present (unused ones are 0, '', false, [] or
 * null) so that every message has the same shape, which keeps V8's property access fast.
 */
export interface Message {
  type: MessageType;
  from: number;
  to: number;
  term: number;
  /** app: term of the entry before `entries`; vote: candidate's last term; appResp reject: hint term. */
  logTerm: number;
  /** app: index of the entry before `entries`; appResp: match or rejected index; vote: last index. */
  index: number;
  /**
   * app: the entries to append. prop: the proposed entries (always 'normal', index and term 0),
   * forwarded by a follower or learner to the leader it knows, as etcd-io/raft's MsgProp.
   */
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  snapshot: Snapshot | null;
  /** hb/hbResp: read-index round id; readIndex/readIndexResp: the caller's context; vote: 'transfer'. */
  context: string;
  /** Storage identity of the sender; responses carry it so quorums only count known disks. */
  storageId: string;
  /**
   * hb: the storage identity the leader's progress for the receiver was measured on. A
   * receiver with another identity (its disk was wiped) must not trust `commit`.
   */
  toStorageId: string;
}

export type StateType = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  state: StateType;
  lead: number;
}

/** A linearizable read may be served once the state machine has applied `index`. */
export interface ReadState {
  index: number;
  context: string;
}

/** Asks the host to snapshot its state machine at `index` and compact its log. */
export interface SnapshotRequest {
  index: number;
  term: number;
  confState: ConfState;
  /** Entries up to and including this index may be dropped after the snapshot is stored. */
  compactTo: number;
}

/**
 * What the host must do, in this order:
 *   1. persist `snapshot` (if any), then `entries`, then `hardState` (if any) — durably;
 *   2. send `messages` (only now: they may promise what step 1 made durable);
 *   3. apply `committedEntries` in order (after restoring `snapshot`, if any), serve `readStates`;
 *   4. if `snapshotRequest` is set, snapshot the state machine at that index and compact;
 *   5. call advance(ready).
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
  messages: Message[];
  committedEntries: Entry[];
  readStates: ReadState[];
  snapshotRequest: SnapshotRequest | null;
}

export interface RaftConfig {
  id: number;
  /** Election timeout in ticks (election_rtt). The randomized timeout is in [electionTicks, 2*electionTicks). */
  electionTicks: number;
  /** Heartbeat interval in ticks (heartbeat_rtt). */
  heartbeatTicks: number;
  checkQuorum: boolean;
  preVote: boolean;
  /** Append messages in flight per follower in the replicate state. */
  maxInflightMsgs: number;
  /** Bytes of entries in flight per follower; 0 means no byte limit beyond maxInflightMsgs. */
  maxInflightBytes: number;
  /** Upper bound of entry bytes in one append message (at least one entry is always sent). */
  maxSizePerMsg: number;
  /** Bytes of proposed but uncommitted entries a leader accepts before refusing proposals. */
  maxUncommittedBytes: number;
  /** Upper bound of committed entry bytes handed out in one Ready. */
  maxCommittedBytesPerReady: number;
  /** Pending read-index requests a leader holds before refusing more. */
  maxPendingReads: number;
  /** Ask for a snapshot after this many applied entries (snapshot_entries); 0 disables. */
  snapshotEntries: number;
  /** Entries kept behind a snapshot so slow followers can catch up without one (compaction_overhead). */
  compactionOverhead: number;
  /** The index the host's state machine has already applied (defaults to the snapshot index). */
  applied?: number;
}

export const NONE = 0;

/** Why a proposal was not appended. */
export type ProposeRefusal = 'notLeader' | 'noLeader' | 'transferring' | 'confChangePending' | 'invalidConfChange' | 'tooManyUncommittedBytes' | 'empty';

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; reason: ProposeRefusal; detail?: string };

// Public API of the Raft core. See docs/raft.md for the Ready contract.

export { RaftNode, DEFAULT_RAFT_CONFIG } from './node.ts';
export type { RaftStatus, FollowerStatus } from './node.ts';
export type { ForceResult } from './raft.ts';
export type { ForwardCounters, ForwardResult } from './forwarding.ts';
export type { ProposeResult, ProposeRefusal } from './types.ts';
export { MemoryStorage, bootstrapEntries, cloneConfState } from './storage.ts';
export type { Storage, InitialState } from './storage.ts';
export { Rng } from './rng.ts';
export { encodeConfChange, decodeConfChange } from './membership.ts';
export { NONE } from './types.ts';
export type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Member,
  Message,
  MessageType,
  RaftConfig,
  ReadState,
  Ready,
  Snapshot,
  SnapshotRequest,
  SoftState,
  StateType,
} from './types.ts';

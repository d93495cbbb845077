// A replica's identity in its Raft group (docs/cluster.md, "Replica identity").
//
// Raft may count a replica's vote or acknowledgement only while the replica still has the log
// and hard state it had when it gave the earlier ones. Every message carries the sender's
// storage id and every configuration names each member's, so a replica that lost its state
// must answer under an identity the configuration does not name. The node store's storage id
// names the disk; a group's own storage id is that id while the group's Raft state has been
// continuous on this disk, and `<node storage id>/<suffix>` from the moment it was found lost
// (directory removed, raft.state unreadable, synced log data damaged). The prefix lets the peer
// transport check a group id against the node's authenticated one.

import { randomBytes } from 'node:crypto';
import { storageIdClaimAllowed } from '../transport/storage-id-claims.ts';

/**
 * The node store's record of which groups this disk holds a replica of. A group is recorded
 * before its Raft state can matter (before it votes or acknowledges anything), so a recorded
 * group without a readable raft.state has lost it.
 */
export interface ReplicaRegistry {
  holds(group: string): boolean;
  /** Durable when it returns. */
  record(group: string): void;
  forget(group: string): void;
  recorded(): string[];
}

/** The registry in memory (tests, and hosts without a node store). */
export class MemoryReplicaRegistry implements ReplicaRegistry {
  private readonly groups = new Set<string>();
  holds(group: string): boolean {
    return this.groups.has(group);
  }
  record(group: string): void {
    this.groups.add(group);
  }
  forget(group: string): void {
    this.groups.delete(group);
  }
  recorded(): string[] {
    return [...this.groups];
  }
}

const SEPARATOR = '/';

/** A fresh group-level storage id for a replica of this disk whose state was lost. */
export function newGroupStorageId(nodeStorageId: string, suffix: string = randomBytes(4).toString('hex')): string {
  return `${nodeStorageId}${SEPARATOR}${suffix}`;
}

/**
 * Whether a group's storage id is this disk's: the node's id itself or one made by
 * newGroupStorageId (the rule the transports apply to the ids messages claim).
 */
export function belongsToNode(groupStorageId: string, nodeStorageId: string): boolean {
  return groupStorageId !== '' && storageIdClaimAllowed(nodeStorageId, groupStorageId);
}

// The `__metadata` group's membership reconciler (issue 11, join): which single-server change the
// controller makes next so that the group's configuration names every broker the metadata wants,
// with up to `metadata_voters` voters. Pure: the controller's cluster node (src/node/cluster-node.ts)
// feeds it the group's status and what the handshakes announced, and proposes what it returns,
// one change at a time (Raft thesis §4.1; the core refuses a second change while one is pending).
//
// The rules, in the order they are checked:
//  1. Identity: a member that answers the group under another identity of the disk its peer's
//     authenticated handshake announced (its state was lost, or its data dir wiped) is removed,
//     the removal naming the identity that replaces it (src/partition/replica-identity.ts;
//     docs/cluster.md, "Replica identity").
//  2. Join: a wanted broker (registered in the metadata, or a founder) that is no member is added
//     as a learner, under the identity its last removal named (else the announced disk), once
//     its peer is connected: a learner never counts in a quorum, so adding one cannot cost
//     availability, and it catches up from the log or the snapshot first.
//  3. Promote: while the group has fewer than `metadata_voters` voters, the lowest-id learner that
//     answers under the identity the configuration names, is active, and is caught up (at most
//     PROMOTE_LAG_ENTRIES_MAX entries behind the leader's last index) becomes a voter. Promoting a
//     learner that is far behind would add a voter the commit must wait for (thesis §4.2.1).
//     Voters of brokers removed from the cluster (`departed`) do not count: their replacements are
//     promoted while they are still there (issue 11, leave).
// Removing members the metadata no longer wants (leave, force-leave) is not done here; the
// controller does it once this returns null (cluster-node.ts, removeDepartedMetadataMembers).

import type { RaftStatus } from '../raft/node.ts';
import type { ConfChange, Member } from '../raft/types.ts';
import { belongsToNode } from '../partition/replica-identity.ts';

/** A learner further behind the leader's last index than this is not promoted yet. */
export const PROMOTE_LAG_ENTRIES_MAX = 64;

export interface MetadataMembershipInput {
  /** The leader's status of the group (config, progress per member). */
  status: Pick<RaftStatus, 'id' | 'config' | 'progress'>;
  /** Node ids the group should have: the registered brokers and the founding members. */
  wanted: readonly number[];
  /** Node storage id each connected peer's authenticated handshake announced. */
  announced: ReadonlyMap<number, string>;
  /** cluster.metadata_voters. */
  metadataVoters: number;
  /** The identity the last removal of `id` named (the group's configuration history). */
  replacementFor: (id: number) => string | undefined;
  /**
   * Brokers removed from the cluster (a completed leave) that the configuration still names: they
   * do not count towards metadata_voters, so learners are promoted in their place before they are
   * removed, and a leave of two of three voters never leaves the group without a quorum.
   */
  departed?: (id: number) => boolean;
}

export interface MembershipStep {
  change: ConfChange;
  /** For the log line: why this change. */
  why: 'identity' | 'join' | 'promote';
}

/** The one next change of the metadata group's membership, or null when it is as wanted. */
export function nextMetadataChange(input: MetadataMembershipInput): MembershipStep | null {
  const { status, announced } = input;
  const self = status.id;
  const voters = status.config.voters;
  const learners = status.config.learners;
  const members = [...voters, ...learners];
  const answers = (id: number) => status.progress.find((p) => p.id === id);

  for (const member of members) {
    if (member.id === self) continue;
    const disk = announced.get(member.id);
    if (disk === undefined) continue;
    const change = identityReplacement(member.id, disk, member, answers(member.id)?.storageId ?? '', input.replacementFor, false);
    if (change) return { change, why: 'identity' };
  }

  for (const id of [...new Set(input.wanted)].sort((a, b) => a - b)) {
    if (id === self || members.some((m) => m.id === id)) continue;
    const disk = announced.get(id);
    if (disk === undefined) continue;
    const change = identityReplacement(id, disk, undefined, '', input.replacementFor, false);
    if (change) return { change, why: 'join' };
  }

  const departed = input.departed ?? (() => false);
  if (voters.filter((v) => !departed(v.id)).length < input.metadataVoters) {
    for (const learner of [...learners].sort((a, b) => a.id - b.id)) {
      if (departed(learner.id)) continue;
      const p = answers(learner.id);
      if (!p?.recentActive || p.storageId !== learner.storageId || p.lag > PROMOTE_LAG_ENTRIES_MAX) continue;
      return { change: { type: 'addVoter', nodeId: learner.id, storageId: learner.storageId }, why: 'promote' };
    }
  }
  return null;
}

/**
 * The next step of replacing member `id` whose peer announced node storage id `disk`: remove a
 * member that answers the group under another identity of that disk (naming the identity that
 * replaces it), or add an absent one under the identity its last removal named (else `disk`; if
 * that is not the one it answers with, it is replaced again): as a voter when `voter`, else as a
 * learner. Null when nothing is to be done. Partition groups use it too (cluster-node.ts).
 */
export function identityReplacement(
  id: number,
  disk: string,
  member: Member | undefined,
  answersWith: string,
  replacementFor: (id: number) => string | undefined,
  voter: boolean,
): ConfChange | null {
  if (member) {
    if (answersWith === '' || answersWith === member.storageId || !belongsToNode(answersWith, disk)) return null;
    return { type: 'removeNode', nodeId: id, storageId: answersWith };
  }
  const named = replacementFor(id);
  return { type: voter ? 'addVoter' : 'addLearner', nodeId: id, storageId: named !== undefined && belongsToNode(named, disk) ? named : disk };
}

// The one next membership change of a partition group, decided by its leader: pure, so every rule
// is unit-tested (test/unit/partition/partition-reconciler.test.ts) and the node layer only acts
// on the answer (ClusterNode.reconcileGroups, once a second).
//
// The group's members should be the `wanted` brokers: the partition's reassignment target while
// one is in flight (AlterPartitionReassignments, KIP-455), else its assignment. The rules, in order:
//
//  1. One change at a time (Raft thesis §4.1, single-server changes): nothing while the last
//     configuration entry is not committed.
//  2. A wanted member answering under another identity of its disk (it lost its Raft state, or the
//     whole data_dir was wiped) is removed, naming that identity, so it can be added back as it is
//     (docs/cluster.md, "Replica identity").
//  3. A learner that is not wanted (a cancelled reassignment) is removed: it never counts.
//  4. A wanted broker that is not a member, and whose peer connection announced its disk, is
//     added as a learner: it receives the log but does not count for commit or elections yet.
//  5. A wanted learner is promoted to voter once it answers under its configured identity and its
//     match index is within `learnerLagEntriesMax` of the commit index (thesis §4.2.1: a server
//     joins the voters only after catching up, or the group could stall while it does).
//  6. A voter that is not wanted is removed only once every wanted broker is a voter, so the
//     group never has fewer caught-up voters than the target. When the leader itself must go it
//     first hands leadership to a caught-up wanted voter (thesis §3.10, leadership transfer) and
//     the new leader removes it.
//  7. When the configuration is exactly the wanted voters and a reassignment is in flight, the
//     leader proposes its completion (the target becomes the assignment); after a cancel, that
//     the group is its assignment again (the brokers the cancel left then delete their replicas).

import type { RaftStatus } from '../raft/index.ts';
import type { ConfChange, Member } from '../raft/types.ts';
import { handoffTarget } from '../raft-host/leadership-handoff.ts';
import { belongsToNode } from './replica-identity.ts';

export interface ReconcileInput {
  /** The group's Raft status on this node (only a leader acts). */
  status: RaftStatus;
  /** The brokers the group should have: the reassignment target, else the assignment. */
  wanted: readonly number[];
  /** Whether a reassignment target is in flight, or a cancel left brokers to remove (then rule 7 completes it). */
  reassigning: boolean;
  /** The node storage id each connected peer announced in its authenticated handshake. */
  announced: ReadonlyMap<number, string>;
  /** The identity the group's last removal of `id` named as its replacement, if any. */
  replacementFor: (id: number) => string | undefined;
  /** How far (in entries) below the commit index a learner may be and still be promoted. */
  learnerLagEntriesMax: number;
}

export type ReconcileStep =
  | { kind: 'none'; reason: string }
  | { kind: 'change'; change: ConfChange; reason: string }
  | { kind: 'transfer'; to: number; reason: string }
  | { kind: 'complete' };

export function nextReconcileStep(input: ReconcileInput): ReconcileStep {
  const { status, wanted, announced } = input;
  if (status.state !== 'leader') return none('not the leader');
  // Rule 1: the configuration in force may still be uncommitted.
  if (status.configIndex > status.commit) return none('a configuration change is not committed yet');
  const voters = new Map(status.config.voters.map((m) => [m.id, m]));
  const learners = new Map(status.config.learners.map((m) => [m.id, m]));
  const wantedSet = new Set(wanted);
  const progress = new Map(status.progress.map((p) => [p.id, p]));

  // Rule 2.
  for (const id of wanted) {
    const member = voters.get(id) ?? learners.get(id);
    const disk = announced.get(id);
    if (id === status.id || !member || !disk) continue;
    const answersWith = progress.get(id)?.storageId ?? '';
    if (answersWith !== '' && answersWith !== member.storageId && belongsToNode(answersWith, disk)) {
      return {
        kind: 'change',
        change: { type: 'removeNode', nodeId: id, storageId: answersWith },
        reason: 'the member answers under a new identity of its disk',
      };
    }
  }
  // Rule 3.
  for (const id of learners.keys()) {
    if (!wantedSet.has(id)) return { kind: 'change', change: { type: 'removeNode', nodeId: id, storageId: '' }, reason: 'a learner that is not wanted' };
  }
  // Rule 4.
  for (const id of wanted) {
    if (voters.has(id) || learners.has(id)) continue;
    const disk = announced.get(id);
    if (!disk) continue;
    const named = input.replacementFor(id);
    const storageId = named !== undefined && belongsToNode(named, disk) ? named : disk;
    return { kind: 'change', change: { type: 'addLearner', nodeId: id, storageId }, reason: 'a wanted broker is not a member' };
  }
  // Rule 5.
  for (const id of wanted) {
    const learner = learners.get(id);
    if (!learner) continue;
    if (caughtUp(status, learner, input.learnerLagEntriesMax)) {
      return { kind: 'change', change: { type: 'addVoter', nodeId: id, storageId: learner.storageId }, reason: 'a caught-up learner' };
    }
  }
  const missing = wanted.filter((id) => !voters.has(id));
  // Rule 6.
  const unwanted = [...voters.keys()].filter((id) => !wantedSet.has(id));
  if (unwanted.length > 0) {
    if (missing.length > 0) return none(`waiting for ${missing.join(', ')} to become voters before removing ${unwanted.join(', ')}`);
    const other = unwanted.find((id) => id !== status.id);
    if (other !== undefined) return { kind: 'change', change: { type: 'removeNode', nodeId: other, storageId: '' }, reason: 'a voter that is not wanted' };
    const to = handoffTarget(status, (id) => wantedSet.has(id));
    if (to === 0) return none('the leader must go, but no wanted voter is active to take over');
    return { kind: 'transfer', to, reason: 'the leader itself is not wanted' };
  }
  if (missing.length > 0) return none(`waiting for ${missing.join(', ')} to join`);
  // Rule 7: the voters are exactly the wanted brokers, and no learner is left (rule 3).
  return input.reassigning ? { kind: 'complete' } : none('the configuration is the assignment');
}

function caughtUp(status: RaftStatus, learner: Member, lagEntriesMax: number): boolean {
  const p = status.progress.find((f) => f.id === learner.id);
  return p?.recentActive === true && p.storageId === learner.storageId && status.commit - p.match <= lagEntriesMax;
}

function none(reason: string): ReconcileStep {
  return { kind: 'none', reason };
}

// One round of membership changes of every partition group led on this broker: for each, the
// one next step the pure rules decide (partition-reconciler.ts), acted on. The broker runs it once
// a second (ClusterNode.reconcileGroups); in-process tests drive the same round between ticks, so
// they check the code the broker runs rather than a copy of it.

import type { ConfChange } from '../raft/index.ts';
import type { MetadataCommand, MetadataState } from '../metadata/metadata-state.ts';
import type { ClusterReplicaManager } from './cluster-replica-manager.ts';
import { nextReconcileStep } from './partition-reconciler.ts';

export type CompleteReassignment = MetadataCommand & { type: 'completeReassignment' };

export interface ReconcileRoundInput {
  state: MetadataState;
  replicas: ClusterReplicaManager;
  /** The node storage id each connected peer announced in its authenticated handshake. */
  announced: ReadonlyMap<number, string>;
  learnerLagEntriesMax: number;
}

/** What the round reports back; the broker logs, and proposes completions to the metadata group. */
export interface ReconcileRoundHooks {
  changed(group: string, change: ConfChange, reason: string): void;
  /** The Raft node refused the change (a fenced identity, or a change still in flight). */
  refused(group: string, change: ConfChange, fenced: readonly string[] | undefined): void;
  transferred(group: string, to: number, reason: string): void;
  /** The group is exactly its target (or back to its assignment after a cancel): record it. */
  complete(group: string, command: CompleteReassignment): void;
}

/** Runs one round; whether a membership change or a leadership transfer was started. */
export function reconcilePartitionGroups(input: ReconcileRoundInput, hooks: ReconcileRoundHooks): boolean {
  const { state, replicas } = input;
  let changed = false;
  for (const replica of replicas.allReplicas()) {
    const node = replica.raft;
    if (node?.state !== 'leader') continue;
    const topic = state.topic(replica.topic);
    const topicId = replicas.topicIdOfReplica(replica);
    if (!topic || topic.topicId !== topicId || replica.index >= topic.partitionCount) continue;
    const target = state.reassignmentTarget(replica.topic, replica.index);
    const wanted = target ?? topic.assignments[replica.index];
    const group = replicas.groupNameOf(replica);
    const status = node.status();
    const step = nextReconcileStep({
      status,
      wanted,
      // A cancel is done once the group is its assignment again (TopicRecord.cancelled).
      reassigning: target !== undefined || state.cancelledReplicas(replica.topic, replica.index).length > 0,
      announced: input.announced,
      replacementFor: (id) => replica.storage.replacementFor(id),
      learnerLagEntriesMax: input.learnerLagEntriesMax,
    });
    switch (step.kind) {
      case 'none':
        break;
      case 'change':
        if (node.proposeConfChange(step.change).ok) {
          changed = true;
          hooks.changed(group, step.change, step.reason);
        } else {
          hooks.refused(group, step.change, status.config.fenced);
        }
        break;
      case 'transfer':
        if (node.transferLeadership(step.to)) {
          changed = true;
          hooks.transferred(group, step.to, step.reason);
        }
        break;
      case 'complete':
        hooks.complete(group, { type: 'completeReassignment', topicId, partition: replica.index, replicas: [...wanted] });
        break;
    }
  }
  return changed;
}

// The reassignments section of GET /status (issue 11: "reassignments in flight"): every partition
// whose replicas are moving, from this broker's applied metadata, with the brokers being added
// and removed as ListPartitionReassignments reports them, and each cancel still removing the
// brokers its target added. Pure, so tests build it from a state.

import { ongoingReassignment } from '../broker/reassignment-admin.ts';
import type { MetadataState } from '../metadata/metadata-state.ts';

/** At most this many are listed (a status must stay small); `reassigningPartitions` counts them all. */
export const STATUS_REASSIGNMENTS_MAX = 1_000;

export interface ReassignmentStatus {
  topic: string;
  partition: number;
  /** The assignment the move started from (a cancel goes back to it). */
  replicas: number[];
  /** The replicas the partition moves to. */
  target: number[];
  adding: number[];
  removing: number[];
}

/** The reassignments in flight, topics by name, partitions ascending, at most STATUS_REASSIGNMENTS_MAX. */
export function reassignmentsInFlight(state: MetadataState): { reassignments: ReassignmentStatus[]; reassigningPartitions: number } {
  const reassignments: ReassignmentStatus[] = [];
  let count = 0;
  const topics = state.allTopics().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const topic of topics) {
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      const ongoing = ongoingReassignment(state, topic.name, partition);
      // A cancel in progress: the group shrinks back to its assignment, removing the brokers the
      // cancelled target added (TopicRecord.cancelled); Kafka's List API no longer shows it.
      const cancelled = state.cancelledReplicas(topic.name, partition);
      if (!ongoing && cancelled.length === 0) continue;
      count++;
      if (reassignments.length >= STATUS_REASSIGNMENTS_MAX) continue;
      reassignments.push({
        topic: topic.name,
        partition,
        replicas: [...topic.assignments[partition]],
        target: state.reassignmentTarget(topic.name, partition) ?? [...topic.assignments[partition]],
        adding: ongoing?.addingReplicas ?? [],
        removing: ongoing ? [...new Set([...ongoing.removingReplicas, ...cancelled])] : cancelled,
      });
    }
  }
  return { reassignments, reassigningPartitions: count };
}

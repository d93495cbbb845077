// Partition reassignment and preferred-leader election through Kafka's own APIs (KIP-455,
// KIP-460), shared by the AlterPartitionReassignments, ListPartitionReassignments and ElectLeaders
// handlers. Any broker takes the request: the change is a metadata command, which a broker that is
// not the controller forwards to it (as CreateTopics does), and the partition's Raft leader then
// moves the group (docs/cluster.md, "Reassignment").

import { ErrorCode } from '../protocol/errors.ts';
import { hostingReplicas, type MetadataState } from '../metadata/metadata-state.ts';
import { partitionLeader } from './partition-leader.ts';
import { proposeSafely } from './topic-admin.ts';
import type { BrokerServices } from './services.ts';

export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

const NONE: PartitionOutcome = { errorCode: ErrorCode.NONE, errorMessage: null };

/** Starts, changes (`replicas`) or cancels (null) one partition's reassignment. */
export async function alterReassignment(services: BrokerServices, topic: string, partition: number, replicas: number[] | null): Promise<PartitionOutcome> {
  const result = await proposeSafely(services, { type: 'alterReassignment', topic, partition, replicas: replicas === null ? null : [...replicas] });
  return result.ok ? NONE : { errorCode: ErrorCode[result.error], errorMessage: result.message };
}

export interface OngoingReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** A partition's reassignment in flight as ListPartitionReassignments shows it; undefined when none is. */
export function ongoingReassignment(state: MetadataState, topic: string, partition: number): OngoingReassignment | undefined {
  const record = state.topic(topic);
  const target = state.reassignmentTarget(topic, partition);
  if (!record || !target) return undefined;
  const original = record.assignments[partition];
  return {
    partitionIndex: partition,
    replicas: hostingReplicas(record, partition),
    addingReplicas: target.filter((id) => !original.includes(id)),
    removingReplicas: original.filter((id) => !target.includes(id)),
  };
}

/** Election types of ElectLeaders v1+. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

/** How often a preferred election's waiter looks whether the preferred replica leads. */
const ELECTION_POLL_MS = 100;

/**
 * PREFERRED election of one partition: leadership goes to the first replica of the assignment (of
 * the reassignment target while one is in flight) once it is a caught-up voter. A partition led
 * here transfers at once; one led by another broker moves at that broker's next leader-balance
 * round (every few seconds). Waits until the preferred replica leads, up to `waitMs`.
 */
export async function electPreferred(
  services: BrokerServices,
  topic: string,
  partition: number,
  waitMs: number,
  signal: AbortSignal,
): Promise<PartitionOutcome> {
  const state = services.controller.state;
  const record = state.topic(topic);
  if (!record || !Number.isSafeInteger(partition) || partition < 0 || partition >= record.partitionCount) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${topic}-${partition} does not exist` };
  }
  const preferredOf = (s: MetadataState) => (s.reassignmentTarget(topic, partition) ?? s.topic(topic)?.assignments[partition] ?? [])[0];
  const leads = () => partitionLeader(services, topic, partition, hostingReplicas(record, partition)).leaderId === preferredOf(services.controller.state);
  if (leads()) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: `broker ${preferredOf(state)} already leads ${topic}-${partition}` };
  services.replicas.electPreferred?.(topic, partition, state);
  // Bounded by the request's timeout (and the connection: a closed one aborts).
  const deadline = performance.now() + Math.max(0, waitMs);
  while (performance.now() < deadline && !signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, ELECTION_POLL_MS));
    if (leads()) return NONE;
    services.replicas.electPreferred?.(topic, partition, services.controller.state);
  }
  return {
    errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
    errorMessage: `broker ${preferredOf(services.controller.state)} did not take over ${topic}-${partition} within ${waitMs} ms (not a caught-up voter, or not reachable)`,
  };
}

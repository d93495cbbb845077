// The controller's replica balancers (issue 11, BifroMQ's idea; docs/cluster.md "Balancers"): which
// partitions to reassign next, as alterReassignment commands. Pure: the input is the applied
// metadata state, which brokers the controller sees alive, when it last saw each one, and the
// time; the output is commands the controller proposes one by one (cluster-balancer.ts), and the
// partition groups' leaders then move the data through the reassignment machinery (add the new
// replica as a learner, let it catch up, promote, remove the old one; partition-reconciler.ts).
//
//  - restore: a placement broker (registered, not leaving) unseen for `restoreAfterMs` or longer is
//    gone; each partition that names it gets a target with a live broker in its place, so every
//    partition is back at its replication factor. A partition whose live replicas are no majority
//    is skipped: its group has no leader to move it (unsafe recovery is the operator's call).
//  - spread: once every placement broker is alive and none is leaving, replicas move from the
//    broker hosting the most to the one hosting the fewest until their counts differ by at most
//    one (a broker that joined gets its share).
//
// Both count the replicas each broker will host once the reassignments in flight complete (the
// target where one is, else the assignment), so a move already started is not made twice; both
// leave a partition with a reassignment in flight alone (one move per group at a time; restore
// changes such a target only when it names a gone broker), and together never have more than
// `inflightMax` reassignments in flight.

import { hostingReplicas, type MetadataCommand, type MetadataState, type TopicRecord } from '../metadata/metadata-state.ts';

export type Reassign = MetadataCommand & { type: 'alterReassignment'; replicas: number[] };

export interface BalanceInput {
  state: MetadataState;
  /** Broker ids the controller sees alive (connected peers and itself). */
  live: ReadonlySet<number>;
  /** When the controller last saw each registered broker alive (ms on the `nowMs` clock). */
  lastSeenMs: ReadonlyMap<number, number>;
  nowMs: number;
  /** Reassignments in flight at most, counting those already in flight (limits.max_balance_reassignments). */
  inflightMax: number;
}

export interface RestoreInput extends BalanceInput {
  /** cluster.replica_restore_after_ms: how long a broker must be unseen to be gone. */
  restoreAfterMs: number;
}

/** Placement brokers unseen for at least `restoreAfterMs`, ascending. */
export function goneBrokers(input: RestoreInput): number[] {
  return input.state
    .placementBrokers()
    .map((b) => b.nodeId)
    .filter((id) => !input.live.has(id) && input.nowMs - (input.lastSeenMs.get(id) ?? input.nowMs) >= input.restoreAfterMs);
}

/** Targets that replace gone brokers with live ones, at most as many new reassignments as the limit allows. */
export function restoreMoves(input: RestoreInput): Reassign[] {
  const gone = new Set(goneBrokers(input));
  if (gone.size === 0) return [];
  const { state, live } = input;
  const load = projectedLoad(state, (id) => live.has(id) && !gone.has(id));
  let budget = input.inflightMax - inflightCount(state);
  const moves: Reassign[] = [];
  for (const { topic, partition } of partitions(state)) {
    const target = state.reassignmentTarget(topic.name, partition);
    const current = target ?? topic.assignments[partition];
    if (!current.some((id) => gone.has(id))) continue;
    // Its group needs a leader to move: a majority of the current replicas alive.
    const alive = current.filter((id) => live.has(id)).length;
    if (alive <= current.length / 2) continue;
    if (target === undefined && budget <= 0) continue;
    const taken = new Set(hostingReplicas(topic, partition));
    const replicas: number[] = [];
    for (const id of current) {
      if (!gone.has(id)) {
        replicas.push(id);
        continue;
      }
      const instead = leastLoaded(load, taken);
      if (instead === undefined) continue;
      taken.add(instead);
      load.set(instead, load.get(instead)! + 1);
      replicas.push(instead);
    }
    // No live broker left to take a gone one's place: it keeps the partition (shrinking it would lose redundancy for nothing).
    if (replicas.length < current.length) continue;
    if (target === undefined) budget--;
    moves.push({ type: 'alterReassignment', topic: topic.name, partition, replicas });
  }
  return moves;
}

/**
 * Moves from the most to the least loaded broker until counts differ by at most one, within the
 * in-flight limit; nothing while a placement broker is not alive or a broker is leaving (restore
 * and leave go first, and a move needs its brokers). A replica that is not the preferred leader
 * moves first: moving a preferred one moves leadership too (one election).
 */
export function spreadMoves(input: BalanceInput): Reassign[] {
  const { state, live } = input;
  const brokers = state.placementBrokers().map((b) => b.nodeId);
  if (brokers.length < 2 || state.leavingBrokerIds().length > 0 || brokers.some((id) => !live.has(id))) return [];
  const load = projectedLoad(state, () => true);
  let budget = input.inflightMax - inflightCount(state);
  const moves: Reassign[] = [];
  const moved = new Set<string>();
  while (budget > 0) {
    const order = [...load.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const [to, fewest] = order[0];
    const [from, most] = order.reduce((best, e) => (e[1] > best[1] ? e : best));
    if (most - fewest <= 1) break;
    const pick = movable(state, from, to, moved);
    if (!pick) break;
    const { topic, partition } = pick;
    moved.add(`${topic.name}\0${partition}`);
    load.set(from, most - 1);
    load.set(to, fewest + 1);
    budget--;
    moves.push({ type: 'alterReassignment', topic: topic.name, partition, replicas: topic.assignments[partition].map((id) => (id === from ? to : id)) });
  }
  return moves;
}

/** A partition without a reassignment in flight that `from` hosts and `to` does not: a non-preferred replica first. */
function movable(state: MetadataState, from: number, to: number, moved: ReadonlySet<string>): { topic: TopicRecord; partition: number } | undefined {
  let preferred: { topic: TopicRecord; partition: number } | undefined;
  for (const entry of partitions(state)) {
    const { topic, partition } = entry;
    if (moved.has(`${topic.name}\0${partition}`) || state.reassignmentTarget(topic.name, partition)) continue;
    const replicas = topic.assignments[partition];
    const at = replicas.indexOf(from);
    if (at < 0 || replicas.includes(to)) continue;
    if (at > 0) return entry;
    preferred ??= entry;
  }
  return preferred;
}

/** Every partition, topics by name, partitions ascending (a deterministic order). */
function* partitions(state: MetadataState): Generator<{ topic: TopicRecord; partition: number }> {
  const topics = state.allTopics().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const topic of topics) for (let partition = 0; partition < topic.partitionCount; partition++) yield { topic, partition };
}

/** Partitions with a reassignment in flight. */
function inflightCount(state: MetadataState): number {
  let n = 0;
  for (const { topic, partition } of partitions(state)) if (state.reassignmentTarget(topic.name, partition)) n++;
  return n;
}

/** Replicas each eligible placement broker hosts once the reassignments in flight complete. */
function projectedLoad(state: MetadataState, eligible: (id: number) => boolean): Map<number, number> {
  const load = new Map(
    state
      .placementBrokers()
      .filter((b) => eligible(b.nodeId))
      .map((b) => [b.nodeId, 0]),
  );
  for (const { topic, partition } of partitions(state)) {
    for (const id of state.reassignmentTarget(topic.name, partition) ?? topic.assignments[partition]) {
      if (load.has(id)) load.set(id, load.get(id)! + 1);
    }
  }
  return load;
}

/** The broker with the fewest replicas not in `exclude` (lowest id among equals). */
function leastLoaded(load: ReadonlyMap<number, number>, exclude: ReadonlySet<number>): number | undefined {
  let best: number | undefined;
  for (const [id, n] of load) if (!exclude.has(id) && (best === undefined || n < load.get(best)! || (n === load.get(best)! && id < best))) best = id;
  return best;
}

// Unsafe recovery, the pure part: which groups a request names, in which order, and what the
// operator is told may be lost. UnsafeRecoverer (unsafe-recoverer.ts) acts on it (docs/cluster.md,
// "Unsafe recovery").

import type { RaftStatus } from '../raft/index.ts';
import type { UnsafeRecoverRequest } from '../http/cluster-unsafe-recover.ts';

export const METADATA_GROUP_DISPLAY = '__metadata';

export interface RecoverableGroup {
  /** The Raft group's wire name (`__metadata`, `<topic>-<partition>@<topicId>`). */
  name: string;
  /** As operators write it: `__metadata`, `<topic>-<partition>`. */
  display: string;
  isMetadata: boolean;
  status: RaftStatus;
}

export interface RecoveryTarget<G extends RecoverableGroup> {
  group: G;
  /** Set when the group is left alone, with the reason. */
  skip?: string;
}

export type RecoveryPlan<G extends RecoverableGroup> = { targets: RecoveryTarget<G>[] } | { status: number; error: string };

/**
 * The groups to recover, the metadata group first: a partition's assignment can only change
 * through the metadata group, so it must have a leader again before any partition is shrunk.
 * `{group}` names one group (its display or wire name); `{node}` every group hosted here whose
 * configuration has that broker as a voter and that knows no leader (a group with a leader still
 * has its majority: removing the broker is a normal membership change, not this).
 */
export function planUnsafeRecovery<G extends RecoverableGroup>(request: UnsafeRecoverRequest, groups: readonly G[], selfId: number): RecoveryPlan<G> {
  const ordered = [...groups].sort((a, b) =>
    a.isMetadata !== b.isMetadata ? (a.isMetadata ? -1 : 1) : a.display < b.display ? -1 : a.display > b.display ? 1 : 0,
  );
  if ('group' in request) {
    const group = ordered.find((g) => g.display === request.group || g.name === request.group);
    if (!group) return { status: 404, error: `no group "${request.group}" is hosted on broker ${selfId}` };
    return { targets: [{ group }] };
  }
  if (request.node === selfId) return { status: 400, error: `node ${selfId} is this broker: run the recovery on a surviving broker, naming a lost one` };
  const targets: RecoveryTarget<G>[] = [];
  for (const group of ordered) {
    if (!group.status.config.voters.some((m) => m.id === request.node)) continue;
    const lead = group.status.lead;
    targets.push(
      lead === 0
        ? { group }
        : { group, skip: `node ${lead} leads it: a majority of its voters is alive (remove node ${request.node} with a normal membership change)` },
    );
  }
  if (targets.length === 0) return { status: 404, error: `no group hosted on broker ${selfId} has node ${request.node} as a voter` };
  return { targets };
}

/** What a recovered group may have lost, in words, for the response and the log line. */
export function lossStatement(before: { lastIndex: number; commitIndex: number; highWatermark?: number; logEndOffset?: number }): string {
  const { lastIndex, commitIndex, highWatermark, logEndOffset } = before;
  if (highWatermark !== undefined && logEndOffset !== undefined) {
    const lost = `Records the lost replicas acknowledged at offset ${logEndOffset} or later are lost: this replica held offsets below ${logEndOffset} (Raft index ${lastIndex}) and does not know how far the lost majority committed.`;
    const uncommitted =
      logEndOffset > highWatermark
        ? ` Offsets ${highWatermark}..${logEndOffset - 1} were not known committed here and are now committed: a producer that got no acknowledgement for them may have sent them again (duplicates).`
        : ' Every record this replica held was known committed.';
    return lost + uncommitted;
  }
  const lost = `Metadata changes the lost voters committed after entry ${lastIndex} (topics created or deleted, brokers registered, producer ids handed out) are lost.`;
  const uncommitted = lastIndex > commitIndex ? ` Entries ${commitIndex + 1}..${lastIndex} were not known committed here and are now committed.` : '';
  return lost + uncommitted;
}

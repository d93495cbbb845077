// GET /v1/ready (what a Kubernetes readiness probe asks): this broker is registered in the
// metadata and every Raft group it hosts has caught up as far as it can tell — a leader is
// known and this replica has applied every entry it knows to be committed. A learner counts
// like a voter (a broker beyond cluster.metadata_voters stays a learner of __metadata for
// good). A follower's exact lag is known only to its leader (GET /v1/raft/groups there). Pure,
// so tests build it from plain data.

import type { GroupStatus } from '../raft-host/group-status.ts';

export interface Readiness {
  ready: boolean;
  /** Why not, one line per cause (at most READINESS_REASONS_MAX). */
  reasons: string[];
}

/** A broker with thousands of groups catching up names the first few; the count says the rest. */
export const READINESS_REASONS_MAX = 20;

export function readiness(nodeId: number, registered: boolean, groups: readonly GroupStatus[]): Readiness {
  const reasons: string[] = [];
  let more = 0;
  const add = (reason: string): void => {
    if (reasons.length < READINESS_REASONS_MAX) reasons.push(reason);
    else more++;
  };
  if (!registered) add(`broker ${nodeId} is not registered in the cluster metadata yet`);
  for (const g of groups) {
    if (g.leader === 0) add(`${g.group}: no leader known (term ${g.term})`);
    else if (g.applied < g.commit) add(`${g.group}: applied ${g.applied} of ${g.commit} committed entries`);
  }
  if (more > 0) reasons.push(`and ${more} more`);
  return { ready: reasons.length === 0, reasons };
}

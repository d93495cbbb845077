// A broker that shuts down cleanly first hands every Raft group it leads to a caught-up voter
// (leadership transfer, Raft thesis §3.10), so its partitions, its __consumer_offsets partitions
// (the group coordinators) and the controller move in about one round trip and an fsync instead
// of waiting for the followers' election timeout (issue 9: coordinator failover under 1 s).

import type { RaftStatus } from '../raft/index.ts';

/**
 * The voter to hand a led group to: an active follower answering from the disk the configuration
 * names, the one with the longest log (a transfer to a lagging one waits for it to catch up), the
 * lowest id among equals, among those `eligible` allows (a reassignment hands over only to a replica
 * the target keeps). 0 when there is none (a one-voter group, or no follower heard lately):
 * then the group is left to an election after the broker stops.
 */
export function handoffTarget(status: RaftStatus, eligible: (id: number) => boolean = () => true): number {
  if (status.state !== 'leader') return 0;
  const voters = new Set(status.config.voters.map((m) => m.id));
  let best = 0;
  let bestMatch = -1;
  for (const f of status.progress) {
    if (f.id === status.id || !voters.has(f.id) || !f.recentActive || !f.identityOk || !eligible(f.id)) continue;
    if (f.match > bestMatch || (f.match === bestMatch && f.id < best)) {
      best = f.id;
      bestMatch = f.match;
    }
  }
  return best;
}

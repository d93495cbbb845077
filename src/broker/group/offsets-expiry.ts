// Offset retention (Kafka's offsets.retention.minutes), as a rule over one group: which of its
// committed offsets have expired, and whether the group goes with them. The coordinator writes
// the tombstones and applies the outcome (coordinator.ts, expireOffsets).

import type { Group } from './group.ts';
import type { StoredOffset } from './offsets-state.ts';

export interface Expiry {
  /** The expired offsets, by tpKey. */
  doomed: Array<[string, StoredOffset]>;
  /** True when every offset expired: the group record goes too (if the group is still empty then). */
  removeGroup: boolean;
}

/**
 * For an empty group: a group that used group management (it had members) loses all its offsets
 * once it has been empty for `retentionMs`; a group that only committed offsets (no group
 * management) loses each offset `retentionMs` after its commit.
 */
export function offsetsToExpire(group: Group, offsets: ReadonlyMap<string, StoredOffset>, nowMs: number, retentionMs: number): Expiry {
  const usedGroupManagement = group.protocolType !== null || group.generationId > 0;
  const doomed = [...offsets.entries()].filter(([, o]) =>
    usedGroupManagement ? nowMs - group.stateTimestampMs >= retentionMs : nowMs - o.commitTimestampMs >= retentionMs,
  );
  return { doomed, removeGroup: doomed.length === offsets.size };
}

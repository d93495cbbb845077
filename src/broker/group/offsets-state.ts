// The compacted content of one __consumer_offsets partition: for every live group its last group
// record and the last committed offset of each of its partitions. Applying the partition's records
// in log order gives this state; it is what Kafka's log compaction would keep, so its size is
// bounded by live groups × partitions, not by the history (tombstones remove entries).
//
// Replaying a suffix of the log over a state that already covers it gives the same state (each key
// ends with its last write, and a group tombstone is followed by whatever the group committed after
// it), so a snapshot covering offset C may serve as the base of a replay from any offset ≤ C. That
// is what lets a Raft snapshot carry a state newer than the log start it restarts a follower at.
//
// Pure: no I/O. Serialised as JSON with the records in their own binary format (records.ts), base64.

import type { GroupRecord } from './group.ts';
import { decodeOffsetsRecord, groupKey, groupValue, offsetKey, offsetValue, type CommittedOffset } from './records.ts';

export type StoredOffset = CommittedOffset & { topic: string; partition: number };

export interface GroupContent {
  /** The last group record, or null when the group has only offsets (no group management). */
  record: GroupRecord | null;
  /** Committed offsets by tpKey(topic, partition). */
  offsets: Map<string, StoredOffset>;
}

/** The snapshot format (version 1; `coveredOffset` inside since the cluster-mode snapshots). */
interface SnapshotData {
  version: 1;
  /** Every record below this offset is reflected in `records`. */
  coveredOffset?: number;
  /** [key, value] in the record format of records.ts, base64; '' is a null value. */
  records: Array<[string, string]>;
}

export class OffsetsSnapshotError extends Error {
  constructor(message: string) {
    super(`consumer-group snapshot: ${message}`);
    this.name = 'OffsetsSnapshotError';
  }
}

export class OffsetsState {
  readonly groups = new Map<string, GroupContent>();

  /** Applies one record of the partition (null value: a tombstone). Throws on a record it cannot decode. */
  apply(key: Buffer, value: Buffer | null): void {
    const decoded = decodeOffsetsRecord(key, value);
    let content = this.groups.get(decoded.group);
    if (decoded.kind === 'group') {
      // A group tombstone (DeleteGroups, retention) takes the group's offsets with it.
      if (decoded.value === null) this.groups.delete(decoded.group);
      else if (content) content.record = decoded.value;
      else this.groups.set(decoded.group, { record: decoded.value, offsets: new Map() });
      return;
    }
    const k = tpKey(decoded.topic, decoded.partition);
    if (decoded.value === null) {
      if (!content) return;
      content.offsets.delete(k);
      if (content.offsets.size === 0 && content.record === null) this.groups.delete(decoded.group);
      return;
    }
    if (!content) {
      content = { record: null, offsets: new Map() };
      this.groups.set(decoded.group, content);
    }
    // Spelled out: an object spread here cost ten times as much, on every replica for every commit.
    const v = decoded.value;
    content.offsets.set(k, {
      offset: v.offset,
      leaderEpoch: v.leaderEpoch,
      metadata: v.metadata,
      commitTimestampMs: v.commitTimestampMs,
      topic: decoded.topic,
      partition: decoded.partition,
    });
  }

  /** Committed offsets held, over all groups (for logs and limits). */
  offsetCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.offsets.size;
    return n;
  }

  /** The state as a snapshot string that covers `coveredOffset`. */
  serialize(coveredOffset: number): string {
    const records: Array<[string, string]> = [];
    for (const [groupId, content] of this.groups) {
      if (content.record) records.push([groupKey(groupId).toString('base64'), groupValue(content.record).toString('base64')]);
      for (const o of content.offsets.values()) {
        records.push([offsetKey(groupId, o.topic, o.partition).toString('base64'), offsetValue(o).toString('base64')]);
      }
    }
    const data: SnapshotData = { version: 1, coveredOffset, records };
    return JSON.stringify(data);
  }

  /**
   * Reads a snapshot string. `coveredOffset` is the one stored beside it (snapshots written before
   * it was kept inside have only that one); a snapshot that says otherwise is refused.
   */
  static deserialize(text: string, coveredOffset?: number): { state: OffsetsState; coveredOffset: number } {
    let data: SnapshotData;
    try {
      data = JSON.parse(text) as SnapshotData;
    } catch (err) {
      throw new OffsetsSnapshotError(`not JSON (${(err as Error).message})`);
    }
    if (typeof data !== 'object' || data === null || data.version !== 1)
      throw new OffsetsSnapshotError(`field "version": expected 1, got ${JSON.stringify((data as { version?: unknown })?.version)}`);
    if (!Array.isArray(data.records)) throw new OffsetsSnapshotError('field "records": expected an array');
    const covered = data.coveredOffset ?? coveredOffset;
    if (!Number.isSafeInteger(covered) || covered! < 0)
      throw new OffsetsSnapshotError(`field "coveredOffset": expected an offset, got ${JSON.stringify(covered)}`);
    if (coveredOffset !== undefined && covered !== coveredOffset) {
      throw new OffsetsSnapshotError(`field "coveredOffset": ${covered} inside, ${coveredOffset} beside it`);
    }
    const state = new OffsetsState();
    for (const [i, pair] of data.records.entries()) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string')
        throw new OffsetsSnapshotError(`field "records[${i}]": expected [key, value] strings`);
      try {
        state.apply(Buffer.from(pair[0], 'base64'), pair[1] === '' ? null : Buffer.from(pair[1], 'base64'));
      } catch (err) {
        throw new OffsetsSnapshotError(`field "records[${i}]": ${(err as Error).message}`);
      }
    }
    return { state, coveredOffset: covered! };
  }
}

/** The key of a committed offset within its group. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

// The two sparse indexes of a segment, kept in memory and written as whole files when a
// segment is sealed (rolled) or the log closes cleanly. The active segment's index is
// never trusted after a crash: recovery rebuilds it from the log, so it need not be
// written on every entry.
//
// .index entry (8 bytes, big-endian):      relativeOffset uint32, position uint32
//   relativeOffset = batch baseOffset - segment baseOffset; position = byte position of
//   that batch in the .log file.
// Each offset entry also knows its batch's relative Raft index (the batch's number in
// the segment, 0-based). Those numbers are persisted apart, after the header of the
// segment's .raft sidecar (raft-sidecar.ts), one uint32 per .index entry, so the .index
// file keeps Kafka's plain layout.
// .timeindex entry (12 bytes, big-endian): timestamp int64, relativeOffset uint32
//   timestamp = the largest maxTimestamp of every batch up to and including the batch at
//   relativeOffset (a running maximum, so timestamps in the file strictly increase).

import { readInt64, writeInt64 } from '../protocol/record-batch.ts';
import { invariant } from '../base/invariant.ts';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;
const INITIAL_CAPACITY = 64;
const UINT32_MAX = 0xffffffff;

export const RAFT_INDEX_ENTRY_BYTES = 4;

export class OffsetIndex {
  private rel = new Uint32Array(INITIAL_CAPACITY);
  private pos = new Uint32Array(INITIAL_CAPACITY);
  /** Relative Raft index (batch number in the segment) of each entry's batch. */
  private raft = new Uint32Array(INITIAL_CAPACITY);
  count = 0;

  append(relativeOffset: number, position: number, relativeRaftIndex: number): void {
    invariant(relativeOffset >= 0 && relativeOffset <= UINT32_MAX, () => `relative offset ${relativeOffset} fits uint32`);
    invariant(position >= 0 && position <= UINT32_MAX, () => `position ${position} fits uint32`);
    invariant(relativeRaftIndex >= 0 && relativeRaftIndex <= UINT32_MAX, () => `relative raft index ${relativeRaftIndex} fits uint32`);
    if (this.count > 0) {
      invariant(relativeOffset > this.rel[this.count - 1], 'offset index relative offsets increase');
      invariant(position > this.pos[this.count - 1], 'offset index positions increase');
      invariant(relativeRaftIndex > this.raft[this.count - 1], 'offset index raft indexes increase');
    }
    if (this.count === this.rel.length) {
      this.rel = grow(this.rel);
      this.pos = grow(this.pos);
      this.raft = grow(this.raft);
    }
    this.rel[this.count] = relativeOffset;
    this.pos[this.count] = position;
    this.raft[this.count] = relativeRaftIndex;
    this.count++;
  }

  relativeRaftIndexAt(i: number): number {
    return this.raft[i];
  }

  /** The entry with the largest relative Raft index <= target, or -1. */
  floorRaft(relativeRaftIndex: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.raft[mid] <= relativeRaftIndex) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The relative Raft indexes as stored after the .raft sidecar header. */
  raftToBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * RAFT_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) buf.writeUInt32BE(this.raft[i], i * RAFT_INDEX_ENTRY_BYTES);
    return buf;
  }

  relativeOffsetAt(i: number): number {
    return this.rel[i];
  }

  positionAt(i: number): number {
    return this.pos[i];
  }

  /** The entry with the largest relative offset <= target, or -1. */
  floor(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid] <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The entry whose relative offset is exactly `relativeOffset`, or -1. */
  find(relativeOffset: number): number {
    const i = this.floor(relativeOffset);
    return i >= 0 && this.rel[i] === relativeOffset ? i : -1;
  }

  /** Drops every entry pointing at or beyond `position` (after a truncation). */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.pos[this.count - 1] >= position) this.count--;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      buf.writeUInt32BE(this.rel[i], i * OFFSET_INDEX_ENTRY_BYTES);
      buf.writeUInt32BE(this.pos[i], i * OFFSET_INDEX_ENTRY_BYTES + 4);
    }
    return buf;
  }

  /**
   * Parses and checks an index file and the matching relative Raft indexes (the part
   * of the .raft sidecar after its header); a string says why they cannot be trusted.
   */
  static fromBuffer(buf: Buffer, raftBuf: Buffer, logSizeBytes: number): OffsetIndex | string {
    if (buf.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`;
    const n = buf.length / OFFSET_INDEX_ENTRY_BYTES;
    if (raftBuf.length !== n * RAFT_INDEX_ENTRY_BYTES) return `raft index part has ${raftBuf.length} bytes for ${n} entries`;
    const index = new OffsetIndex();
    for (let i = 0; i < n; i++) {
      const rel = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const pos = buf.readUInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      const raft = raftBuf.readUInt32BE(i * RAFT_INDEX_ENTRY_BYTES);
      if (index.count > 0 && (rel <= index.rel[index.count - 1] || pos <= index.pos[index.count - 1] || raft <= index.raft[index.count - 1])) {
        return `entry ${i} does not increase`;
      }
      // A batch takes at least one offset, so its number in the segment never exceeds its relative offset.
      if (raft > rel) return `entry ${i} has raft index ${raft} above its relative offset ${rel}`;
      if (pos >= logSizeBytes) return `entry ${i} points past the end of the log`;
      index.append(rel, pos, raft);
    }
    return index;
  }
}

export class TimeIndex {
  private ts = new Float64Array(INITIAL_CAPACITY);
  private rel = new Uint32Array(INITIAL_CAPACITY);
  count = 0;

  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.ts[this.count - 1];
  }

  /** Appends when `maxTimestampSoFar` moved past the last entry; otherwise does nothing. */
  maybeAppend(maxTimestampSoFar: number, relativeOffset: number): void {
    if (this.count > 0 && maxTimestampSoFar <= this.ts[this.count - 1]) return;
    invariant(this.count === 0 || relativeOffset > this.rel[this.count - 1], 'time index relative offsets increase');
    if (this.count === this.ts.length) {
      this.ts = grow(this.ts);
      this.rel = grow(this.rel);
    }
    this.ts[this.count] = maxTimestampSoFar;
    this.rel[this.count] = relativeOffset;
    this.count++;
  }

  timestampAt(i: number): number {
    return this.ts[i];
  }

  relativeOffsetAt(i: number): number {
    return this.rel[i];
  }

  /** The last entry with timestamp < target, or -1: every batch up to it is older than target. */
  lastBefore(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid] < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** How many entries name a batch at or below `relativeOffset`. */
  countUpTo(relativeOffset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid] <= relativeOffset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops every entry for a batch at or beyond `relativeOffset`. */
  truncateToRelativeOffset(relativeOffset: number): void {
    while (this.count > 0 && this.rel[this.count - 1] >= relativeOffset) this.count--;
  }

  toBuffer(): Buffer {
    const buf = Buffer.allocUnsafe(this.count * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      writeInt64(buf, i * TIME_INDEX_ENTRY_BYTES, this.ts[i]);
      buf.writeUInt32BE(this.rel[i], i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    return buf;
  }

  /** Parses and checks a time index file against its offset index; a string says why not. */
  static fromBuffer(buf: Buffer, offsetIndex: OffsetIndex): TimeIndex | string {
    if (buf.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`;
    const index = new TimeIndex();
    for (let at = 0; at < buf.length; at += TIME_INDEX_ENTRY_BYTES) {
      const ts = readInt64(buf, at);
      const rel = buf.readUInt32BE(at + 8);
      const n = at / TIME_INDEX_ENTRY_BYTES;
      if (index.count > 0 && (ts <= index.ts[index.count - 1] || rel <= index.rel[index.count - 1])) {
        return `entry ${n} does not increase`;
      }
      // Time entries are only written at offset index points, so each must name one.
      if (offsetIndex.find(rel) < 0) return `entry ${n} names relative offset ${rel}, which is not indexed`;
      index.maybeAppend(ts, rel);
    }
    return index;
  }
}

function grow<T extends Uint32Array | Float64Array>(a: T): T {
  const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
  bigger.set(a);
  return bigger;
}

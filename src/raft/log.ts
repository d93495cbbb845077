// The Raft log as the core sees it: stable entries in Storage plus an unstable tail
// (entries and possibly a snapshot) that the host has not yet persisted. Mirrors
// etcd-io/raft's raftLog/unstable split.

import { invariant } from '../base/invariant.ts';
import { entrySize } from './entry-size.ts';
import type { Storage } from './storage.ts';
import type { Entry, Snapshot } from './types.ts';

const NO_LIMIT = Number.MAX_SAFE_INTEGER;

class Unstable {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot !== null ? this.snapshot.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot !== null) return this.snapshot.index;
    return undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot !== null && this.snapshot.index === i) return this.snapshot.term;
      return undefined;
    }
    const k = i - this.offset;
    if (k >= this.entries.length) return undefined;
    return this.entries[k].term;
  }

  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    // Only entries still in the unstable tail with the persisted term become stable; a
    // later truncation may have replaced them while the host was writing.
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  stableSnapTo(i: number): void {
    if (this.snapshot !== null && this.snapshot.index === i) this.snapshot = null;
  }

  restore(s: Snapshot): void {
    this.offset = s.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0].index;
    if (after === this.offset + this.entries.length) {
      for (let i = 0; i < ents.length; i++) this.entries.push(ents[i]);
    } else if (after <= this.offset) {
      // The new entries replace the whole unstable tail (and part of storage).
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset);
      for (let i = 0; i < ents.length; i++) this.entries.push(ents[i]);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    invariant(
      lo >= this.offset && hi <= this.offset + this.entries.length,
      () => `unstable.slice(${lo}, ${hi}) outside [${this.offset}, ${this.offset + this.entries.length}]`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed to the host for applying. */
  applied: number;

  constructor(storage: Storage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    invariant(t !== undefined, 'term of the last index is unknown');
    return t;
  }

  /** Term of entry i, or undefined when i is compacted away or beyond the log. */
  term(i: number): number | undefined {
    const ut = this.unstable.maybeTerm(i);
    if (ut !== undefined) return ut;
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    return this.storage.term(i);
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Highest index whose entries are durable (the host reported them through advance). */
  persistedIndex(): number {
    if (this.unstable.snapshot !== null) return 0;
    return this.unstable.offset - 1;
  }

  /** Index of the first entry of `ents` that conflicts with (or extends) the log; 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (let k = 0; k < ents.length; k++) {
      const e = ents[k];
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term (etcd's fast back-off, Raft thesis
   * §5.3 optimisation): the leader can skip a whole term of conflicting entries at once.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0].index - 1;
    invariant(after >= this.committed, () => `append after ${after} would overwrite committed ${this.committed}`);
    invariant(after <= this.lastIndex(), () => `append after ${after} leaves a gap behind last ${this.lastIndex()}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Entries [lo, hi) from storage and the unstable tail, bounded by maxBytes (at least one). */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    invariant(lo >= this.firstIndex() && hi <= this.lastIndex() + 1, () => `slice(${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex()}]`);
    let out: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      out = this.storage.entries(lo, Math.min(hi, uoff), maxBytes);
      // Storage stopped early because of the byte limit: do not add unstable entries.
      if (out.length < Math.min(hi, uoff) - lo) return out;
    }
    if (hi > uoff) {
      const u = this.unstable.slice(Math.max(lo, uoff), hi);
      if (maxBytes === NO_LIMIT) {
        if (out.length === 0) return u;
        for (let i = 0; i < u.length; i++) out.push(u[i]);
        return out;
      }
      let bytes = 0;
      for (let i = 0; i < out.length; i++) bytes += entrySize(out[i]);
      for (let i = 0; i < u.length; i++) {
        bytes += entrySize(u[i]);
        if (out.length > 0 && bytes > maxBytes) break;
        out.push(u[i]);
      }
    }
    return out;
  }

  /** Entries from lo to the end, bounded by maxBytes; undefined if lo is compacted away. */
  entriesFrom(lo: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  /** The snapshot a lagging follower should receive. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const myTerm = this.lastTerm();
    return term > myTerm || (term === myTerm && lastIndex >= this.lastIndex());
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      invariant(toCommit <= this.lastIndex(), () => `commit ${toCommit} beyond last index ${this.lastIndex()}`);
      this.committed = toCommit;
    }
  }

  /** Commits maxIndex only if its entry is from `term` (Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== null;
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot !== null) return false;
    return this.committed > this.applied;
  }

  nextCommittedEnts(maxBytes: number): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  appliedTo(i: number): void {
    if (i <= this.applied) return;
    invariant(i <= this.committed, () => `applied ${i} beyond committed ${this.committed}`);
    this.applied = i;
  }

  restore(s: Snapshot): void {
    this.committed = s.index;
    this.unstable.restore(s);
  }
}

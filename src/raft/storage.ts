// The storage seam. The core reads stable entries through `Storage`; the host writes
// them (from Ready) through whatever its implementation offers. MemoryStorage is the
// in-memory implementation used by tests, the simulator and the benchmark; the segment
// log implementation lives with the cluster code.

import { invariant } from '../base/invariant.ts';
import { entrySize } from './entry-size.ts';
import { encodeConfChange } from './membership.ts';
import type { ConfState, Entry, HardState, Snapshot } from './types.ts';

export interface InitialState {
  hardState: HardState;
  /** Identity of this disk: a new value whenever the data directory is created empty. */
  storageId: string;
}

export interface Storage {
  initialState(): InitialState;
  /** Entries [lo, hi), at most maxBytes (but at least one entry); lo >= firstIndex, hi <= lastIndex + 1. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i, for firstIndex - 1 <= i <= lastIndex; undefined otherwise (compacted or unavailable). */
  term(i: number): number | undefined;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot (index 0 when none has been taken). */
  snapshot(): Snapshot;
}

/**
 * Where a storage starts writing `entries`: the position of the first entry at or above its
 * first index (entries below it are already covered by the snapshot), or -1 when none is.
 */
export function firstNewEntry(entries: readonly Entry[], firstIndex: number): number {
  if (entries.length === 0) return -1;
  const last = entries[0].index + entries.length - 1;
  if (last < firstIndex) return -1;
  return firstIndex > entries[0].index ? firstIndex - entries[0].index : 0;
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot;
  /** ents[0] is a dummy standing for the snapshot's (index, term). */
  private ents: Entry[];

  constructor(readonly storageId: string) {
    this.snap = { index: 0, term: 0, confState: cloneConfState(EMPTY_CONF_STATE), data: new Uint8Array(0) };
    this.ents = [{ index: 0, term: 0, type: 'normal', data: new Uint8Array(0) }];
  }

  /**
   * Writes the initial configuration of a brand-new group (the same on every founding
   * member). It goes into the log as committed config entries, not into a snapshot, so
   * a node that joins later or comes back wiped learns it by replication like any entry.
   */
  bootstrap(confState: ConfState, context?: string): void {
    invariant(this.lastIndex() === 0, 'bootstrap on a storage that already has entries');
    const ents = bootstrapEntries(confState, context);
    this.append(ents);
    this.setHardState({ term: 1, vote: 0, commit: ents.length });
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, storageId: this.storageId };
  }

  getHardState(): HardState {
    return { ...this.hardState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  firstIndex(): number {
    return this.ents[0].index + 1;
  }

  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1;
  }

  term(i: number): number | undefined {
    const offset = this.ents[0].index;
    if (i < offset || i > offset + this.ents.length - 1) return undefined;
    return this.ents[i - offset].term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents[0].index;
    invariant(lo > offset && hi <= this.lastIndex() + 1 && lo <= hi, () => `storage.entries(${lo}, ${hi}) outside (${offset}, ${this.lastIndex()}]`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - offset];
      bytes += entrySize(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Appends entries, dropping any existing suffix they overwrite. */
  append(entries: readonly Entry[]): void {
    const start = firstNewEntry(entries, this.firstIndex());
    if (start < 0) return;
    const from = entries[start].index;
    const offset = this.ents[0].index;
    invariant(from <= this.lastIndex() + 1, () => `storage.append: gap, last ${this.lastIndex()}, got ${from}`);
    this.ents.length = from - offset;
    for (let i = start; i < entries.length; i++) this.ents.push(entries[i]);
  }

  /** Replaces all state with a received snapshot. */
  applySnapshot(snap: Snapshot): void {
    invariant(snap.index >= this.snap.index, () => `storage.applySnapshot: ${snap.index} older than ${this.snap.index}`);
    this.snap = snap;
    this.ents = [{ index: snap.index, term: snap.term, type: 'normal', data: new Uint8Array(0) }];
  }

  /** Records a snapshot of the state machine at `index` (taken by the host). */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const term = this.term(index);
    invariant(term !== undefined, () => `storage.createSnapshot(${index}) outside the log`);
    if (index <= this.snap.index) return this.snap;
    this.snap = { index, term, confState: cloneConfState(confState), data };
    return this.snap;
  }

  /** Drops entries up to and including `index`; never beyond the latest snapshot. */
  compact(index: number): void {
    const offset = this.ents[0].index;
    if (index <= offset) return;
    invariant(index <= this.snap.index, () => `storage.compact(${index}) beyond snapshot ${this.snap.index}`);
    const term = this.ents[index - offset].term;
    const rest = this.ents.slice(index - offset + 1);
    this.ents = [{ index, term, type: 'normal', data: new Uint8Array(0) }, ...rest];
  }

  /** Keeps entries up to `index` only (the simulator uses this to model lost unsynced writes). */
  truncateAfter(index: number): void {
    const offset = this.ents[0].index;
    if (index >= this.lastIndex()) return;
    invariant(index >= offset, () => `storage.truncateAfter(${index}) below snapshot ${offset}`);
    this.ents.length = index - offset + 1;
  }
}

export function cloneConfState(cs: ConfState): ConfState {
  const out: ConfState = {
    voters: cs.voters.map((m) => ({ id: m.id, storageId: m.storageId })),
    learners: cs.learners.map((m) => ({ id: m.id, storageId: m.storageId })),
  };
  if (cs.fenced !== undefined && cs.fenced.length > 0) out.fenced = [...cs.fenced];
  return out;
}

/**
 * The config entries (term 1, indexes 1..n) that found a group with this configuration. Each
 * carries `context` when given (a partition group's name, naming its topic incarnation).
 */
export function bootstrapEntries(cs: ConfState, context?: string): Entry[] {
  invariant(cs.voters.length > 0, 'bootstrap needs at least one voter');
  const out: Entry[] = [];
  const entry = (type: 'addVoter' | 'addLearner', m: { id: number; storageId: string }): Entry => ({
    index: out.length + 1,
    term: 1,
    type: 'config',
    data: encodeConfChange({ type, nodeId: m.id, storageId: m.storageId, context }),
  });
  for (const m of cs.voters) out.push(entry('addVoter', m));
  for (const m of cs.learners) out.push(entry('addLearner', m));
  return out;
}

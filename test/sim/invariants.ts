// Safety invariants of Raft (paper Figure 3 and thesis §3.6), checked incrementally after
// every simulator event so a run costs little more than the events themselves.

import type { Entry, RaftNode } from '../../src/raft/index.ts';

export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

function fail(msg: string): never {
  throw new InvariantViolation(msg);
}

/** FNV-1a over the bytes of `data` from `from` on, continuing from h. */
export function fnv(h: number, data: Uint8Array, from = 0): number {
  for (let i = from; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619) >>> 0;
  return h;
}

export function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xffff), 16777619) >>> 0;
  h = Math.imul(h ^ (v >>> 16), 16777619) >>> 0;
  return h;
}

export function entryKey(e: Entry): number {
  return fnv(mix(2166136261, e.type === 'config' ? 1 : 0), e.data);
}

export class Invariants {
  /**
   * `keyOf` identifies an entry's content; the replica simulator passes one that ignores the
   * offsets and term a log stamps into a stored batch.
   */
  constructor(private readonly keyOf: (e: Entry) => number = entryKey) {}

  /** Election Safety (§5.2): term -> the one leader of that term. */
  private readonly leaders = new Map<number, number>();
  /** Committed log as observed: index -> term (0 = not yet observed). */
  readonly committedTerms: number[] = [0];
  /** index -> term of the first node seen committing it (an upper bound of the real commit term). */
  private readonly commitSeenInTerm: number[] = [0];
  /** index -> key of the applied entry, and the state-machine hash after applying it. */
  private readonly appliedKey: number[] = [0];
  private readonly smHash: number[] = [0];
  /** Log Matching (§5.3): (index, term) -> [key of the entry, term of the entry before it]. */
  private readonly byIndexTerm = new Map<number, [number, number]>();
  leadersElected = 0;

  onLeader(node: RaftNode, id: number): void {
    const term = node.term;
    const prev = this.leaders.get(term);
    if (prev === undefined) {
      this.leaders.set(term, id);
      this.leadersElected++;
      this.checkLeaderCompleteness(node, id);
    } else if (prev !== id) {
      fail(`election safety: nodes ${prev} and ${id} are both leaders of term ${term}`);
    }
  }

  /**
   * Leader Completeness (§5.4): a leader of term T holds every entry committed in a term
   * below T. Commit terms are recorded when first observed, which can only overestimate
   * them, so the check never fires wrongly.
   */
  private checkLeaderCompleteness(node: RaftNode, id: number): void {
    const term = node.term;
    const first = node.firstIndex;
    for (let i = Math.max(1, first); i < this.committedTerms.length; i++) {
      const ct = this.committedTerms[i];
      if (ct === 0 || this.commitSeenInTerm[i] >= term) continue;
      const t = node.termAt(i);
      if (t !== ct) fail(`leader completeness: leader ${id} of term ${term} has term ${t} at ${i}, committed term ${ct}`);
    }
    // Entries below the leader's first index are covered by its snapshot; its term at
    // first - 1 must agree with the committed log too.
    const si = first - 1;
    if (si > 0 && si < this.committedTerms.length && this.committedTerms[si] !== 0) {
      const t = node.termAt(si);
      if (t !== undefined && t !== this.committedTerms[si]) fail(`leader completeness: leader ${id} snapshot term ${t} at ${si} != ${this.committedTerms[si]}`);
    }
  }

  /** Commit index monotonic, and every node's committed prefix is the same log. */
  onCommit(node: RaftNode, id: number, prevCommit: number): void {
    const c = node.commit;
    if (c < prevCommit) fail(`commit index of node ${id} went back from ${prevCommit} to ${c}`);
    const first = Math.max(prevCommit + 1, node.firstIndex - 1);
    for (let i = first; i <= c; i++) {
      const t = node.termAt(i);
      if (t === undefined) continue;
      while (this.committedTerms.length <= i) {
        this.committedTerms.push(0);
        this.commitSeenInTerm.push(0);
      }
      const known = this.committedTerms[i];
      if (known === 0) {
        this.committedTerms[i] = t;
        this.commitSeenInTerm[i] = node.term;
      } else if (known !== t) {
        fail(`state machine safety: node ${id} committed term ${t} at ${i}, others committed term ${known}`);
      }
    }
  }

  /** Every node applies the same entry at each index, and state machines agree (when a hash is given). */
  onApply(id: number, e: Entry, hashAfter = 0): void {
    const key = this.keyOf(e);
    const i = e.index;
    while (this.appliedKey.length <= i) {
      this.appliedKey.push(0);
      this.smHash.push(0);
    }
    if (this.appliedKey[i] === 0) {
      this.appliedKey[i] = key;
      this.smHash[i] = hashAfter;
    } else {
      if (this.appliedKey[i] !== key) fail(`node ${id} applied a different entry at ${i}`);
      if (this.smHash[i] !== hashAfter) fail(`state machine of node ${id} diverged at ${i}`);
    }
    if (this.committedTerms.length > i && this.committedTerms[i] !== 0 && this.committedTerms[i] !== e.term) {
      fail(`node ${id} applied term ${e.term} at ${i}, committed term is ${this.committedTerms[i]}`);
    }
  }

  /** A restored snapshot must equal the state machine every node had at that index. */
  onSnapshotRestore(id: number, index: number, hash: number): void {
    if (index < this.smHash.length && this.appliedKey[index] !== 0 && this.smHash[index] !== hash) {
      fail(`node ${id} restored a snapshot at ${index} that differs from the applied state`);
    }
  }

  /** Log Matching (§5.3): same index and term means same entry and same history. */
  onPersist(node: RaftNode, id: number, entries: readonly Entry[]): void {
    if (entries.length > 0) this.onDurable(id, entries, node.termAt(entries[0].index - 1));
  }

  /**
   * Log Matching for entries that are now durable on node `id`, the one before them having term
   * `prevTerm` (undefined: unknown). A write lost in a power loss before its fsync was never in
   * anyone's log, so a simulator that can lose writes reports them only once synced.
   */
  onDurable(id: number, entries: readonly Entry[], prevTerm: number | undefined): void {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k];
      const before = k > 0 ? entries[k - 1].term : prevTerm;
      const key = this.keyOf(e);
      const slot = e.index * 1048576 + e.term;
      const seen = this.byIndexTerm.get(slot);
      if (seen === undefined) {
        this.byIndexTerm.set(slot, [key, before ?? -1]);
        continue;
      }
      if (seen[0] !== key) fail(`log matching: node ${id} holds a different entry at (${e.index}, term ${e.term})`);
      if (before !== undefined && seen[1] !== -1 && seen[1] !== before) {
        fail(`log matching: node ${id} has term ${before} before (${e.index}, ${e.term}), another log has ${seen[1]}`);
      }
    }
  }
}

// Group membership: who votes, who only learns, and with which storage identity. The
// configuration in force is the latest config entry in the log, committed or not (Raft
// thesis §4.1); Membership values are immutable so the log can keep its history.

import { invariant } from '../base/invariant.ts';
import type { ConfChange, ConfState, Member } from './types.ts';

export class Membership {
  private constructor(
    readonly voters: ReadonlyMap<number, string>,
    readonly learners: ReadonlyMap<number, string>,
    /** Storage ids removed by a forced configuration: never members again, their messages dropped. */
    readonly fenced: ReadonlySet<string>,
  ) {}

  static fromConfState(cs: ConfState): Membership {
    const voters = new Map<number, string>();
    const learners = new Map<number, string>();
    for (const m of cs.voters) voters.set(m.id, m.storageId);
    for (const m of cs.learners) if (!voters.has(m.id)) learners.set(m.id, m.storageId);
    return new Membership(voters, learners, new Set(cs.fenced ?? []));
  }

  toConfState(): ConfState {
    const voters: Member[] = [];
    const learners: Member[] = [];
    for (const [id, storageId] of this.voters) voters.push({ id, storageId });
    for (const [id, storageId] of this.learners) learners.push({ id, storageId });
    voters.sort((a, b) => a.id - b.id);
    learners.sort((a, b) => a.id - b.id);
    if (this.fenced.size === 0) return { voters, learners };
    return { voters, learners, fenced: [...this.fenced].sort() };
  }

  isVoter(id: number): boolean {
    return this.voters.has(id);
  }

  isMember(id: number): boolean {
    return this.voters.has(id) || this.learners.has(id);
  }

  storageIdOf(id: number): string | undefined {
    return this.voters.get(id) ?? this.learners.get(id);
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** Ids of every member, voters first, each list in ascending order. */
  memberIds(): number[] {
    const v = [...this.voters.keys()].sort((a, b) => a - b);
    const l = [...this.learners.keys()].sort((a, b) => a - b);
    return v.concat(l);
  }

  /**
   * Why a change cannot be proposed against this configuration, or null if it can.
   * Validation happens once, on the leader; every node then applies the same entry the
   * same way, so `apply` itself must accept anything `validate` let through.
   */
  validate(cc: ConfChange): string | null {
    if ((cc.type === 'addVoter' || cc.type === 'addLearner') && this.fenced.has(cc.storageId)) {
      return `storage id ${cc.storageId} of node ${cc.nodeId} was fenced by an unsafe recovery; it can only come back with an empty data directory (a new storage id)`;
    }
    switch (cc.type) {
      case 'force':
        // Written by forceConfiguration on one node without a quorum, never proposed.
        return 'a forced configuration is not a proposal (RaftNode.forceConfiguration)';
      case 'addVoter': {
        if (cc.storageId === '') return 'addVoter needs a storageId';
        if (this.voters.get(cc.nodeId) === cc.storageId) return `node ${cc.nodeId} is already a voter`;
        const known = this.storageIdOf(cc.nodeId);
        // Swapping a member's disk identity in one entry would change two servers at once
        // (old identity out, new one in): quorums of the two configurations need not
        // overlap, and a stale leader could commit on its own (found by the simulator,
        // seed 2722). Remove the old identity first, then add the new one.
        if (known !== undefined && known !== cc.storageId) return `node ${cc.nodeId} is a member under storage id ${known}; remove it first`;
        return null;
      }
      case 'addLearner': {
        if (cc.storageId === '') return 'addLearner needs a storageId';
        if (this.voters.has(cc.nodeId)) return `node ${cc.nodeId} is a voter; demotion is not supported`;
        const known = this.learners.get(cc.nodeId);
        if (known === cc.storageId) return `node ${cc.nodeId} is already a learner`;
        if (known !== undefined) return `node ${cc.nodeId} is a learner under storage id ${known}; remove it first`;
        return null;
      }
      case 'removeNode':
        if (!this.isMember(cc.nodeId)) return `node ${cc.nodeId} is not a member`;
        if (this.voters.has(cc.nodeId) && this.voters.size === 1) return 'cannot remove the last voter';
        return null;
    }
  }

  apply(cc: ConfChange): Membership {
    if (cc.type === 'force') {
      const voters = new Map<number, string>();
      for (const m of cc.voters ?? []) voters.set(m.id, m.storageId);
      // Fences only grow: a second recovery keeps the first one's.
      return new Membership(voters, new Map(), new Set([...this.fenced, ...(cc.fenced ?? [])]));
    }
    const voters = new Map(this.voters);
    const learners = new Map(this.learners);
    switch (cc.type) {
      case 'addVoter':
        // Also covers promoting a learner (same storage id: a one-server change).
        learners.delete(cc.nodeId);
        voters.set(cc.nodeId, cc.storageId);
        break;
      case 'addLearner':
        if (voters.has(cc.nodeId)) return this;
        learners.set(cc.nodeId, cc.storageId);
        break;
      case 'removeNode':
        voters.delete(cc.nodeId);
        learners.delete(cc.nodeId);
        break;
    }
    return new Membership(voters, learners, this.fenced);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  // JSON.stringify leaves out undefined fields: entries without a context (or that are not
  // forced) keep the bytes they had before those fields existed.
  return encoder.encode(
    JSON.stringify({ type: cc.type, nodeId: cc.nodeId, storageId: cc.storageId, context: cc.context, voters: cc.voters, fenced: cc.fenced }),
  );
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const v = JSON.parse(decoder.decode(data)) as ConfChange;
  invariant(
    (v.type === 'addVoter' || v.type === 'addLearner' || v.type === 'removeNode' || v.type === 'force') &&
      Number.isInteger(v.nodeId) &&
      typeof v.storageId === 'string' &&
      (v.context === undefined || typeof v.context === 'string') &&
      (v.type !== 'force' || (isMemberList(v.voters) && v.voters.length > 0 && isStringList(v.fenced))),
    'malformed config entry',
  );
  return v;
}

function isMemberList(v: unknown): v is Member[] {
  return Array.isArray(v) && v.every((m: Member) => m !== null && typeof m === 'object' && Number.isInteger(m.id) && typeof m.storageId === 'string');
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Membership over the log: the configuration at the base index plus later config entries. */
export class ConfigHistory {
  private baseIndex: number;
  private base: Membership;
  private readonly changes: { index: number; conf: Membership }[] = [];

  constructor(baseIndex: number, base: Membership) {
    this.baseIndex = baseIndex;
    this.base = base;
  }

  current(): Membership {
    return this.changes.length > 0 ? this.changes[this.changes.length - 1].conf : this.base;
  }

  /** Index of the latest config entry in the log (the base index if none). */
  lastIndex(): number {
    return this.changes.length > 0 ? this.changes[this.changes.length - 1].index : this.baseIndex;
  }

  /** The configuration in force right after entry `index`. */
  at(index: number): Membership {
    invariant(index >= this.baseIndex, () => `config at ${index} is older than the history base ${this.baseIndex}`);
    let conf = this.base;
    for (const c of this.changes) {
      if (c.index > index) break;
      conf = c.conf;
    }
    return conf;
  }

  /** Forgets config entries at index >= from (the log was truncated there). */
  truncateFrom(from: number): void {
    while (this.changes.length > 0 && this.changes[this.changes.length - 1].index >= from) this.changes.pop();
  }

  push(index: number, cc: ConfChange): void {
    invariant(index > this.lastIndex(), () => `config entry ${index} not after ${this.lastIndex()}`);
    this.changes.push({ index, conf: this.current().apply(cc) });
  }

  reset(baseIndex: number, base: Membership): void {
    this.baseIndex = baseIndex;
    this.base = base;
    this.changes.length = 0;
  }

  /**
   * Folds config entries at or below `index` (committed and applied: no truncation or later
   * question reaches below it) into the base, so the history holds only the entries after
   * it. The newest folded entry's index becomes the base index, so lastIndex() still names
   * the entry that set the configuration.
   */
  prune(index: number): void {
    let folded = 0;
    while (folded < this.changes.length && this.changes[folded].index <= index) folded++;
    if (folded === 0) return;
    const last = this.changes[folded - 1];
    this.changes.splice(0, folded);
    this.baseIndex = last.index;
    this.base = last.conf;
  }
}

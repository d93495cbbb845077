// The leader's queue of read-index requests (thesis §6.4; etcd-io/raft keeps it in
// read_only.go). A read is answered with the commit index the leader had when the read arrived,
// once a quorum of voters has acknowledged a heartbeat sent after that: then no other leader
// can have committed anything beyond it. This module holds only the bookkeeping; Raft sends the
// heartbeats and the answers. Pure, like the rest of the core.

import type { Membership } from './membership.ts';

/** One read waiting for a quorum to confirm the leader's leadership. */
export interface PendingRead {
  /** Round id carried by the heartbeats of this read (internal, unique per leader term). */
  round: string;
  /** The commit index when the read arrived: what the reader may read up to. */
  index: number;
  /** The node that asked (the leader itself for a local read). */
  from: number;
  /** The caller's id of the read, handed back with the answer. */
  context: string;
  /** Voters that acknowledged a heartbeat of this round. */
  acks: Set<number>;
}

/** A read that arrived before the leader committed an entry of its term. */
export interface WaitingRead {
  from: number;
  context: string;
}

export class ReadOnly {
  private pending: PendingRead[] = [];
  /** Reads that arrived before this leader committed an entry of its term (§6.4 step 1). */
  private waiting: WaitingRead[] = [];
  private round = 0;

  constructor(private readonly maxPendingReads: number) {}

  /** Forgets every read: a new term or a new role (their readers time out and retry). */
  reset(): void {
    this.pending = [];
    this.waiting = [];
  }

  /** Whether the queue holds maxPendingReads reads (pending and waiting together). */
  full(): boolean {
    return this.pending.length + this.waiting.length >= this.maxPendingReads;
  }

  /** Holds a read until the leader has committed an entry of its term. */
  wait(from: number, context: string): void {
    this.waiting.push({ from, context });
  }

  hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Takes every waiting read out of the queue, oldest first. */
  takeWaiting(): WaitingRead[] {
    const waiting = this.waiting;
    this.waiting = [];
    return waiting;
  }

  /** A new read at commit index `index`, with a fresh round id; not queued yet. */
  newRead(index: number, from: number, context: string): PendingRead {
    return { round: `r${++this.round}`, index, from, context, acks: new Set() };
  }

  /** Queues a read whose round's heartbeats are on their way. */
  add(read: PendingRead): void {
    this.pending.push(read);
  }

  /**
   * Voter `from` acknowledged the heartbeat of `round`. Returns the reads it releases, oldest
   * first: when a quorum of `conf`'s voters confirmed that round, it and every read queued before
   * it (a quorum confirmed the leadership after those were queued too); otherwise none.
   */
  ack(from: number, round: string, conf: Membership): PendingRead[] {
    const k = this.pending.findIndex((r) => r.round === round);
    if (k < 0) return [];
    const read = this.pending[k];
    read.acks.add(from);
    let acks = 0;
    for (const id of read.acks) if (conf.isVoter(id)) acks++;
    if (acks < conf.quorum()) return [];
    return this.pending.splice(0, k + 1);
  }
}

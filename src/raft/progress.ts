// What a leader knows about one follower's log (etcd-io/raft's Progress): the probe,
// replicate and snapshot states, and the in-flight window that bounds pipelining.

import { invariant } from '../base/invariant.ts';

/** A bounded FIFO of (last index, bytes) of append messages not yet acknowledged. */
export class Inflights {
  private readonly indexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  bytes = 0;

  constructor(
    readonly maxMsgs: number,
    readonly maxBytes: number,
  ) {
    invariant(maxMsgs > 0, 'maxInflightMsgs must be positive');
  }

  get count(): number {
    return this.indexes.length - this.head;
  }

  full(): boolean {
    return this.count >= this.maxMsgs || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  add(index: number, bytes: number): void {
    invariant(!this.full(), 'inflights.add while full');
    this.indexes.push(index);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every in-flight message whose last index is <= index. */
  freeLE(index: number): void {
    while (this.head < this.indexes.length && this.indexes[this.head] <= index) {
      this.bytes -= this.sizes[this.head];
      this.head++;
    }
    if (this.head === this.indexes.length) this.reset();
    else if (this.head > 1024) {
      this.indexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Frees the oldest in-flight message (its answer was probably lost). */
  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.indexes[this.head]);
  }

  reset(): void {
    this.indexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In the snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In the probe state: one append is outstanding, wait for its answer or a heartbeat. */
  probeSent = false;
  /** Storage identity this follower last answered with ('' until it answers). */
  seenStorageId = '';
  /** The follower's answers count toward quorums: its storage id is the one the config names. */
  identityOk = false;
  /** Leader ticks spent in the snapshot state; the snapshot is resent when this runs out. */
  snapshotTicks = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.state = 'probe';
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.state = 'probe';
      this.next = this.match + 1;
    }
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflights.reset();
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.snapshotTicks = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** Forget everything: the follower answered from a different disk than before. */
  resetForNewStorage(lastIndex: number): void {
    this.match = 0;
    this.next = lastIndex + 1;
    this.state = 'probe';
    this.pendingSnapshot = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** Records an acknowledgement up to n; returns whether match moved forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < n + 1) this.next = n + 1;
    return updated;
  }

  /**
   * Handles a rejection of the append whose previous index was `rejected`; matchHint is
   * the follower's estimate of where our logs agree. Returns false for stale rejections.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Records that an append with `count` entries ending at lastIndex and `bytes` bytes was sent. */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }
}

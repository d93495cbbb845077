// The history a chaos run records and the queue checker judges: every record a producer sent
// (with how the send ended), every batch a consumer polled, every offset commit that
// succeeded, and at the end a full read of every partition. Operations are ordered by `at`,
// their position in the history (the recorder's counter), so "before" needs no clock.

/** One record a producer tried to write (a send of several records is several SendOps). */
export interface SendOp {
  type: 'send';
  at: number;
  /** Wall clock (ms since the epoch) when it was recorded, to match broker logs; `at` orders. */
  time: number;
  /** Which producer instance sent it (a new instance after an idempotent producer failed). */
  producer: string;
  /** Sent by an idempotent (KIP-98) producer: a duplicate of it is an anomaly, not a retry artefact. */
  idempotent: boolean;
  partition: number;
  /** Unique across the run: the checker recognises records by value. */
  value: string;
  /** The broker acknowledged the write (acks=all). */
  acked: boolean;
  /** The offset the acknowledgement named; null when not acknowledged. */
  offset: number | null;
  /** Why the send failed, when it did; the record may still have been written. */
  error: string | null;
}

/** The records one consumer got in one batch from one partition. */
export interface PollOp {
  type: 'poll';
  at: number;
  time: number;
  consumer: string;
  /** A consumer's membership between two group joins: offsets must rise within one session. */
  session: string;
  partition: number;
  records: PolledRecord[];
}

export interface PolledRecord {
  offset: number;
  value: string;
}

/** An offset commit the coordinator accepted: `offset` is the next offset the group will read. */
export interface CommitOp {
  type: 'commit';
  at: number;
  time: number;
  consumer: string;
  partition: number;
  offset: number;
}

export type Op = SendOp | PollOp | CommitOp;

/** Everything one partition holds at the end, read from the start (control batches skipped). */
export interface FinalPartition {
  partition: number;
  records: PolledRecord[];
}

/** Records operations in order; bounded so a long run cannot grow memory without limit. */
export class HistoryRecorder {
  private readonly ops: Op[] = [];
  private next = 0;
  private dropped = 0;

  constructor(private readonly opsMax: number) {}

  /**
   * True once 80 % of the room is used: producers stop then, so the polls and commits that
   * follow still fit (a history missing a poll would report records as unseen).
   */
  get nearlyFull(): boolean {
    return this.ops.length >= this.opsMax * 0.8;
  }

  /** Operations not recorded because the history was full (a polluted history must fail the run). */
  get droppedCount(): number {
    return this.dropped;
  }

  send(op: Omit<SendOp, 'type' | 'at' | 'time'>): void {
    this.push({ type: 'send', at: 0, time: 0, ...op });
  }

  poll(op: Omit<PollOp, 'type' | 'at' | 'time'>): void {
    this.push({ type: 'poll', at: 0, time: 0, ...op });
  }

  commit(op: Omit<CommitOp, 'type' | 'at' | 'time'>): void {
    this.push({ type: 'commit', at: 0, time: 0, ...op });
  }

  snapshot(): Op[] {
    return [...this.ops];
  }

  private push(op: Op): void {
    if (this.ops.length >= this.opsMax) {
      this.dropped++;
      return;
    }
    op.at = this.next++;
    op.time = Date.now();
    this.ops.push(op);
  }
}

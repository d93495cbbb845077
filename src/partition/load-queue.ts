// Work that must read a lot of the disk without stalling the event loop (loading producer state
// after a restart or a truncation) runs here in small steps: each turn of the event loop does at
// most `chunkBytes` of it, then yields (setImmediate) so requests, Raft heartbeats and timers run
// in between. Jobs run one at a time, oldest first; a job someone waits for (a Produce to a
// partition still loading) can be moved to the front.

/** Bytes of disk a turn of the event loop may spend on loading: about a millisecond of reading. */
export const LOAD_CHUNK_BYTES = 1024 * 1024;

export interface LoadJob {
  /**
   * Does a bounded piece of work, using about `budgetBytes` (a step may exceed it by one batch),
   * and says how many bytes it used and whether the job is finished.
   */
  step(budgetBytes: number): { bytes: number; done: boolean };
}

export interface LoadQueueOptions {
  chunkBytes?: number;
  /** How the next turn is scheduled; setImmediate by default (tests count the yields). */
  schedule?: (run: () => void) => void;
  /** Called when a job's step throws; the job is dropped. */
  onError?: (job: LoadJob, err: unknown) => void;
}

export class LoadQueue {
  private jobs: LoadJob[] = [];
  private scheduled = false;
  private closed = false;
  private readonly chunkBytes: number;
  private readonly schedule: (run: () => void) => void;
  private readonly onError: (job: LoadJob, err: unknown) => void;
  private idleWaiters: Array<() => void> = [];

  constructor(options: LoadQueueOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? LOAD_CHUNK_BYTES;
    this.schedule = options.schedule ?? ((run) => void setImmediate(run));
    this.onError =
      options.onError ??
      ((_job, err) => {
        throw err;
      });
  }

  get pending(): number {
    return this.jobs.length;
  }

  /**
   * Adds a job and runs its first step at once with a budget of 0 bytes: a job that has nothing
   * to read (a new partition, or a snapshot at the log end) finishes before the caller returns.
   */
  add(job: LoadJob): void {
    if (this.closed) return;
    this.jobs.push(job);
    const { done } = this.runStep(job, 0);
    if (done) this.finish(job);
    this.wake();
  }

  /** Moves a waiting job to the front, so the next turns work on it. */
  promote(job: LoadJob): void {
    const i = this.jobs.indexOf(job);
    if (i <= 0) return;
    this.jobs.splice(i, 1);
    this.jobs.unshift(job);
  }

  remove(job: LoadJob): void {
    this.finish(job);
  }

  /** Resolves once no job is left. */
  idle(): Promise<void> {
    if (this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.jobs = [];
    this.notifyIdle();
  }

  private wake(): void {
    if (this.scheduled || this.jobs.length === 0 || this.closed) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.turn();
    });
  }

  /** One turn: steps of the front jobs until the byte budget is spent. */
  private turn(): void {
    let budget = this.chunkBytes;
    // Each step either finishes its job or uses at least one byte of budget, so this ends.
    while (budget > 0 && this.jobs.length > 0 && !this.closed) {
      const job = this.jobs[0];
      const { bytes, done } = this.runStep(job, budget);
      if (done) this.finish(job);
      budget -= Math.max(bytes, 1);
    }
    this.wake();
  }

  private runStep(job: LoadJob, budget: number): { bytes: number; done: boolean } {
    try {
      return job.step(budget);
    } catch (err) {
      this.onError(job, err);
      return { bytes: 0, done: true };
    }
  }

  private finish(job: LoadJob): void {
    const i = this.jobs.indexOf(job);
    if (i >= 0) this.jobs.splice(i, 1);
    if (this.jobs.length === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

// Work that must read a lot of the disk without stalling the event loop (loading producer state
// after a restart or a truncation) runs here in small steps: each turn of the event loop does at
// most `chunkBytes` of it, then yields (setImmediate) so requests, Raft heartbeats and timers run
// in between. Jobs run one at a time, oldest first; a job someone waits for (a Produce to a
// partition still loading) can be moved to the front. While the queue is held (a broker opening
// its partitions at start-up, which must not wait for their loads), only such jobs run.

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
  /** Holds in force (hold()); while any is, only promoted jobs take turns. */
  private holds = 0;
  /** Jobs someone waits for (promote): they run even while the queue is held. */
  private readonly urgent = new Set<LoadJob>();

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

  /** Moves a waiting job to the front, so the next turns work on it (held or not). */
  promote(job: LoadJob): void {
    const i = this.jobs.indexOf(job);
    if (i < 0) return;
    this.urgent.add(job);
    this.jobs.splice(i, 1);
    this.jobs.unshift(job);
    this.wake();
  }

  /**
   * Stops the turns (but for promoted jobs) until the returned release is called: jobs added
   * meanwhile take their first, empty step and then wait. Releasing twice does nothing.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.wake();
    };
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
    this.urgent.clear();
    this.notifyIdle();
  }

  /** Whether the front job may take a turn now. */
  private runnable(): boolean {
    return this.jobs.length > 0 && !this.closed && (this.holds === 0 || this.urgent.has(this.jobs[0]));
  }

  private wake(): void {
    if (this.scheduled || !this.runnable()) return;
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
    while (budget > 0 && this.runnable()) {
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
    this.urgent.delete(job);
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

// The background CRC checks of synced log bytes that open trusted after a header walk
// (PartitionLog's scrub, docs/storage.md "Recovery"). One queue per process: one job at a time,
// one step per tick and a pause between ticks, so that after a restart with many partitions the
// scrubs neither hold up the start (opening the logs, loading producer state) nor take more than
// a fifth of the thread while clients are served.

/** One scrub: `step` checks a bounded amount and says whether the job is finished. */
export interface ScrubJob {
  step(): boolean;
}

/** Shortest pause between two steps (a step is 1 MiB of CRC-32C, a few ms). */
export const SCRUB_PAUSE_MS = 5;
/** The pause is at least this many times the last step's duration: the scrub takes at most a fifth of the thread. */
export const SCRUB_PAUSE_PER_STEP_MS = 4;
/**
 * The first step waits this long after the newest job came in: a restart opens its logs one by
 * one, each adding a job, and the scrubs must not slow that down (they start once it is over).
 */
export const SCRUB_START_DELAY_MS = 500;

export interface ScrubQueueOptions {
  /**
   * No timers: the owner runs the steps with runStep() (the replica simulator, which owns time,
   * and tests). Default false.
   */
  manual?: boolean;
}

export class ScrubQueue {
  private jobs: ScrubJob[] = [];
  private readonly manual: boolean;
  private timer: NodeJS.Timeout | null = null;
  private lastAddMs = 0;
  private lastStepMs = 0;

  constructor(options: ScrubQueueOptions = {}) {
    this.manual = options.manual ?? false;
  }

  get pending(): number {
    return this.jobs.length;
  }

  add(job: ScrubJob): void {
    this.jobs.push(job);
    this.lastAddMs = performance.now();
    this.wake();
  }

  /** Runs the first job's next step now (a manual queue's owner calls this). */
  runStep(): void {
    const job = this.jobs[0];
    if (job === undefined) return;
    let done = true;
    try {
      done = job.step();
    } finally {
      if (done) this.jobs.shift();
    }
  }

  private wake(): void {
    if (this.manual || this.timer !== null || this.jobs.length === 0) return;
    const pause = Math.max(SCRUB_PAUSE_MS, this.lastStepMs * SCRUB_PAUSE_PER_STEP_MS);
    const sinceAdd = performance.now() - this.lastAddMs;
    this.timer = setTimeout(() => this.tick(), Math.max(pause, SCRUB_START_DELAY_MS - sinceAdd));
  }

  private tick(): void {
    this.timer = null;
    const job = this.jobs[0];
    if (job === undefined) return;
    // Jobs came in since this tick was planned: wait until they stop coming.
    if (performance.now() - this.lastAddMs < SCRUB_START_DELAY_MS) {
      this.wake();
      return;
    }
    const started = performance.now();
    try {
      this.runStep();
    } finally {
      this.lastStepMs = performance.now() - started;
      this.wake();
    }
  }
}

/** The process's queue (a restart opens every log in one process). */
export const scrubQueue = new ScrubQueue();

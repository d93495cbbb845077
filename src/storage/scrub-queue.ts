// The background CRC checks of synced log bytes that open trusted after a header walk
// (PartitionLog's scrub, docs/storage.md "Recovery"). One queue per process: one job at a time,
// one step per tick and a pause between ticks, so that after a restart with many partitions the
// scrubs neither hold up the start (opening the logs, loading producer state) nor take more than
// part of a core while clients are served.

/** One scrub: `step` checks a bounded amount and says whether the job is finished. */
export interface ScrubJob {
  step(): boolean;
}

/** Pause between two steps; a step is 1 MiB of CRC-32C (a few ms), so the scrub uses well under a core. */
export const SCRUB_PAUSE_MS = 5;

export class ScrubQueue {
  private jobs: ScrubJob[] = [];
  private timer: NodeJS.Timeout | null = null;

  get pending(): number {
    return this.jobs.length;
  }

  add(job: ScrubJob): void {
    this.jobs.push(job);
    this.wake();
  }

  private wake(): void {
    if (this.timer !== null || this.jobs.length === 0) return;
    this.timer = setTimeout(() => this.tick(), SCRUB_PAUSE_MS);
  }

  private tick(): void {
    this.timer = null;
    const job = this.jobs[0];
    if (job === undefined) return;
    let done = true;
    try {
      done = job.step();
    } finally {
      if (done) this.jobs.shift();
      this.wake();
    }
  }
}

/** The process's queue (a restart opens every log in one process). */
export const scrubQueue = new ScrubQueue();

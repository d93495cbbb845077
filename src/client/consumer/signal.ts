// A wake-up for a loop that sleeps until something changes or a time passes.

export class Signal {
  private waiters: (() => void)[] = [];

  /** Resolves on the next notify() or after `ms` (never later than that). */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2_147_483_647)));
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

// Group commit: callers that want durability share fsyncs. At most one sync runs at a
// time; callers arriving while it runs all wait for the single next sync, which starts
// when the running one ends and covers everything appended until it starts. So N
// concurrent producers cost about two fsyncs, not N.

export class GroupCommit {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private readonly syncOnce: () => Promise<void>;

  constructor(syncOnce: () => Promise<void>) {
    this.syncOnce = syncOnce;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once a sync that started after this call has finished. */
  request(): Promise<void> {
    if (this.running === null) return this.start();
    if (this.queued === null) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          // A caller may have started a sync between the end of the last one and now;
          // it began after every waiter here arrived, so it covers them too.
          return this.running ?? this.start();
        });
    }
    return this.queued;
  }

  /** Resolves when no sync is running or queued (errors are the requesters' business). */
  async idle(): Promise<void> {
    // Each round waits for a sync that has already started; the queue holds at most one more.
    for (let round = 0; round < 3 && (this.running !== null || this.queued !== null); round++) {
      await (this.queued ?? this.running)?.catch(() => undefined);
    }
  }

  private start(): Promise<void> {
    const p: Promise<void> = this.syncOnce().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }
}

// A clock whose timers fire only when the test moves time (the transport's injected Clock): tests of
// timeouts and keep-alives then depend on the order of events, not on how fast a loaded machine
// runs them. Sockets stay real; only the timers are the test's.

interface FakeTimer {
  fn: () => void;
  /** The fake time it is due at. */
  atMs: number;
  /** The delay it was set with. */
  ms: number;
  cleared: boolean;
}

/** Timers fired by one advance() at most: a timer that keeps setting a zero-delay timer is a bug, not a hang. */
const FIRES_PER_ADVANCE_MAX = 100_000;

export class FakeClock {
  private nowMs = 0;
  private timers: FakeTimer[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: FakeTimer = { fn, atMs: this.nowMs + ms, ms, cleared: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as FakeTimer).cleared = true;
  }

  /** The delays of the timers set and not yet fired or cleared. */
  pendingDelays(): number[] {
    return this.timers.filter((t) => !t.cleared).map((t) => t.ms);
  }

  /** Moves time forward by `ms`, firing every timer due by then in order of due time, including timers they set. */
  advance(ms: number): void {
    const untilMs = this.nowMs + ms;
    for (let fired = 0; ; fired++) {
      if (fired >= FIRES_PER_ADVANCE_MAX) throw new Error(`more than ${FIRES_PER_ADVANCE_MAX} timers due within ${ms} ms`);
      this.timers = this.timers.filter((t) => !t.cleared);
      let next: FakeTimer | undefined;
      for (const t of this.timers) if (t.atMs <= untilMs && (next === undefined || t.atMs < next.atMs)) next = t;
      if (next === undefined) break;
      next.cleared = true;
      this.nowMs = Math.max(this.nowMs, next.atMs);
      next.fn();
    }
    this.nowMs = untilMs;
  }
}

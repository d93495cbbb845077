// A bound on wrong guesses: each basic-auth password check is a PBKDF2 of thousands of rounds on
// the event loop, so a client guessing passwords (or a script with a wrong one in a loop) could
// slow every other request. After AUTH_FAILURES_PER_WINDOW_MAX refusals from one address in
// AUTH_FAILURE_WINDOW_MS, its requests are answered 429 without checking anything until the
// window ends. Addresses tracked at most: AUTH_FAILURE_ADDRESSES_MAX (the stalest is forgotten).

export const AUTH_FAILURE_WINDOW_MS = 60_000;
export const AUTH_FAILURES_PER_WINDOW_MAX = 30;
export const AUTH_FAILURE_ADDRESSES_MAX = 10_000;

interface Window {
  startedAtMs: number;
  failures: number;
}

export class AuthAttempts {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  private current(address: string): Window | undefined {
    const window = this.windows.get(address);
    if (window !== undefined && this.now() - window.startedAtMs >= AUTH_FAILURE_WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  blockedForMs(address: string): number {
    const window = this.current(address);
    if (window === undefined || window.failures < AUTH_FAILURES_PER_WINDOW_MAX) return 0;
    return AUTH_FAILURE_WINDOW_MS - (this.now() - window.startedAtMs);
  }

  failed(address: string): void {
    const window = this.current(address);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (this.windows.size >= AUTH_FAILURE_ADDRESSES_MAX) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(address, { startedAtMs: this.now(), failures: 1 });
  }
}

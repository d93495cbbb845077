// Logs bad client input once per kind and client host within an interval: a client stuck in a loop
// of malformed frames must not flood the log, yet the first one is always visible.

import type { Logger } from 'pino';

export class BadInputLog {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly lastLoggedMs = new Map<string, number>();
  private readonly keysMax = 10_000;

  constructor(logger: Logger, intervalMs = 60_000, now: () => number = Date.now) {
    this.logger = logger;
    this.intervalMs = intervalMs;
    this.now = now;
  }

  report(kind: string, remote: string, fields: Record<string, unknown>, message: string): void {
    const host = remote.slice(0, remote.lastIndexOf(':'));
    const key = `${kind}|${host}`;
    const now = this.now();
    const last = this.lastLoggedMs.get(key);
    if (last !== undefined && now - last < this.intervalMs) return;
    // The map is bounded: when full, forget everything; at worst a line repeats once.
    if (this.lastLoggedMs.size >= this.keysMax) this.lastLoggedMs.clear();
    this.lastLoggedMs.set(key, now);
    this.logger.warn({ ...fields, kind }, message);
  }
}

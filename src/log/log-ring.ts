// The broker's recent log lines in memory, for log tails (GET /v1/ws/logs, `runnel logs --follow`).
// The logger's destination is teed into it (createLogger's `ring`): every JSON line pino writes is
// kept, the oldest dropped past `linesMax`, and handed to the subscribers as it is written. The
// ring holds pino's JSON whatever the output format, since pretty printing happens after the tee.

import type { DestinationStream } from 'pino';

/** pino's level names by number, the order the level filter compares in. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;

export interface LogLine {
  /** pino's level number (30 = info); 0 when the line names none we know. */
  level: number;
  /** The JSON line without its newline, cut to `lineBytesMax` (then it is no longer valid JSON). */
  line: string;
}

export interface LogRingLimits {
  /** Lines kept; 0 keeps none (subscribers still get new lines). */
  linesMax: number;
  /** Longer lines are cut to this many characters. */
  lineBytesMax: number;
}

const LEVEL_FIELD = /"level":(?:"(\w+)"|(\d+))/;

/** The level of a pino JSON line, by label (our formatter) or by number (pino's default). */
export function levelOfLine(line: string): number {
  const match = LEVEL_FIELD.exec(line);
  if (match === null) return 0;
  if (match[2] !== undefined) return Number(match[2]);
  return LOG_LEVELS[match[1] as LogLevelName] ?? 0;
}

export class LogRing {
  private readonly limits: LogRingLimits;
  // A circular buffer: `start` is the oldest line once the ring is full.
  private readonly lines: LogLine[] = [];
  private start = 0;
  private readonly subscribers = new Set<(line: LogLine) => void>();

  constructor(limits: LogRingLimits) {
    this.limits = limits;
  }

  /** Keeps one line written by pino (one or more lines, each ending in a newline) and hands it on. */
  push(chunk: string): void {
    for (const raw of chunk.split('\n')) {
      if (raw.length === 0) continue;
      const line = raw.length > this.limits.lineBytesMax ? `${raw.slice(0, this.limits.lineBytesMax)}…` : raw;
      const entry: LogLine = { level: levelOfLine(line), line };
      if (this.limits.linesMax > 0) {
        if (this.lines.length < this.limits.linesMax) this.lines.push(entry);
        else {
          this.lines[this.start] = entry;
          this.start = (this.start + 1) % this.limits.linesMax;
        }
      }
      for (const subscriber of this.subscribers) subscriber(entry);
    }
  }

  /** The kept lines, oldest first. */
  recent(): LogLine[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }

  /** Calls `listener` with every line pushed from now on; returns the unsubscribe. */
  subscribe(listener: (line: LogLine) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** A destination that writes to `destination` and keeps each line here too. */
  tee(destination: DestinationStream): DestinationStream {
    const ring = this;
    const flushable = destination as DestinationStream & { flush?: (cb?: (err?: Error) => void) => void; flushSync?: () => void };
    return {
      write(msg: string) {
        destination.write(msg);
        // A subscriber's failure must never lose a log line or break the caller that logged.
        try {
          ring.push(msg);
        } catch {
          // Subscribers guard themselves (ws-log-tail.ts); nothing to add here.
        }
      },
      ...(flushable.flush && { flush: flushable.flush.bind(flushable) }),
      ...(flushable.flushSync && { flushSync: flushable.flushSync.bind(flushable) }),
    } as DestinationStream;
  }
}

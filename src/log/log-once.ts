// Rate-limits repetitive log lines. Bad client input (a malformed frame, an
// unknown API key) must be logged once per key per interval, not once per bad
// frame, or a misbehaving client fills the disk. When a key is logged again,
// the line carries how many repeats were suppressed since the last one.
import type { Logger } from 'pino';

export type LogOnceLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogOnceOptions {
  /** A key is logged at most once per this many milliseconds. */
  intervalMs: number;
  /** Keys remembered at most; the one logged longest ago is forgotten first. */
  maxKeys?: number;
  /** The clock; injectable for tests. */
  now?: () => number;
}

interface KeyState {
  loggedAtMs: number;
  suppressed: number;
}

const DEFAULT_MAX_KEYS = 10_000;

export class LogOnce {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  // Map order is the order of the last emitted line per key, because a key is
  // re-inserted whenever it is logged: the first entry is the stalest one.
  private readonly keys = new Map<string, KeyState>();

  constructor(logger: Logger, opts: LogOnceOptions) {
    if (!(opts.intervalMs >= 0)) throw new RangeError(`LogOnce: intervalMs must be >= 0 (got ${opts.intervalMs})`);
    const maxKeys = opts.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!(maxKeys >= 1)) throw new RangeError(`LogOnce: maxKeys must be >= 1 (got ${maxKeys})`);
    this.logger = logger;
    this.intervalMs = opts.intervalMs;
    this.maxKeys = maxKeys;
    this.now = opts.now ?? Date.now;
  }

  /** Logs unless `key` was logged less than intervalMs ago; returns whether it logged. */
  log(level: LogOnceLevel, key: string, fields: Record<string, unknown>, msg: string): boolean {
    const nowMs = this.now();
    const state = this.keys.get(key);
    if (state !== undefined && nowMs - state.loggedAtMs < this.intervalMs) {
      state.suppressed++;
      return false;
    }
    const suppressed = state?.suppressed ?? 0;
    this.keys.delete(key);
    if (this.keys.size >= this.maxKeys) {
      const stalest = this.keys.keys().next();
      if (!stalest.done) this.keys.delete(stalest.value);
    }
    this.keys.set(key, { loggedAtMs: nowMs, suppressed: 0 });
    this.logger[level](suppressed > 0 ? { ...fields, suppressed } : fields, msg);
    return true;
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.log('warn', key, fields, msg);
  }

  info(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.log('info', key, fields, msg);
  }

  error(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.log('error', key, fields, msg);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.keys.size;
  }
}

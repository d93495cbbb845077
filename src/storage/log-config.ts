// Configuration of one partition log, and the logger shape it writes to.

export type FlushMode = 'group' | 'interval' | 'none';

export interface LogConfig {
  /** A segment rolls before an append that would take it above this size. */
  segmentBytes: number;
  /**
   * A segment also rolls before an append whose max timestamp is more than this past the max
   * timestamp of the segment's first batch (Kafka's segment.ms, measured as Kafka does, on the
   * records' timestamps); Infinity: never by time. Absent: Infinity.
   */
  segmentMs?: number;
  /** Bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  /** Segments whose newest timestamp is older than this are deleted; -1 keeps forever. */
  retentionMs: number;
  /** Head segments are deleted while the log stays at or above this size; -1 = unlimited. */
  retentionBytes: number;
  /**
   * 'group': flush() waits for an fdatasync, shared by every caller that arrives while
   *   one runs (group commit). This keeps "acks=all acknowledged = on disk".
   * 'interval': flush() resolves at once; a timer syncs every intervalMs. A crash of the
   *   machine (not just the process) loses up to intervalMs of acknowledged writes.
   * 'none': flush() resolves at once; only the OS writes back. close() still syncs.
   */
  flush: { mode: FlushMode; intervalMs: number };
  /**
   * How often the recovery point follows the syncs inside the active segment (the checkpoint is
   * rewritten when it moved): after a crash only the bytes synced since, and those never synced,
   * are CRC-checked at open. Shorter costs two more fsyncs per written partition per interval.
   */
  recoveryPointIntervalMs: number;
}

/** pino-compatible subset. */
export interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const SILENT_LOGGER: LogLike = { info() {}, warn() {}, error() {} };

/** Positions in the sparse index are uint32, so a segment must stay below 2 GiB (as in Kafka). */
export const SEGMENT_BYTES_MAX = 0x7fffffff;
export const SEGMENT_BYTES_MIN = 1024;
export const FLUSH_INTERVAL_MS_MIN = 1;
export const RECOVERY_POINT_INTERVAL_MS_MIN = 1;

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  flush: { mode: 'group', intervalMs: 1000 },
  recoveryPointIntervalMs: 1000,
};

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  const config = { ...DEFAULT_LOG_CONFIG, ...overrides, flush: { ...DEFAULT_LOG_CONFIG.flush, ...overrides.flush } };
  validateLogConfig(config);
  return config;
}

export function validateLogConfig(c: LogConfig): void {
  const int = (v: number) => Number.isSafeInteger(v);
  if (!int(c.segmentBytes) || c.segmentBytes < SEGMENT_BYTES_MIN || c.segmentBytes > SEGMENT_BYTES_MAX) {
    throw new RangeError(`segmentBytes must be an integer in [${SEGMENT_BYTES_MIN}, ${SEGMENT_BYTES_MAX}], got ${c.segmentBytes}`);
  }
  if (c.segmentMs !== undefined && c.segmentMs !== Infinity && (!int(c.segmentMs) || c.segmentMs < 1)) {
    throw new RangeError(`segmentMs must be a positive integer or Infinity, got ${c.segmentMs}`);
  }
  if (!int(c.indexIntervalBytes) || c.indexIntervalBytes < 1) {
    throw new RangeError(`indexIntervalBytes must be a positive integer, got ${c.indexIntervalBytes}`);
  }
  if (!int(c.retentionMs) || c.retentionMs < -1) throw new RangeError(`retentionMs must be -1 or >= 0, got ${c.retentionMs}`);
  if (!int(c.retentionBytes) || c.retentionBytes < -1) {
    throw new RangeError(`retentionBytes must be -1 or >= 0, got ${c.retentionBytes}`);
  }
  if (!['group', 'interval', 'none'].includes(c.flush.mode)) throw new RangeError(`flush.mode ${c.flush.mode} is unknown`);
  if (!int(c.flush.intervalMs) || c.flush.intervalMs < FLUSH_INTERVAL_MS_MIN) {
    throw new RangeError(`flush.intervalMs must be an integer >= ${FLUSH_INTERVAL_MS_MIN}, got ${c.flush.intervalMs}`);
  }
  if (!int(c.recoveryPointIntervalMs) || c.recoveryPointIntervalMs < RECOVERY_POINT_INTERVAL_MS_MIN) {
    throw new RangeError(`recoveryPointIntervalMs must be an integer >= ${RECOVERY_POINT_INTERVAL_MS_MIN}, got ${c.recoveryPointIntervalMs}`);
  }
}

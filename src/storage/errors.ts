// Errors the storage layer throws on purpose. Anything else is a bug or an I/O failure.

/** A read or DeleteRecords asked for an offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends Error {
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Kafka's OFFSET_OUT_OF_RANGE. */
  readonly errorCode = 1;
  constructor(offset: number, logStartOffset: number, logEndOffset: number) {
    super(`offset ${offset} is outside the log range [${logStartOffset}, ${logEndOffset}]`);
    this.name = 'OffsetOutOfRangeError';
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/**
 * Data below the recovery point (known synced, so possibly acknowledged) is damaged.
 * We refuse to open rather than silently drop acknowledged records; the replica must
 * be repaired from its peers (docs/storage.md).
 */
export class LogCorruptionError extends Error {
  readonly path: string;
  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'LogCorruptionError';
    this.path = path;
  }
}

/** Where recovery found synced data damaged (docs/storage.md, "Recovery"). */
export interface LogDamage {
  /** The segment file. */
  path: string;
  /** Byte position in it where the readable data ends. */
  position: number;
  /** The offset the damaged batch should have had: the log reads up to here. */
  offset: number;
  reason: string;
}

/**
 * The log holds damaged synced data: it stays readable up to the damage and refuses every
 * change, and its files are left as they are for an operator (or, for a Raft replica, until it
 * is reset and repaired from its peers). Kafka's KAFKA_STORAGE_ERROR for a produce.
 */
export class LogDamagedError extends Error {
  readonly damage: LogDamage;
  constructor(damage: LogDamage) {
    super(`log is damaged in synced data (${damage.path} at byte ${damage.position}: ${damage.reason}); it is read-only up to offset ${damage.offset}`);
    this.name = 'LogDamagedError';
    this.damage = damage;
  }
}

/** A failed fdatasync leaves the file in an unknown state; the log refuses further work. */
export class LogFailedError extends Error {
  constructor(dir: string, cause: unknown) {
    super(`log ${dir} failed after an I/O error: ${String(cause)}`, { cause });
    this.name = 'LogFailedError';
  }
}

/** errno / SQLite codes of a write that failed for want of space: retrying it later may succeed. */
const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** System calls whose failure leaves the page cache in doubt (fsyncgate): never retried. */
const SYNC_SYSCALLS = new Set(['fsync', 'fdatasync']);

/**
 * How a failed storage operation may go on: 'retry' (a write refused for want of space; nothing
 * of it may count as written, but the same write can be tried again once space returns), 'stop'
 * (another I/O error, or a failed fsync: what the page cache holds is in doubt, so the data may
 * only be trusted again after a restart's recovery), or null (not an I/O error: a bug).
 */
export function storageFailureKind(err: unknown): 'retry' | 'stop' | null {
  if (err instanceof LogFailedError) return 'stop';
  if (typeof err !== 'object' || err === null) return null;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return null;
  if (OUT_OF_SPACE_CODES.has(code)) return typeof syscall === 'string' && SYNC_SYSCALLS.has(syscall) ? 'stop' : 'retry';
  if (/^E[A-Z]+$/.test(code) || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') return 'stop';
  return null;
}

// Shared helpers for the storage tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, decodeBatches, type DecodedRecord } from '../../../src/protocol/record-batch.ts';
import { logConfig, type LogConfig, type LogLike } from '../../../src/storage/log-config.ts';
import type { Log } from '../../../src/storage/log.ts';
import { nodeFs, type FileSystem } from '../../../src/storage/fs.ts';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-storage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function smallConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return logConfig({ segmentBytes: 4096, indexIntervalBytes: 256, retentionMs: -1, retentionBytes: -1, ...overrides });
}

/** A batch of `count` records whose keys/values/headers/timestamps derive from `seed`. */
export function makeBatch(seed: number, count = 3, valueBytes = 40, timestamp = 1_700_000_000_000 + seed * 10): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      key: `k-${seed}-${i}`,
      value: Buffer.alloc(valueBytes, (seed + i) & 0xff),
      headers: [{ key: 'seed', value: String(seed) }],
      timestamp: timestamp + i,
    })),
  });
}

/** Reads every record from logStartOffset to logEndOffset in small steps. */
export function readAll(log: Log, maxBytes = 1000): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  for (let guard = 0; offset < end && guard < 1_000_000; guard++) {
    const { records, nextOffset } = log.read(offset, maxBytes, end);
    if (records.length === 0) throw new Error(`no progress at ${offset}`);
    for (const b of decodeBatches(records)) out.push(...b.records);
    offset = nextOffset;
  }
  return out;
}

export class MemoryLogger implements LogLike {
  lines: { level: string; obj: object; msg?: string }[] = [];
  info(obj: object, msg?: string) {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.lines.push({ level: 'error', obj, msg });
  }
  find(msg: string) {
    return this.lines.filter((l) => l.msg === msg);
  }
}

/** node:fs, counting the bytes read from segment (.log) files opened through it. */
export function countingFs(): { fs: FileSystem; logBytesRead: () => number } {
  const logFds = new Set<number>();
  let bytes = 0;
  const fs: FileSystem = {
    ...nodeFs,
    open(path, flags) {
      const fd = nodeFs.open(path, flags);
      if (path.endsWith('.log')) logFds.add(fd);
      return fd;
    },
    close(fd) {
      logFds.delete(fd);
      nodeFs.close(fd);
    },
    read(fd, buffer, offset, length, position) {
      const n = nodeFs.read(fd, buffer, offset, length, position);
      if (logFds.has(fd)) bytes += n;
      return n;
    },
  };
  return { fs, logBytesRead: () => bytes };
}

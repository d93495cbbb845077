// Shared pieces of the tests of Raft logs over real files (raft-state-recovery, raft-sealed-damage).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from '../../../src/raft/types.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';

/** A temporary directory removed after the test. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'runnel-raftrec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A produced batch of three records, its bytes set by `seed`. */
export function produced(seed: number): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: 3 }, (_, i) => ({ key: `k${seed}-${i}`, value: Buffer.alloc(60, seed & 0xff), timestamp: 1_700_000_000_000 + seed })),
  });
}

/** Normal entries from..to of `term`, each a produced batch. */
export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: 'normal', data: produced(i) });
  return out;
}

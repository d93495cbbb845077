// Disk faults for the chaos runner: filling a broker's tmpfs (and giving the space back), and
// damaging a stopped broker's segment files (a bit flip, or a cut at a random length).
// The runner judges the outcome: a damaged minority must not lose an acknowledged record.

import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SeededRng } from '../helpers/seeded-rng.ts';

/** Bytes written per step while filling; the last steps go down to a page so the disk ends truly full. */
const FILL_CHUNK_BYTES = [1 << 20, 64 << 10, 4 << 10] as const;
/** A bound on fill writes (a 1 GiB tmpfs at 1 MiB steps needs 1,024). */
const FILL_WRITES_MAX = 100_000;

/** Writes `file` until the file system says ENOSPC; returns the bytes written. */
export function fillDisk(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  let writes = 0;
  try {
    for (const size of FILL_CHUNK_BYTES) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (; writes < FILL_WRITES_MAX; writes++) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function freeDisk(file: string): void {
  if (existsSync(file)) unlinkSync(file);
}

/** Every segment file (`*.log`) under a data dir, partition logs and the metadata log alike. */
export function segmentFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, depth + 1);
      else if (name.endsWith('.log') && st.size > 0) out.push(path);
    }
  };
  walk(dataDir, 0);
  return out;
}

export interface Damage {
  file: string;
  kind: 'bitflip' | 'truncate';
  /** The byte flipped, or the new length. */
  at: number;
  sizeBefore: number;
}

/** Flips one bit or cuts the file short, at a position the seed picks. */
export function damageFile(file: string, rng: SeededRng): Damage {
  const size = statSync(file).size;
  if (rng.chance(0.5)) {
    const at = rng.int(0, size - 1);
    const fd = openSync(file, 'r+');
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      b[0] ^= 1 << rng.int(0, 7);
      writeSync(fd, b, 0, 1, at);
    } finally {
      closeSync(fd);
    }
    return { file, kind: 'bitflip', at, sizeBefore: size };
  }
  const at = rng.int(0, size - 1);
  truncateSync(file, at);
  return { file, kind: 'truncate', at, sizeBefore: size };
}

/** Empties a data dir (the operator's remedy for a disk the broker refuses to start from). */
export function wipeDir(dir: string): void {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
}

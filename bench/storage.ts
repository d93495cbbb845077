// Storage benchmark: append throughput with group-commit flush (acks=all-style: each
// append waits for flush()), raw append throughput, read throughput, and a 1,000,000
// record restart check. Prints numbers; asserts nothing about speed.
//
//   node --import tsx bench/storage.ts [--dir /path/on/real/disk] [--records 1000000]
//
// The temp dir must be on a real disk (not tmpfs) for the fsync numbers to mean anything.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, decodeBatches } from '../src/protocol/record-batch.ts';
import { logConfig } from '../src/storage/log-config.ts';
import { PartitionLog } from '../src/storage/partition-log.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const root = mkdtempSync(join(arg('dir', tmpdir()), 'runnel-bench-storage-'));
const recordsTotal = Number(arg('records', '1000000'));
const config = logConfig({ segmentBytes: 128 * 1024 * 1024, retentionMs: -1 });

function batchOf(records: number, valueBytes: number, seed: number): Buffer {
  const value = Buffer.alloc(valueBytes, seed & 0xff);
  return buildRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({ key: null, value, timestamp: 1_700_000_000_000 + seed * records + i })),
  });
}

function report(name: string, batches: number, records: number, bytes: number, seconds: number, extra = ''): void {
  const line = [
    name.padEnd(44),
    `${Math.round(batches / seconds).toLocaleString('en-US')} batches/s`.padStart(20),
    `${Math.round(records / seconds).toLocaleString('en-US')} records/s`.padStart(22),
    `${(bytes / seconds / 1e6).toFixed(1)} MB/s`.padStart(12),
    extra,
  ];
  console.log(line.join('  '));
}

/** `producers` concurrent loops, each appending a batch and awaiting flush() (acks=all). */
async function appendWithFlush(name: string, recordsPerBatch: number, valueBytes: number, producers: number, batchesTotal: number): Promise<void> {
  const dir = join(root, name.replace(/\W+/g, '-'));
  const log = PartitionLog.open(dir, config);
  const template = batchOf(recordsPerBatch, valueBytes, 1);
  let remaining = batchesTotal;
  let bytes = 0;
  const latenciesUs: number[] = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: producers }, async () => {
      // Each producer stops when the shared budget is used up.
      while (remaining > 0) {
        remaining--;
        const batch = Buffer.from(template);
        const t0 = process.hrtime.bigint();
        log.append(batch, 1);
        bytes += batch.length;
        await log.flush();
        latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latenciesUs.sort((a, b) => a - b);
  const pct = (p: number) => latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(p * latenciesUs.length))].toFixed(0);
  report(name, batchesTotal, batchesTotal * recordsPerBatch, bytes, seconds, `ack p50 ${pct(0.5)} us, p99 ${pct(0.99)} us`);
  await log.close();
}

async function main(): Promise<void> {
  console.log(`dir ${root}`);
  await appendWithFlush('flush each, 1 producer, 100 x 100 B', 100, 100, 1, 3000);
  await appendWithFlush('group commit, 16 producers, 100 x 100 B', 100, 100, 16, 20000);
  await appendWithFlush('group commit, 64 producers, 1 x 100 B', 1, 100, 64, 50000);

  {
    // Append alone: copies of one prebuilt batch, no flush (page cache speed).
    const raw = PartitionLog.open(join(root, 'raw'), config);
    const template = batchOf(100, 100, 1);
    const n = 20000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) raw.append(Buffer.from(template), 1);
    report('append only (no flush), 100 x 100 B', n, n * 100, n * template.length, Number(process.hrtime.bigint() - t0) / 1e9);
    await raw.close();
  }

  // Raw appends (no flush until the end), then a timed sequential read, then a restart
  // that checks every one of `recordsTotal` records.
  const dir = join(root, 'million');
  const log = PartitionLog.open(dir, config);
  const perBatch = 100;
  const batches = Math.ceil(recordsTotal / perBatch);
  let bytes = 0;
  let start = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) {
    const batch = batchOf(perBatch, 100, i);
    bytes += batch.length;
    log.append(batch, 1);
  }
  let seconds = Number(process.hrtime.bigint() - start) / 1e9;
  report('append (build + append, no flush), 100 x 100 B', batches, batches * perBatch, bytes, seconds);
  start = process.hrtime.bigint();
  await log.flush();
  console.log(`${'final flush'.padEnd(44)}  ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms`);
  start = process.hrtime.bigint();
  let offset = 0;
  let readBytes = 0;
  // Bounded by the log end: every read returns at least one batch.
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1024 * 1024, log.logEndOffset);
    readBytes += r.records.length;
    offset = r.nextOffset;
  }
  seconds = Number(process.hrtime.bigint() - start) / 1e9;
  report('read, 1 MiB fetches', batches, batches * perBatch, readBytes, seconds);
  await log.close();

  start = process.hrtime.bigint();
  const reopened = PartitionLog.open(dir, config);
  const openMs = Number(process.hrtime.bigint() - start) / 1e6;
  let checked = 0;
  offset = 0;
  while (offset < reopened.logEndOffset) {
    const r = reopened.read(offset, 4 * 1024 * 1024, reopened.logEndOffset);
    for (const b of decodeBatches(r.records)) {
      for (const rec of b.records) {
        const seed = Math.floor(rec.offset / perBatch);
        if (rec.offset !== checked || rec.timestamp !== 1_700_000_000_000 + rec.offset || rec.value?.[0] !== (seed & 0xff)) {
          throw new Error(`record ${checked} came back wrong: offset ${rec.offset} ts ${rec.timestamp}`);
        }
        checked++;
      }
    }
    offset = r.nextOffset;
  }
  console.log(`restart: clean open ${openMs.toFixed(1)} ms, ${checked.toLocaleString('en-US')} records read back with the same offset, value and timestamp`);
  await reopened.close();
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}

// Producer-state replay benchmark (issue 9 restart): what rebuilding the idempotent-producer
// state of a log from its start costs when no producer snapshot exists, reading whole batches
// (Log.read in 1 MiB steps, how the load worked before) against reading only the batch headers
// (Log.readHeaders, ProducerStateLoad today). Both run over the same partition directories, e.g.
// the restart benchmark's data:
//
//   npm run bench -- producer-replay --dir /tmp/rb/data [--partitions 100] [--rounds 2]
//
// Each log is opened as a broker opens it (a clean one is not changed), replayed both ways, and
// closed. Prints wall time, CPU time and the bytes read per way; the two tables must be equal.
// Run it on logs that were closed cleanly (after the restart benchmark stops its broker): an
// unclean one would be recovered (and rewritten) by the open.

import { loadAverage } from './lib/proc.ts';
import { parseArgs } from 'node:util';
import { partitionDirs } from './lib/fill-logs.ts';
import { PartitionLog } from '../src/storage/partition-log.ts';
import { logConfig } from '../src/storage/log-config.ts';
import type { Log } from '../src/storage/log.ts';
import { readBatchHeader } from '../src/protocol/record-batch.ts';
import { ProducerStateTable } from '../src/partition/producer-state.ts';
import { ProducerStateLoad } from '../src/partition/producer-state-loader.ts';
import { LOAD_CHUNK_BYTES } from '../src/partition/load-queue.ts';
import { SILENT_LOGGER } from '../src/storage/log-config.ts';

const { values: opts } = parseArgs({
  options: {
    dir: { type: 'string' },
    partitions: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
  },
  strict: true,
});
if (!opts.dir) {
  console.error("--dir is required (a data dir with partition directories, e.g. the restart benchmark's)");
  process.exit(2);
}
const dirs = partitionDirs(opts.dir).slice(0, Number(opts.partitions));
const rounds = Number(opts.rounds);
const load = loadAverage;

/** The replay before Log.readHeaders: whole batches, LOAD_CHUNK_BYTES per read. */
function replayWholeBatches(log: Log): { table: ProducerStateTable; bytes: number } {
  const table = new ProducerStateTable();
  let bytes = 0;
  let offset = log.logStartOffset;
  // Each read returns at least one batch while offset < the log end.
  while (offset < log.logEndOffset) {
    const { records, nextOffset } = log.read(offset, LOAD_CHUNK_BYTES, log.logEndOffset);
    for (let at = 0; at < records.length; at += 12 + records.readInt32BE(at + 8)) {
      const h = readBatchHeader(records, at);
      if (h.producerId >= 0 && h.baseOffset + h.lastOffsetDelta >= offset) table.record(h, h.baseOffset);
    }
    bytes += records.length;
    offset = nextOffset;
  }
  return { table, bytes };
}

/** ProducerStateLoad over the log with its snapshots hidden, stepped to the end. */
function replayHeaders(log: Log): { table: ProducerStateTable; bytes: number } {
  const noSnapshots = new Proxy(log, {
    get(target, prop) {
      if (prop === 'snapshots') return undefined;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  let result: ProducerStateTable | null = null;
  const job = new ProducerStateLoad(noSnapshots, { producersMax: 10_000, logger: SILENT_LOGGER, where: 'bench' }, (table) => (result = table));
  let bytes = 0;
  // Each step reads at least one header or finishes; the log's batches bound the steps.
  for (let done = false; !done; ) {
    const step = job.step(LOAD_CHUNK_BYTES);
    bytes += step.bytes;
    done = step.done;
  }
  return { table: result!, bytes };
}

function measure(name: string, logs: Log[], replay: (log: Log) => { table: ProducerStateTable; bytes: number }): ProducerStateTable[] {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  const tables = logs.map((log) => {
    const r = replay(log);
    bytes += r.bytes;
    return r.table;
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `  ${name.padEnd(14)} wall ${Math.round(wallMs).toLocaleString('en-US').padStart(7)} ms  CPU ${Math.round(cpuMs).toLocaleString('en-US').padStart(7)} ms  read ${(bytes / 2 ** 20).toFixed(1).padStart(9)} MiB  (load ${load()})`,
  );
  return tables;
}

const config = logConfig({ segmentBytes: 128 * 2 ** 20, flush: { mode: 'group', intervalMs: 1000 } });
const logs = dirs.map((dir) => PartitionLog.open(dir, config));
const sizeBytes = logs.reduce((s, l) => s + l.sizeBytes, 0);
console.log(`producer-state replay from the log start: ${logs.length} logs, ${(sizeBytes / 2 ** 30).toFixed(2)} GiB (load ${load()})`);
for (let round = 1; round <= rounds; round++) {
  console.log(`round ${round}`);
  // Alternating the order so neither way always finds the pages the other just read.
  const ways = [
    ['whole batches', replayWholeBatches],
    ['headers only', replayHeaders],
  ] as const;
  const results = (round % 2 === 1 ? ways : [...ways].reverse()).map(([name, fn]) => measure(name, logs, fn));
  for (let i = 0; i < logs.length; i++) {
    const [a, b] = results.map((tables) => JSON.stringify([...tables[i].producerEntries()]));
    if (a !== b) throw new Error(`${dirs[i]}: the two replays disagree`);
  }
}
await Promise.all(logs.map((l) => l.close()));

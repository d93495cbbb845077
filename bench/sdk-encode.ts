// `npm run bench -- sdk-encode [--records N] [--size BYTES] [--compression none,lz4,...]`:
// how fast the SDK producer turns records into batches (ProducerBatch.encode, the path every
// `send` takes before the wire), in records/s per codec, no broker involved. Issue 13's goal:
// at least 3,000,000 records/s of 100 B, so the client is never what limits a broker benchmark.
// Prints the load average with each figure (the machine is shared).

import { readFileSync } from 'node:fs';
import { ProducerBatch, recordFieldBytes } from '../src/client/producer/batch.ts';
import { defaultClientLimits } from '../src/client/limits.ts';
import type { CompressionName } from '../src/protocol/record-batch.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const records = Number(arg('records', '2000000'));
const size = Number(arg('size', '100'));
const codecs = arg('compression', 'none,lz4,zstd').split(',') as CompressionName[];
const value = Buffer.alloc(size, 'x');
const now = Date.now();
const WARMUP_RECORDS = 200_000;

/** Encodes `records` records into batches as the producer closes them (at batchBytesMax, 1 MiB by default). */
function encodeAll(compression: CompressionName, records: number): { encodedBytes: number; batches: number } {
  let encodedBytes = 0;
  let batches = 0;
  let batch = new ProducerBatch('bench', 0, now);
  for (let i = 0; i < records; i++) {
    const bytes = recordFieldBytes(null, value, undefined);
    if (batch.bytes + bytes > defaultClientLimits.batchBytesMax) {
      encodedBytes += batch.encode(compression, 1, 0).length;
      batches++;
      batch = new ProducerBatch('bench', 0, now, batch.sizeBytes); // as the producer sizes a partition's next batch
    }
    batch.add(null, value, undefined, now, bytes);
  }
  if (batch.count > 0) {
    encodedBytes += batch.encode(compression, 1, 0).length;
    batches++;
  }
  return { encodedBytes, batches };
}

for (const compression of codecs) {
  encodeAll(compression, WARMUP_RECORDS); // so the first codec measured does not pay for the JIT
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const { encodedBytes, batches } = encodeAll(compression, records);
  const cpu = process.cpuUsage(cpuStart);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${compression.padEnd(6)} ${records} records of ${size} B in ${batches} batches: ${(records / seconds).toFixed(0)} records/s (${(records / cpuSeconds).toFixed(0)} per CPU-second), ${(encodedBytes / seconds / 1048576).toFixed(1)} MiB/s out (load ${load})`,
  );
}

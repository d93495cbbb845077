// `npm run bench -- sdk-encode [--records N] [--size BYTES] [--compression none,lz4,...]`:
// how fast the SDK producer turns records into batches (ProducerBatch.encode, the path every
// `send` takes before the wire), in records/s per codec, no broker involved. Issue 13's goal:
// at least 3,000,000 records/s of 100 B, so the client is never what limits a broker benchmark.
// Prints the load average with each figure (the machine is shared).

import { readFileSync } from 'node:fs';
import { ProducerBatch, recordBytes } from '../src/client/producer/batch.ts';
import { defaultClientLimits } from '../src/client/limits.ts';
import type { CompressionName, RecordInput } from '../src/protocol/record-batch.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const records = Number(arg('records', '2000000'));
const size = Number(arg('size', '100'));
const codecs = arg('compression', 'none,lz4,zstd').split(',') as CompressionName[];
const value = Buffer.alloc(size, 'x');
const now = Date.now();

for (const compression of codecs) {
  // Batches as the producer closes them: at batchBytesMax (1 MiB by default).
  let encodedBytes = 0;
  let batches = 0;
  const start = process.hrtime.bigint();
  let batch = new ProducerBatch('bench', 0, now);
  const waiter = { resolve() {}, reject() {} };
  for (let i = 0; i < records; i++) {
    const record: RecordInput = { key: null, value, headers: [], timestamp: now };
    const bytes = recordBytes(record);
    if (batch.bytes + bytes > defaultClientLimits.batchBytesMax) {
      encodedBytes += batch.encode(compression, 1, 0).length;
      batches++;
      batch = new ProducerBatch('bench', 0, now);
    }
    batch.add(record, bytes, waiter);
  }
  if (batch.count > 0) {
    encodedBytes += batch.encode(compression, 1, 0).length;
    batches++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${compression.padEnd(6)} ${records} records of ${size} B in ${batches} batches: ${(records / seconds).toFixed(0)} records/s, ${(encodedBytes / seconds / 1048576).toFixed(1)} MiB/s out (load ${load})`,
  );
}

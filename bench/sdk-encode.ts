// `npm run bench -- sdk-encode [--records N] [--size BYTES] [--compression none,lz4,...]`:
// how fast the SDK turns records into batches and back, per codec, no broker involved:
// - encode: ProducerBatch, the path every `send` takes before the wire;
// - decode: what the consumer's fetcher does with a Fetch answer (walkBatches into FetchedRecord,
//   fields left in place until read), then the same reading every value, and decodeBatches (every
//   key and value copied out, what the consumer did before) for comparison.
// Issue 13's goals: encode at least 3,000,000 records/s of 100 B and decode at least 5,000,000,
// so the client is never what limits a broker benchmark. Figures are records per wall second
// and per CPU-second of this process (the machine is shared: the load average is printed with each).

import { readFileSync } from 'node:fs';
import { FetchedRecord } from '../src/client/consumer/fetched-record.ts';
import { ProducerBatch, recordFieldBytes } from '../src/client/producer/batch.ts';
import { defaultClientLimits } from '../src/client/limits.ts';
import { type CompressionName, decodeBatches, walkBatches } from '../src/protocol/record-batch.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const records = Number(arg('records', '2000000'));
const size = Number(arg('size', '100'));
const codecs = arg('compression', 'none,lz4,zstd').split(',') as CompressionName[];
const value = Buffer.alloc(size, 'x');
const now = Date.now();
/** Untimed records first: V8 optimises the encoder in steps, and a short warm-up left the first codec measured at half speed. */
const WARMUP_RECORDS = 1_000_000;

/** Encodes `records` records into batches as the producer closes them (at batchBytesMax, 1 MiB by default). */
function encodeAll(compression: CompressionName, records: number): { encodedBytes: number; batches: number; encoded: Buffer[] } {
  const encoded: Buffer[] = [];
  let encodedBytes = 0;
  let batches = 0;
  let batch = new ProducerBatch('bench', 0, now);
  for (let i = 0; i < records; i++) {
    const bytes = recordFieldBytes(null, value, undefined);
    if (batch.bytes + bytes > defaultClientLimits.batchBytesMax) {
      encoded.push(batch.encode(compression, 1, 0));
      encodedBytes += encoded.at(-1)!.length;
      batches++;
      batch = new ProducerBatch('bench', 0, now, batch.sizeBytes); // as the producer sizes a partition's next batch
    }
    batch.add(null, value, undefined, now, bytes);
  }
  if (batch.count > 0) {
    encoded.push(batch.encode(compression, 1, 0));
    encodedBytes += encoded.at(-1)!.length;
    batches++;
  }
  return { encodedBytes, batches, encoded };
}

/** Wall and CPU seconds of `fn`. */
function timed(fn: () => void): { seconds: number; cpuSeconds: number } {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  fn();
  const cpu = process.cpuUsage(cpuStart);
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function report(what: string, compression: CompressionName, count: number, t: { seconds: number; cpuSeconds: number }, extra = ''): void {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${what.padEnd(22)} ${compression.padEnd(6)} ${count} records of ${size} B: ${(count / t.seconds).toFixed(0)} records/s (${(count / t.cpuSeconds).toFixed(0)} per CPU-second)${extra} (load ${load})`,
  );
}

/** The consumer's work on the batches: one FetchedRecord per record; `read` also reads each value. */
function fetchAll(blobs: Buffer[], read: boolean): number {
  let count = 0;
  let bytes = 0;
  for (const blob of blobs) {
    walkBatches(
      blob,
      {},
      () => true,
      (r) => {
        const record = new FetchedRecord('bench', 0, r);
        count++;
        if (read) bytes += record.value!.length;
      },
    );
  }
  if (read && bytes !== count * size) throw new Error(`read ${bytes} value bytes, expected ${count * size}`);
  return count;
}

for (const compression of codecs) {
  encodeAll(compression, WARMUP_RECORDS); // so the first codec measured does not pay for the JIT
  let out = { encodedBytes: 0, batches: 0, encoded: [] as Buffer[] };
  const encodeTime = timed(() => {
    out = encodeAll(compression, records);
  });
  report(
    'encode (ProducerBatch)',
    compression,
    records,
    encodeTime,
    `, ${out.batches} batches, ${(out.encodedBytes / encodeTime.seconds / 1048576).toFixed(1)} MiB/s out`,
  );
  // Fetch answers of up to fetchBytesMax (16 MiB) hold the batches back to back.
  const blobs: Buffer[] = [];
  for (
    let i = 0, perBlob = Math.max(1, Math.floor(defaultClientLimits.fetchBytesMax / defaultClientLimits.batchBytesMax));
    i < out.encoded.length;
    i += perBlob
  ) {
    blobs.push(Buffer.concat(out.encoded.slice(i, i + perBlob)));
  }
  fetchAll(blobs.slice(0, 1), true); // warm-up
  let decoded = 0;
  report(
    'decode (consumer)',
    compression,
    records,
    timed(() => (decoded = fetchAll(blobs, false))),
  );
  if (decoded !== records) throw new Error(`decoded ${decoded} records of ${records}`);
  report(
    'decode + read values',
    compression,
    records,
    timed(() => fetchAll(blobs, true)),
  );
  report(
    'decodeBatches (copies)',
    compression,
    records,
    timed(() => blobs.forEach((b) => decodeBatches(b))),
  );
}

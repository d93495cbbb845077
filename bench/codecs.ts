// Decompression speed of the Kafka codecs' candidate libraries, on the records section of
// RecordBatches (JSON-like values, as producers send), at 16 KiB (the Java producer's
// batch.size) and 1 MiB (librdkafka's). The broker decompresses one batch per partition
// answered by ListOffsets by timestamp (src/protocol/compression.ts).
// Run: npm run bench -- codecs [seconds-per-case]
// A candidate that is not installed is reported as such: only the chosen libraries are
// dependencies; to compare again, `npm install --no-save` the others first.
// Prints numbers only; nothing here asserts on speed.

import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { buildRecordBatch, RECORDS_OFFSET } from '../src/protocol/record-batch.ts';
import { decompressRecords } from '../src/protocol/compression.ts';
import { defaultConfig } from '../src/config/index.ts';
import { runFor } from './lib/timing.ts';
import { COMPRESSION_GZIP, COMPRESSION_LZ4, COMPRESSION_SNAPPY, COMPRESSION_ZSTD } from '../src/protocol/record-batch.ts';

const secondsPerCase = Number(process.argv[2] ?? 1);
const ITERATIONS_MAX = 1_000_000;
const require = createRequire(import.meta.url);
/** The broker's bound on one batch's records (limits.max_uncompressed_batch_bytes). */
const BROKER_LIMIT = defaultConfig().limits.max_uncompressed_batch_bytes;

type Fn = (input: Buffer) => Uint8Array;

/** Loads an optional candidate; undefined when it is not installed. */
function optional<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

const snappy = optional<{ compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer }>('snappy');
const snappyjs = optional<{ compress(b: Buffer): Buffer; uncompress(b: Buffer, max?: number): Buffer }>('snappyjs');
const lz4napi = optional<{ compressFrameSync(b: Buffer): Buffer; decompressFrameSync(b: Buffer): Buffer }>('lz4-napi');
const lz4js = optional<{ compress(b: Buffer): Uint8Array; decompress(b: Buffer, max?: number): Uint8Array }>('lz4js');
const zstdNapi = optional<{ compress(b: Buffer): Buffer; decompress(b: Buffer): Buffer }>('zstd-napi');
const fzstd = optional<{ decompress(b: Uint8Array): Uint8Array }>('fzstd');

/** The records section of a batch of `bytes` of JSON-like records. */
function records(bytes: number): Buffer {
  const inputs = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const value = JSON.stringify({ id: i, user: `user-${i % 977}`, score: (i * 7919) % 1000, tags: ['a', 'b'], at: 1_700_000_000_000 + i });
    inputs.push({ key: `key-${i}`, value, timestamp: 1_700_000_000_000 + i });
    size += value.length + 20;
  }
  return buildRecordBatch({ records: inputs }).subarray(RECORDS_OFFSET);
}

/**
 * MB/s of output from the fastest and the median of ROUNDS rounds: on a shared, loaded
 * machine the fastest round is the nearest to the library's own speed, and the median says
 * how far the load moved it. The budget is split evenly between the rounds.
 */
const ROUNDS = 20;

function measure(name: string, outputBytes: number, fn: () => unknown): void {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { calls, seconds } = runFor(secondsPerCase / ROUNDS, fn, { warmup: round === 0 ? 20 : 0, perRound: 1, callsMax: ITERATIONS_MAX });
    rates.push((calls * outputBytes) / seconds / 1e6);
  }
  rates.sort((a, b) => a - b);
  const best = rates[rates.length - 1]!;
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`  ${name.padEnd(52)} best ${best.toFixed(0).padStart(6)} MB/s   median ${median.toFixed(0).padStart(6)} MB/s`);
}

function candidate(label: string, lib: unknown, compressed: Buffer | undefined, plain: Buffer, decompress: Fn | undefined): void {
  if (lib === undefined || compressed === undefined || decompress === undefined) {
    console.log(`  ${label.padEnd(52)} not installed`);
    return;
  }
  const out = decompress(compressed);
  if (Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), plain) !== 0) throw new Error(`${label}: wrong output`);
  measure(label, plain.length, () => decompress(compressed));
}

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}, ${secondsPerCase} s per case in ${ROUNDS} rounds`,
);
for (const size of [16 * 1024, 1024 * 1024]) {
  const plain = records(size);
  const snappyFrame = snappy?.compressSync(plain) ?? snappyjs?.compress(plain);
  const lz4Frame = lz4napi?.compressFrameSync(plain) ?? (lz4js && Buffer.from(lz4js.compress(plain)));
  const zstdFrame = zstdNapi?.compress(plain);
  const gzip = gzipSync(plain);
  const ratio = (c: Buffer | undefined) => (c === undefined ? '-' : (plain.length / c.length).toFixed(1));
  console.log(
    `records section of ${plain.length} B; ratios: snappy ${ratio(snappyFrame)}, lz4 ${ratio(lz4Frame)}, zstd ${ratio(zstdFrame)}, gzip ${ratio(gzip)}`,
  );
  const max = plain.length;
  candidate('snappy raw: snappy (napi-rs)', snappy, snappyFrame, plain, snappy && ((b) => snappy.uncompressSync(b, { asBuffer: true })));
  candidate('snappy raw: snappyjs (JS)', snappyjs, snappyFrame, plain, snappyjs && ((b) => snappyjs.uncompress(b, max)));
  candidate('lz4 frame: lz4-napi (napi-rs, lz4_flex)', lz4napi, lz4Frame, plain, lz4napi && ((b) => lz4napi.decompressFrameSync(b)));
  candidate('lz4 frame: lz4js (JS)', lz4js, lz4Frame, plain, lz4js && ((b) => lz4js.decompress(b, max)));
  candidate('zstd: zstd-napi (Node-API, libzstd)', zstdNapi, zstdFrame, plain, zstdNapi && ((b) => zstdNapi.decompress(b)));
  candidate('zstd: fzstd (JS)', fzstd, zstdFrame, plain, fzstd && ((b) => fzstd.decompress(b)));
  candidate('gzip: node:zlib', true, gzip, plain, (b) => gunzipSync(b));
  // What the broker runs: the bound check (a walk over the frame) and the chosen library.
  const chosen: Array<[string, number, Buffer | undefined]> = [
    ['snappy', COMPRESSION_SNAPPY, snappyFrame],
    ['lz4', COMPRESSION_LZ4, lz4Frame],
    ['zstd', COMPRESSION_ZSTD, zstdFrame],
    ['gzip', COMPRESSION_GZIP, gzip],
  ];
  for (const [name, codec, frame] of chosen) {
    candidate(`broker: decompressRecords ${name}`, true, frame, plain, (b) => decompressRecords(codec, b, BROKER_LIMIT));
  }
}

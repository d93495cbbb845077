// CRC-32C throughput: our JavaScript slice-by-8 against the native binding @node-rs/crc32 and
// against `crc32c`, which picks one of the two by size (src/protocol/crc32c.ts).
//
//   npm run bench -- crc [--mib 256] [--batch-bytes 64,256,1024,65536]
//
// For each implementation and batch size it checksums --mib MiB, one call per batch, as recovery
// does (one call per RecordBatch), and prints MB/s of wall time and the CPU seconds it used.

import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { crc32c, crc32cJs } from '../src/protocol/crc32c.ts';

const { values: opts } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    'batch-bytes': { type: 'string', default: '64,256,1024,16384,1048576' },
  },
  strict: true,
});

const totalBytes = Number(opts.mib) * 1024 * 1024;
const batchSizes = opts['batch-bytes']!.split(',').map(Number);
type Crc = (buf: Buffer) => number;
const impls: Record<string, Crc> = {
  'js slice-by-8': (b) => crc32cJs(b, 0, b.length),
  'crc32c (picks)': (b) => crc32c(b, 0, b.length),
};
const require = createRequire(import.meta.url);
const native = require('@node-rs/crc32') as { crc32c(input: Buffer, initial?: number): number };
impls['@node-rs/crc32'] = (b) => native.crc32c(b);
// The two must agree before any number means something.
const probe = Buffer.from('123456789');
if (native.crc32c(probe) >>> 0 !== crc32cJs(probe)) throw new Error('native and JS CRC-32C disagree');

console.log(
  `CRC-32C, ${opts.mib} MiB per case (load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')})`,
);
for (const batchBytes of batchSizes) {
  const buf = Buffer.alloc(Math.max(batchBytes, 1), 0x5a);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131) & 0xff;
  const calls = Math.max(1, Math.floor(totalBytes / batchBytes));
  for (const [name, fn] of Object.entries(impls)) {
    let sink = 0;
    for (let i = 0; i < Math.min(calls, 1000); i++) sink ^= fn(buf); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) sink ^= fn(buf);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const mb = (calls * batchBytes) / 1e6;
    console.log(
      `  ${name.padEnd(16)} batch ${String(batchBytes).padStart(8)} B: ${(mb / wallS).toFixed(0).padStart(6)} MB/s, ${cpuS.toFixed(2)} CPU-s for ${mb.toFixed(0)} MB (${sink & 1})`,
    );
  }
}

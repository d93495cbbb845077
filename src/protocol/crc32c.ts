// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's
// RecordBatch v2. Two implementations that give the same answer:
// - @node-rs/crc32 (SSE4.2/ARMv8 instructions behind N-API): at 1 KiB and more it takes
//   4-5 times less CPU than JavaScript (`npm run bench -- crc --native-from .`), which is
//   most of a restart's recovery CPU and of checking batches on the replication path;
// - a JavaScript slice-by-8 (eight lookup tables, eight bytes per iteration), cheaper
//   below about 200 bytes where the N-API call costs more than the work, and the fallback
//   when the binding cannot load on a platform without a prebuilt binary.

import { createRequire } from 'node:module';

/** Below this many bytes the JavaScript loop is cheaper than a call into the binding (measured crossover 128-192 B). */
const NATIVE_MIN_BYTES = 256;

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

function loadNative(): NativeCrc32c | null {
  try {
    const binding = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: NativeCrc32c };
    return binding.crc32c;
  } catch {
    return null;
  }
}

const native = loadNative();

const POLYNOMIAL_REFLECTED = 0x82f63b78;
const TABLE_COUNT = 8;

function buildTables(): Uint32Array {
  const tables = new Uint32Array(TABLE_COUNT * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REFLECTED : c >>> 1;
    tables[n] = c >>> 0;
  }
  // Table t maps a byte to its CRC contribution when followed by t zero bytes.
  for (let n = 0; n < 256; n++) {
    let c = tables[n];
    for (let t = 1; t < TABLE_COUNT; t++) {
      c = tables[c & 0xff] ^ (c >>> 8);
      tables[t * 256 + n] = c >>> 0;
    }
  }
  return tables;
}

const TABLES = buildTables();

/**
 * CRC-32C of buf[start, end). `seed` is the CRC of the bytes that came before, so
 * `crc32c(b, 0, b.length, crc32c(a))` equals the CRC of a followed by b.
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  if (!(start >= 0 && start <= end && end <= buf.length)) {
    throw new RangeError(`crc32c: bad range [${start}, ${end}) for ${buf.length} bytes`);
  }
  if (native !== null && end - start >= NATIVE_MIN_BYTES) {
    // A view costs about as much as the CRC of 200 bytes: only make one for part of the buffer.
    return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end), seed) >>> 0;
  }
  return crc32cJs(buf, start, end, seed);
}

/** Whether the native binding is in use (for the benchmark and the startup log). */
export const crc32cNative = native !== null;

/** The JavaScript slice-by-8; crc32c's range rules, unchecked. Exported for tests and the benchmark. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const t = TABLES;
  let crc = ~seed;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
    i += 8;
  }
  while (i < end) {
    crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}

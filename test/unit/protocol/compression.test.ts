// Kafka's four codecs, decompressed with a bound (issue 9 item B): real client framing
// (kcat/librdkafka's raw snappy, LZ4 frames and zstd frames; the Java client's xerial snappy
// framing), and hostile data that claims a huge size is refused before anything is allocated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compressSync as snappyCompress } from 'snappy';
import {
  COMPRESSION_GZIP,
  COMPRESSION_LZ4,
  COMPRESSION_SNAPPY,
  COMPRESSION_ZSTD,
  compressRecords,
  decompressRecords,
  DecompressError,
  DecompressLimitError,
  lz4FrameBound,
  snappyDeclaredLength,
  zstdBound,
} from '../../../src/protocol/compression.ts';
import { decodeRecords, RECORDS_OFFSET } from '../../../src/protocol/record-batch.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'kcat-batches');
const MIB = 1024 * 1024;
const CODECS = [COMPRESSION_GZIP, COMPRESSION_SNAPPY, COMPRESSION_LZ4, COMPRESSION_ZSTD];

/** `bytes` bytes of JSON-like text, which every codec compresses. */
function text(bytes: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    parts.push(`{"id":${i},"user":"user-${i % 97}","n":${(i * 7919) % 1000}}`);
    length += parts[parts.length - 1]!.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

function rejectsLimit(fn: () => unknown, limit: number): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DecompressLimitError, `expected DecompressLimitError, got ${String(error)}`);
    assert.equal(error.limitBytes, limit);
    assert.ok(error.boundBytes > limit);
    return true;
  });
}

test('every codec round-trips, at sizes across block boundaries', () => {
  for (const codec of CODECS) {
    for (const size of [0, 1, 1000, 64 * 1024 + 1, 300 * 1024]) {
      const plain = text(size);
      // lz4-napi writes blocks of up to 4 MiB, so its frames' bound is 4 MiB per block.
      const out = decompressRecords(codec, compressRecords(codec, plain), 16 * MIB);
      assert.ok(out.equals(plain), `codec ${codec}, ${size} bytes`);
    }
  }
});

test('batches kcat (librdkafka) compressed decode to their records: the framing Kafka clients use', () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.batch'));
  assert.equal(names.length, 7);
  for (const name of names) {
    const records = decodeRecords(readFileSync(join(FIXTURES, name)));
    assert.equal(records.length, Number(/-(\d+)-records/.exec(name)![1]), name);
    records.forEach((r, i) => {
      assert.equal(r.offset, i);
      assert.equal(r.key?.toString(), `key-${i}`, name);
      assert.match(r.value!.toString(), name.includes('2000') ? new RegExp(`^\\{"id":${i},`) : new RegExp(`^value-${i}-`), name);
    });
  }
});

test("the Java client's xerial snappy framing decodes: header, then length-prefixed raw blocks", () => {
  const parts = [text(40_000), text(25_000), Buffer.from('tail')];
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const chunks = parts.map((part) => {
    const raw = snappyCompress(part);
    const length = Buffer.alloc(4);
    length.writeInt32BE(raw.length);
    return Buffer.concat([length, raw]);
  });
  const xerial = Buffer.concat([header, ...chunks]);
  assert.ok(decompressRecords(COMPRESSION_SNAPPY, xerial, MIB).equals(Buffer.concat(parts)));
  // The declared lengths add up, so the bound is exact and a limit just below refuses.
  rejectsLimit(() => decompressRecords(COMPRESSION_SNAPPY, xerial, 65_003), 65_003);
  assert.throws(() => decompressRecords(COMPRESSION_SNAPPY, xerial.subarray(0, xerial.length - 3), MIB), DecompressError);
});

test('gzip: a bomb stops at the limit (zlib counts as it inflates)', () => {
  const bomb = compressRecords(COMPRESSION_GZIP, Buffer.alloc(20 * MIB));
  assert.ok(bomb.length < 64 * 1024);
  rejectsLimit(() => decompressRecords(COMPRESSION_GZIP, bomb, MIB), MIB);
});

test('snappy: a block declaring 4 GiB is refused from its length prefix, before decoding', () => {
  const huge = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02]);
  assert.equal(snappyDeclaredLength(huge), 2 ** 32 - 1);
  rejectsLimit(() => decompressRecords(COMPRESSION_SNAPPY, huge, 32 * MIB), 32 * MIB);
  assert.throws(() => snappyDeclaredLength(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /longer than 32 bits/);
  // A block that decodes to other than it declares is an error, not a larger buffer.
  const raw = snappyCompress(text(1000));
  const lying = Buffer.concat([Buffer.from([0x64]), raw.subarray(2)]); // declares 100
  assert.throws(() => decompressRecords(COMPRESSION_SNAPPY, lying, MIB), DecompressError);
});

/** xxHash32 of a few bytes (the LZ4 frame header checksum covers 2 to 15 bytes). */
function xxh32Short(bytes: Buffer): number {
  const P1 = 0x9e3779b1;
  const P2 = 0x85ebca77;
  const P3 = 0xc2b2ae3d;
  const P4 = 0x27d4eb2f;
  const P5 = 0x165667b1;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = (P5 + bytes.length) >>> 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) h = Math.imul(rotl((h + Math.imul(bytes.readUInt32LE(i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < bytes.length; i++) h = Math.imul(rotl((h + Math.imul(bytes[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

test('lz4: the bound is blocks x the declared block maximum, and the decoder holds every block to it', () => {
  const plain = text(200_000);
  const frame = Buffer.from(compressRecords(COMPRESSION_LZ4, plain));
  assert.equal((xxh32Short(frame.subarray(4, 6)) >>> 8) & 0xff, frame[6], 'our xxh32 matches the frame header checksum');
  const bound = lz4FrameBound(frame);
  assert.ok(bound >= plain.length && bound < plain.length + 256 * 1024, `bound ${bound}`);
  rejectsLimit(() => decompressRecords(COMPRESSION_LZ4, frame, 150_000), 150_000);
  // A frame that declares 64 KiB blocks but holds a block that decodes to more is refused by
  // the decoder (lz4_flex), so the bound is a real one.
  const lying = Buffer.from(frame);
  lying[5] = 0x40;
  lying[6] = (xxh32Short(lying.subarray(4, 6)) >>> 8) & 0xff;
  const firstBlock = lying.readUInt32LE(7) & 0x7fffffff;
  assert.ok(firstBlock <= 64 * 1024, `the first block (${firstBlock} bytes) must fit the new maximum so only its output is too large`);
  assert.throws(() => decompressRecords(COMPRESSION_LZ4, lying, 16 * MIB), /lz4: .*OutputTooSmall/);
});

test('lz4: a frame of many tiny blocks claiming 64 KiB each is refused without decoding', () => {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0]);
  header[6] = (xxh32Short(header.subarray(4, 6)) >>> 8) & 0xff;
  const block = Buffer.from([2, 0, 0, 0, 0x10, 0x61]); // 2 bytes: one literal "a"
  const frame = Buffer.concat([header, ...Array.from({ length: 1000 }, () => block), Buffer.alloc(4)]);
  assert.equal(lz4FrameBound(frame), 1000 * 64 * 1024);
  rejectsLimit(() => decompressRecords(COMPRESSION_LZ4, frame, 32 * MIB), 32 * MIB);
  assert.equal(decompressRecords(COMPRESSION_LZ4, frame, 64 * MIB).toString(), 'a'.repeat(1000));
});

/** A zstd frame (no content size, 1 MiB window) of raw and RLE blocks, built by hand from the format. */
function zstdFrame(blocks: Array<{ type: 'raw'; data: Buffer } | { type: 'rle'; byte: number; size: number }>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])];
  blocks.forEach((block, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const size = block.type === 'raw' ? block.data.length : block.size;
    const header = last | ((block.type === 'raw' ? 0 : 1) << 1) | (size << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]));
    parts.push(block.type === 'raw' ? block.data : Buffer.from([block.byte]));
  });
  return Buffer.concat(parts);
}

test('zstd: raw and RLE blocks count their exact size, compressed blocks 128 KiB', () => {
  const frame = zstdFrame([
    { type: 'raw', data: Buffer.from('hello ') },
    { type: 'rle', byte: 0x7a, size: 5 },
  ]);
  assert.equal(zstdBound(frame), 11);
  assert.equal(decompressRecords(COMPRESSION_ZSTD, frame, 11).toString(), 'hello zzzzz');
  const compressed = compressRecords(COMPRESSION_ZSTD, text(300_000));
  const bound = zstdBound(compressed);
  assert.ok(bound >= 300_000 && bound % (128 * 1024) === 0, `bound ${bound}`);
  // Two frames in a row (and a skippable frame) decode as their concatenation.
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const two = Buffer.concat([frame, skippable, compressRecords(COMPRESSION_ZSTD, Buffer.from('!'))]);
  assert.equal(decompressRecords(COMPRESSION_ZSTD, two, MIB).toString(), 'hello zzzzz!');
});

test('zstd: RLE blocks claiming 128 KiB each from one byte are refused without decoding', () => {
  const bomb = zstdFrame(Array.from({ length: 300 }, () => ({ type: 'rle' as const, byte: 0, size: 128 * 1024 })));
  assert.ok(bomb.length < 2000);
  rejectsLimit(() => decompressRecords(COMPRESSION_ZSTD, bomb, 32 * MIB), 32 * MIB);
  assert.equal(decompressRecords(COMPRESSION_ZSTD, bomb, 40 * MIB).length, 300 * 128 * 1024);
});

test('malformed framing is a DecompressError naming the codec', () => {
  assert.throws(() => decompressRecords(COMPRESSION_LZ4, Buffer.from('not lz4 at all'), MIB), /lz4: not an LZ4 frame/);
  assert.throws(() => decompressRecords(COMPRESSION_ZSTD, Buffer.from('not zstd at all'), MIB), /zstd: not a Zstandard frame/);
  assert.throws(() => decompressRecords(COMPRESSION_ZSTD, Buffer.alloc(0), MIB), /zstd: no frame/);
  assert.throws(() => decompressRecords(COMPRESSION_GZIP, Buffer.from('not gzip'), MIB), /gzip:/);
  assert.throws(() => decompressRecords(COMPRESSION_SNAPPY, Buffer.alloc(0), MIB), /snappy:/);
  assert.throws(() => decompressRecords(7, Buffer.alloc(10), MIB), /unknown compression codec 7/);
});

test('truncated and mutated kcat batches never throw anything but DecompressError or DecompressLimitError', () => {
  const rng = new SeededRng(9);
  const codecOf: Record<string, number> = { gzip: COMPRESSION_GZIP, snappy: COMPRESSION_SNAPPY, lz4: COMPRESSION_LZ4, zstd: COMPRESSION_ZSTD };
  for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.batch'))) {
    const codec = codecOf[name.split('-')[0]!]!;
    const data = readFileSync(join(FIXTURES, name)).subarray(RECORDS_OFFSET);
    for (let round = 0; round < 150; round++) {
      const mutated = Buffer.from(data.subarray(0, rng.chance(0.3) ? rng.int(0, data.length) : data.length));
      for (let flips = rng.int(0, 4); flips > 0 && mutated.length > 0; flips--) mutated[rng.int(0, mutated.length - 1)] = rng.int(0, 255);
      try {
        const out = decompressRecords(codec, mutated, 4 * MIB);
        assert.ok(out.length <= 4 * MIB);
      } catch (error) {
        assert.ok(error instanceof DecompressError || error instanceof DecompressLimitError, `${name} round ${round}: ${String(error)}`);
      }
    }
  }
});

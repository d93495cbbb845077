// Decompressing the records section of a RecordBatch v2, in all four of Kafka's codecs, with an
// upper bound on the output so a hostile batch cannot make the broker allocate without limit.
//
// Before a library runs, a cheap walk over the compressed data's framing finds the most it can
// decode to; above the caller's limit nothing is decompressed (DecompressLimitError). Each format
// makes that bound exact or tight, and each library enforces it:
//   gzip    node:zlib with maxOutputLength (zlib stops at the limit by itself);
//   snappy  raw snappy (librdkafka) or the xerial/snappy-java framing (the Java client: magic
//           "\x82SNAPPY\0", two int32 versions, then [int32 length, raw snappy block]...);
//           every raw block starts with its exact uncompressed length as a varint, which the
//           decoder must produce exactly;
//   lz4     the LZ4 frame format (magic 0x184D2204): every block decodes to at most the block
//           maximum size the frame header declares (64 KiB .. 4 MiB), which the decoder enforces;
//   zstd    Zstandard frames: every block decodes to at most 128 KiB (Block_Maximum_Size); the
//           frame is decoded in one pass into a buffer of exactly the bound, so the decoder
//           can neither write more nor allocate a window of the frame's choosing.
// Libraries, measured by `npm run bench -- codecs` (docs/benchmarks.md): zstd-napi binds libzstd,
// the reference decoder, several times faster than the pure-JS fzstd (it builds libzstd at
// install, as better-sqlite3 builds SQLite). For snappy and lz4 the napi-rs bindings (snappy,
// lz4-napi; Rust's snap and lz4_flex, prebuilt as npm packages) were no faster than the pure-JS
// snappyjs and lz4js on our machine, but they reject malformed input where those two write
// silently past or short of their output, and lz4js has had no release since 2017.
//
// This file imports nothing of ours outside src/protocol.

import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync as lz4CompressFrame, decompressFrameSync as lz4DecompressFrame } from 'lz4-napi';
import { compress as zstdCompress } from 'zstd-napi';

const require = createRequire(import.meta.url);
// zstd-napi's low-level binding is a CommonJS native module without static named exports.
const zstd = require('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');

// Kafka's codec ids (RecordBatch attributes bits 0-2); record-batch.ts re-exports them.
export const COMPRESSION_NONE = 0;
export const COMPRESSION_GZIP = 1;
export const COMPRESSION_SNAPPY = 2;
export const COMPRESSION_LZ4 = 3;
export const COMPRESSION_ZSTD = 4;

/** The compressed data is malformed (or in a codec Kafka does not define). */
export class DecompressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressError';
  }
}

/** The data would decompress to more than the caller allows; nothing was decompressed. */
export class DecompressLimitError extends Error {
  constructor(
    readonly boundBytes: number,
    readonly limitBytes: number,
  ) {
    super(`the records would decompress to up to ${boundBytes} bytes, more than the limit of ${limitBytes}`);
    this.name = 'DecompressLimitError';
  }
}

/**
 * Decompresses a batch's records section (the bytes after the 61-byte header) compressed with
 * `codec`, refusing before any work when the output could exceed `outputBytesMax`.
 */
export function decompressRecords(codec: number, data: Uint8Array, outputBytesMax: number): Buffer {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (codec) {
    case COMPRESSION_GZIP:
      return gunzipBounded(input, outputBytesMax);
    case COMPRESSION_SNAPPY:
      return snappyBounded(input, outputBytesMax);
    case COMPRESSION_LZ4:
      return lz4Bounded(input, outputBytesMax);
    case COMPRESSION_ZSTD:
      return zstdBounded(input, outputBytesMax);
    default:
      throw new DecompressError(`unknown compression codec ${codec}`);
  }
}

/**
 * Compresses a records section as Kafka clients do (for buildRecordBatch: our SDK and tests):
 * raw snappy and an LZ4 frame, like librdkafka.
 */
export function compressRecords(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case COMPRESSION_GZIP:
      return gzipSync(data);
    case COMPRESSION_SNAPPY:
      return snappyCompress(data);
    case COMPRESSION_LZ4:
      return lz4CompressFrame(data);
    case COMPRESSION_ZSTD:
      return zstdCompress(data);
    default:
      throw new Error(`unknown compression codec ${codec}`);
  }
}

function checkBound(bound: number, limit: number): void {
  if (bound > limit) throw new DecompressLimitError(bound, limit);
}

/** Runs a library's decoder, turning its errors (anything but ours) into DecompressError. */
function decode<T>(codecName: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DecompressError || error instanceof DecompressLimitError) throw error;
    throw new DecompressError(`${codecName}: ${(error as Error).message}`);
  }
}

// ---- gzip

function gunzipBounded(input: Buffer, limit: number): Buffer {
  try {
    return gunzipSync(input, { maxOutputLength: Math.max(1, limit) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressLimitError(limit + 1, limit);
    throw new DecompressError(`gzip: ${(error as Error).message}`);
  }
}

// ---- snappy

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, version and compatible version. */
const XERIAL_HEADER_BYTES = 16;

/** The uncompressed length a raw snappy block declares (its leading little-endian varint). */
export function snappyDeclaredLength(block: Buffer): number {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new DecompressError('snappy: the block ends inside its length');
    const b = block[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return length;
  }
  throw new DecompressError('snappy: the block length is longer than 32 bits');
}

/** The raw snappy blocks of a batch: the whole input, or the chunks of the xerial framing. */
function snappyBlocks(input: Buffer): Buffer[] {
  if (input.length < XERIAL_HEADER_BYTES || !input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) return [input];
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_BYTES;
  while (pos < input.length) {
    if (pos + 4 > input.length) throw new DecompressError('snappy (xerial): a chunk length is cut off');
    const length = input.readInt32BE(pos);
    pos += 4;
    if (length < 0 || pos + length > input.length) throw new DecompressError(`snappy (xerial): a chunk of ${length} bytes runs past the end`);
    blocks.push(input.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

function snappyBounded(input: Buffer, limit: number): Buffer {
  const blocks = snappyBlocks(input);
  let bound = 0;
  for (const block of blocks) bound += snappyDeclaredLength(block);
  checkBound(bound, limit);
  const parts = blocks.map((block) => decode('snappy', () => snappyUncompress(block, { asBuffer: true }) as Buffer));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// ---- lz4

const LZ4_MAGIC = 0x184d2204;
/** Block maximum sizes by the BD byte's bits 4-6 (values below 4 are reserved). */
const LZ4_BLOCK_BYTES_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/**
 * The most an LZ4 frame can decode to: its blocks' maximum size for each compressed block, and
 * the size of each stored one. Walks the first frame only, as the decoder reads only that one.
 */
export function lz4FrameBound(input: Buffer): number {
  const fail = (why: string): never => {
    throw new DecompressError(`lz4: ${why}`);
  };
  if (input.length < 7 || input.readUInt32LE(0) !== LZ4_MAGIC) fail('not an LZ4 frame (bad magic number)');
  const flg = input[4]!;
  const bd = input[5]!;
  if (flg >> 6 !== 1) fail(`frame version ${flg >> 6}, not 1`);
  const blockMax = LZ4_BLOCK_BYTES_MAX[(bd >> 4) & 0x07] ?? fail(`reserved block size ${(bd >> 4) & 0x07}`);
  const blockChecksum = (flg & 0x10) !== 0;
  let pos = 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1;
  let bound = 0;
  for (;;) {
    if (pos + 4 > input.length) fail('the frame ends before its end mark');
    const word = input.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    const stored = word >>> 31 === 1;
    if (size > blockMax) fail(`a block of ${size} bytes is larger than the frame's block maximum ${blockMax}`);
    pos += size + (blockChecksum ? 4 : 0);
    if (pos > input.length) fail('a block runs past the end');
    bound += stored ? size : blockMax;
  }
  return bound;
}

function lz4Bounded(input: Buffer, limit: number): Buffer {
  checkBound(lz4FrameBound(input), limit);
  return decode('lz4', () => lz4DecompressFrame(input));
}

// ---- zstd

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
/** Block_Maximum_Size of the format: no block decodes to more. */
const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;
const ZSTD_BLOCK_RAW = 0;
const ZSTD_BLOCK_RLE = 1;
const ZSTD_BLOCK_RESERVED = 3;

/** The most a sequence of zstd frames (skippable ones included) can decode to. */
export function zstdBound(input: Buffer): number {
  const fail = (why: string): never => {
    throw new DecompressError(`zstd: ${why}`);
  };
  let pos = 0;
  let bound = 0;
  if (input.length === 0) fail('no frame');
  while (pos < input.length) {
    if (pos + 4 > input.length) fail('trailing bytes after the last frame');
    const magic = input.readUInt32LE(pos);
    pos += 4;
    if ((magic & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
      if (pos + 4 > input.length) fail('a skippable frame is cut off');
      pos += 4 + input.readUInt32LE(pos);
      if (pos > input.length) fail('a skippable frame runs past the end');
      continue;
    }
    if (magic !== ZSTD_MAGIC) fail('not a Zstandard frame (bad magic number)');
    if (pos >= input.length) fail('the frame header is cut off');
    const fhd = input[pos++]!;
    if ((fhd & 0x08) !== 0) fail('reserved bit set in the frame header');
    const singleSegment = (fhd & 0x20) !== 0;
    const fcsFlag = fhd >> 6;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    const dictBytes = [0, 1, 2, 4][fhd & 0x03]!;
    pos += (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
    for (let last = false; !last; ) {
      if (pos + 3 > input.length) fail('the frame ends before its last block');
      const header = input[pos]! | (input[pos + 1]! << 8) | (input[pos + 2]! << 16);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 0x03;
      const size = header >>> 3;
      if (type === ZSTD_BLOCK_RESERVED) fail('reserved block type');
      if (size > ZSTD_BLOCK_BYTES_MAX) fail(`a block of ${size} bytes is larger than ${ZSTD_BLOCK_BYTES_MAX}`);
      pos += type === ZSTD_BLOCK_RLE ? 1 : size;
      if (pos > input.length) fail('a block runs past the end');
      bound += type === ZSTD_BLOCK_RAW || type === ZSTD_BLOCK_RLE ? size : ZSTD_BLOCK_BYTES_MAX;
    }
    if ((fhd & 0x04) !== 0) pos += 4;
    if (pos > input.length) fail('the frame checksum is cut off');
  }
  return bound;
}

let zstdContext: InstanceType<typeof zstd.DCtx> | undefined;
/**
 * Frames whose bound fits are decoded here and copied out at their real size: the bound is
 * 128 KiB per block, often several times the output, and allocating it per call costs more
 * than the decoding for small batches. Larger frames get a buffer of their own.
 */
const ZSTD_SCRATCH_BYTES = 1024 * 1024;
let zstdScratch: Buffer | undefined;

function zstdBounded(input: Buffer, limit: number): Buffer {
  const bound = zstdBound(input);
  checkBound(bound, limit);
  // One context for every call: the broker decompresses on its one thread, one batch at a time.
  zstdContext ??= new zstd.DCtx();
  const context = zstdContext;
  if (bound > ZSTD_SCRATCH_BYTES) {
    const out = Buffer.allocUnsafe(bound);
    return out.subarray(
      0,
      decode('zstd', () => context.decompress(out, input)),
    );
  }
  zstdScratch ??= Buffer.allocUnsafe(ZSTD_SCRATCH_BYTES);
  const scratch = zstdScratch;
  const written = decode('zstd', () => context.decompress(scratch.subarray(0, bound), input));
  return Buffer.from(scratch.subarray(0, written));
}

// Kafka wire primitives: a bounds-checked Reader and a growable Writer.
//
// Every read checks that the bytes it needs are present before touching them, and no
// read allocates memory sized by a length prefix it has not first compared with the
// bytes actually remaining. A hostile 2 GB length therefore costs nothing but an
// exception. Big-endian everywhere, as the protocol guide requires.

/** Raised for every malformed input: truncation, bad lengths, out-of-range values. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

const TWO_POW_32 = 4294967296;
// The high 32-bit word of an int64 that still fits in a safe JS integer.
const INT64_SAFE_HIGH_MAX = 0x1fffff; // 2^21 - 1
const INT64_SAFE_HIGH_MIN = -0x200000; // -2^21 (only with a non-zero low word)

/** An unsigned varint holds at most 32 bits, so at most 5 bytes. */
const UVARINT_BYTES_MAX = 5;
/** A varlong holds at most 64 bits, so at most 10 bytes. */
const UVARLONG_BYTES_MAX = 10;

const ZERO_UUID_BYTES = 16;

export class Reader {
  readonly buf: Buffer;
  /** Absolute position of the next byte to read in `buf`. */
  offset: number;
  /** Absolute end (exclusive) of the readable window in `buf`. */
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new RangeError(`Reader window ${offset}..${end} outside buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `n` more bytes are available; returns the start position. */
  private take(n: number, what: string): number {
    const start = this.offset;
    if (n > this.end - start) {
      throw new DecodeError(`truncated ${what}: need ${n} bytes at offset ${start}, have ${this.end - start}`);
    }
    this.offset = start + n;
    return start;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1, 'int8'));
  }

  uint8(): number {
    return this.buf[this.take(1, 'uint8')]!;
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2, 'int16'));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.take(2, 'uint16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4, 'int32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.take(4, 'uint32'));
  }

  /** int64 as a JS number; values outside the safe-integer range are a DecodeError. */
  int64(): number {
    const at = this.take(8, 'int64');
    const high = this.buf.readInt32BE(at);
    const low = this.buf.readUInt32BE(at + 4);
    if (high > INT64_SAFE_HIGH_MAX || high < INT64_SAFE_HIGH_MIN || (high === INT64_SAFE_HIGH_MIN && low === 0)) {
      throw new DecodeError(`int64 at offset ${at} is outside the safe integer range`);
    }
    return high * TWO_POW_32 + low;
  }

  float64(): number {
    return this.buf.readDoubleBE(this.take(8, 'float64'));
  }

  /** Kafka booleans are one byte; any non-zero value reads as true (as Kafka does). */
  bool(): boolean {
    return this.buf[this.take(1, 'bool')] !== 0;
  }

  /** Unsigned LEB128 varint of at most 32 bits. */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.offset;
    let value = 0;
    for (let i = 0; i < UVARINT_BYTES_MAX; i++) {
      if (pos >= this.end) throw new DecodeError(`truncated varint at offset ${this.offset}`);
      const byte = buf[pos++]!;
      if (i === UVARINT_BYTES_MAX - 1 && byte > 0x0f) {
        throw new DecodeError(`varint at offset ${this.offset} exceeds 32 bits`);
      }
      value += (byte & 0x7f) * 2 ** (7 * i);
      if (byte < 0x80) {
        this.offset = pos;
        return value;
      }
    }
    throw new DecodeError(`varint at offset ${this.offset} is longer than ${UVARINT_BYTES_MAX} bytes`);
  }

  /** Zigzag-encoded signed varint (int32). */
  varint(): number {
    const n = this.uvarint();
    // n < 2^32, so `>>> 1` and the sign mask give back the exact int32.
    return (n >>> 1) ^ -(n & 1);
  }

  /** Zigzag-encoded signed varlong as a JS number; unsafe magnitudes are a DecodeError. */
  varlong(): number {
    const buf = this.buf;
    const start = this.offset;
    let pos = start;
    // Fast path: up to four bytes fit in 28 bits and need no BigInt.
    let small = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= this.end) throw new DecodeError(`truncated varlong at offset ${start}`);
      const byte = buf[pos++]!;
      small |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        this.offset = pos;
        return (small >>> 1) ^ -(small & 1);
      }
    }
    let big = BigInt(small);
    for (let i = 4; i < UVARLONG_BYTES_MAX; i++) {
      if (pos >= this.end) throw new DecodeError(`truncated varlong at offset ${start}`);
      const byte = buf[pos++]!;
      big |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) {
        if (big >= 1n << 64n) throw new DecodeError(`varlong at offset ${start} exceeds 64 bits`);
        const signed = (big >> 1n) ^ -(big & 1n);
        if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DecodeError(`varlong at offset ${start} is outside the safe integer range`);
        }
        this.offset = pos;
        return Number(signed);
      }
    }
    throw new DecodeError(`varlong at offset ${start} is longer than ${UVARLONG_BYTES_MAX} bytes`);
  }

  /** A raw view of the next `n` bytes (no copy). */
  raw(n: number): Buffer {
    if (n < 0) throw new DecodeError(`negative length ${n}`);
    const at = this.take(n, 'bytes');
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    if (n < 0) throw new DecodeError(`negative skip ${n}`);
    this.take(n, 'skipped bytes');
  }

  private utf8(n: number): string {
    const at = this.take(n, 'string');
    return this.buf.toString('utf8', at, at + n);
  }

  /** STRING: int16 length, then UTF-8 bytes. */
  string(): string {
    const n = this.int16();
    if (n < 0) throw new DecodeError(`negative string length ${n}`);
    return this.utf8(n);
  }

  /** NULLABLE_STRING: int16 length (-1 = null), then UTF-8 bytes. */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new DecodeError(`invalid string length ${n}`);
    return this.utf8(n);
  }

  /** COMPACT_STRING: unsigned varint length+1, then UTF-8 bytes. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new DecodeError('null compact string where a string is required');
    return this.utf8(n - 1);
  }

  /** COMPACT_NULLABLE_STRING: unsigned varint length+1 (0 = null). */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  /** BYTES: int32 length, then bytes (a view, not a copy). */
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new DecodeError(`negative bytes length ${n}`);
    return this.raw(n);
  }

  /** NULLABLE_BYTES: int32 length (-1 = null). */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new DecodeError(`invalid bytes length ${n}`);
    return this.raw(n);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new DecodeError('null compact bytes where bytes are required');
    return this.raw(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }

  /** UUID: 16 raw bytes, returned as a copy so it outlives the request buffer. */
  uuid(): Buffer {
    const at = this.take(ZERO_UUID_BYTES, 'uuid');
    return Buffer.from(this.buf.subarray(at, at + ZERO_UUID_BYTES));
  }

  /**
   * ARRAY length (int32, -1 = null). The count is checked against the remaining bytes:
   * every element occupies at least `elementBytesMin` bytes (at least 1), so a larger
   * count cannot be genuine and is rejected before anything is allocated.
   */
  arrayLength(elementBytesMin = 1): number | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new DecodeError(`invalid array length ${n}`);
    this.checkCount(n, elementBytesMin);
    return n;
  }

  /** COMPACT_ARRAY length (unsigned varint N+1, 0 = null), checked as in arrayLength. */
  compactArrayLength(elementBytesMin = 1): number | null {
    const n = this.uvarint();
    if (n === 0) return null;
    this.checkCount(n - 1, elementBytesMin);
    return n - 1;
  }

  private checkCount(count: number, elementBytesMin: number): void {
    const min = Math.max(elementBytesMin, 1);
    if (count * min > this.end - this.offset) {
      throw new DecodeError(`array of ${count} elements (≥ ${min} bytes each) exceeds the ${this.end - this.offset} remaining bytes`);
    }
  }

  /** int32-counted array of elements read by `item` (null when nullable and -1). */
  array<T>(item: (r: Reader) => T, elementBytesMin = 1): T[] | null {
    const n = this.arrayLength(elementBytesMin);
    if (n === null) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  compactArray<T>(item: (r: Reader) => T, elementBytesMin = 1): T[] | null {
    const n = this.compactArrayLength(elementBytesMin);
    if (n === null) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /**
   * A tagged-field section. `onTag` is called for each field with a Reader bounded to
   * that field's bytes and returns true if it understood the tag; unknown tags are
   * skipped, as KIP-482 requires. Tags must be strictly ascending.
   */
  taggedFields(onTag?: (tag: number, field: Reader) => boolean): void {
    this.taggedFieldsInto(undefined, onTag === undefined ? undefined : (_o, tag, field) => onTag(tag, field));
  }

  /**
   * As taggedFields, passing `target` through to `onTag` so the compiled decoders need
   * no closure per decoded struct.
   */
  taggedFieldsInto<O>(target: O, onTag?: (target: O, tag: number, field: Reader) => boolean): void {
    const count = this.uvarint();
    // Each tagged field needs at least two bytes (tag and size).
    this.checkCount(count, 2);
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= previous) throw new DecodeError(`tagged field ${tag} out of order after ${previous}`);
      previous = tag;
      const size = this.uvarint();
      const at = this.take(size, `tagged field ${tag}`);
      if (onTag !== undefined) onTag(target, tag, new Reader(this.buf, at, at + size));
    }
  }
}

/** Buffers at least this large are referenced, not copied, by Writer.rawRef. */
// Below this size a copy is cheaper than an extra slice; above it, referencing keeps the
// writer's own buffer small so it never regrows around record bytes (bench/codec.ts:
// 10 × 1 KiB Fetch partitions encode about 3× faster referenced than copied).
const WRITER_REF_BYTES_MIN = 256;
const WRITER_INITIAL_BYTES = 256;

/**
 * A growable big-endian writer. Large payloads (RecordBatch bytes in Fetch responses)
 * can be appended by reference: the writer keeps a list of slices and concatenates them
 * once in toBuffer(), so each record byte is copied exactly once.
 */
export class Writer {
  private buf: Buffer;
  /** Next write position in `buf`. */
  private pos = 0;
  /** Start in `buf` of the bytes not yet handed to `chunks`. */
  private chunkStart = 0;
  /** Finished slices, in order, before buf[chunkStart..pos). */
  private chunks: Buffer[] = [];
  private chunksBytes = 0;

  constructor(initialBytes = WRITER_INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunksBytes + this.pos - this.chunkStart;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Bytes before chunkStart already belong to slices in `chunks`; only the open
    // segment moves to the new allocation.
    const open = this.pos - this.chunkStart;
    let size = Math.max(this.buf.length * 2, WRITER_INITIAL_BYTES);
    while (size < open + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.chunkStart, this.pos);
    this.buf = next;
    this.chunkStart = 0;
    this.pos = open;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** int64 from a JS number; it must be a safe integer. */
  int64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 value ${v} is not a safe integer`);
    const high = Math.floor(v / TWO_POW_32);
    const low = v - high * TWO_POW_32;
    this.ensure(8);
    this.buf.writeInt32BE(high, this.pos);
    this.buf.writeUInt32BE(low, this.pos + 4);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  /** Unsigned varint of a uint32. */
  uvarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uvarint value ${v} out of range`);
    this.ensure(UVARINT_BYTES_MAX);
    const buf = this.buf;
    let pos = this.pos;
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
    this.pos = pos;
    return this;
  }

  /** Zigzag varint of an int32. */
  varint(v: number): this {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new RangeError(`varint value ${v} out of range`);
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag varlong of a safe-integer JS number. */
  varlong(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`varlong value ${v} is not a safe integer`);
    if (v >= -1073741824 && v <= 1073741823) return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
    const big = BigInt(v);
    let z = (big << 1n) ^ (big >> 63n);
    if (z < 0n) z += 1n << 64n;
    this.ensure(UVARLONG_BYTES_MAX);
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
    return this;
  }

  /** Copies `b` into the writer. */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /**
   * Appends `b` without copying it now when it is large: the current buffer is closed
   * as a slice, `b` is kept by reference and copied once in toBuffer(). The caller must
   * not modify `b` until then.
   */
  rawRef(b: Buffer): this {
    if (b.length < WRITER_REF_BYTES_MIN) return this.raw(b);
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.chunksBytes += this.pos - this.chunkStart;
      // Later bytes go on into the unused tail of the same allocation.
      this.chunkStart = this.pos;
    }
    this.chunks.push(b);
    this.chunksBytes += b.length;
    return this;
  }

  private utf8Body(s: string, n: number): void {
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0x7fff) throw new RangeError(`string of ${n} bytes is too long for an int16 length`);
    this.int16(n);
    this.utf8Body(s, n);
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.utf8Body(s, n);
    return this;
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }

  bytes(b: Uint8Array): this {
    this.int32(b.length);
    return this.raw(b);
  }

  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.bytes(b);
  }

  compactBytes(b: Uint8Array): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.uvarint(0);
    return this.compactBytes(b);
  }

  uuid(b: Uint8Array): this {
    if (b.length !== ZERO_UUID_BYTES) throw new RangeError(`uuid must be 16 bytes, got ${b.length}`);
    return this.raw(b);
  }

  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }

  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }

  /** An empty tagged-field section. */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  /** All bytes written, as one Buffer (concatenated once if slices were referenced). */
  toBuffer(): Buffer {
    const open = this.buf.subarray(this.chunkStart, this.pos);
    if (this.chunks.length === 0) return open;
    const parts = open.length > 0 ? [...this.chunks, open] : this.chunks;
    return Buffer.concat(parts, this.length);
  }

  /** All bytes written, as the list of slices (for socket.writev / cork without a concat). */
  toBuffers(): Buffer[] {
    const open = this.buf.subarray(this.chunkStart, this.pos);
    return open.length > 0 ? [...this.chunks, open] : [...this.chunks];
  }
}

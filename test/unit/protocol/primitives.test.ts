// Kafka wire primitives: the protocol guide's "Protocol Primitive Types" section.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, Reader, Writer } from '../../../src/protocol/primitives.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

test('UNSIGNED_VARINT: LEB128 encodings at each byte-length boundary', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 21 - 1, 'ffff7f'],
    [2 ** 28 - 1, 'ffffff7f'],
    [2 ** 28, '8080808001'],
    [0xffffffff, 'ffffffff0f'],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(new Writer().uvarint(value).toBuffer().toString('hex'), bytes, `encode ${value}`);
    const r = new Reader(hex(bytes));
    assert.equal(r.uvarint(), value, `decode ${bytes}`);
    assert.equal(r.remaining, 0);
  }
});

test('UNSIGNED_VARINT: more than 32 bits, over-long and truncated encodings are DecodeErrors', () => {
  assert.throws(() => new Reader(hex('ffffffff1f')).uvarint(), DecodeError); // 33 bits
  assert.throws(() => new Reader(hex('8080808080')).uvarint(), DecodeError); // 5 bytes with continuation
  assert.throws(() => new Reader(hex('80')).uvarint(), DecodeError); // truncated
  assert.throws(() => new Reader(Buffer.alloc(0)).uvarint(), DecodeError);
});

test('VARINT: zigzag maps 0,-1,1,-2,... to 0,1,2,3,... and round-trips the int32 extremes', () => {
  const cases: [number, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [value, bytes] of cases) {
    assert.equal(new Writer().varint(value).toBuffer().toString('hex'), bytes, `encode ${value}`);
    assert.equal(new Reader(hex(bytes)).varint(), value, `decode ${bytes}`);
  }
  assert.throws(() => new Writer().varint(2147483648), RangeError);
});

test('VARLONG: zigzag 64-bit round-trips across the fast/slow path boundary and the safe range', () => {
  const values = [
    0,
    -1,
    1,
    2 ** 27 - 1,
    -(2 ** 27),
    2 ** 27,
    2 ** 30,
    -(2 ** 30) - 1,
    2 ** 31,
    -(2 ** 31),
    2 ** 40 + 5,
    -(2 ** 45) - 3,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    1_700_000_000_000,
  ];
  for (const v of values) {
    const buf = new Writer().varlong(v).toBuffer();
    const r = new Reader(buf);
    assert.equal(r.varlong(), v, `varlong ${v}`);
    assert.equal(r.remaining, 0);
  }
  // zigzag(-1) = 1 and zigzag(1) = 2, whatever the width.
  assert.equal(new Writer().varlong(-1).toBuffer().toString('hex'), '01');
  // Eight continuation bytes then 0x40: zigzag value 2^62, i.e. 2^61, not a safe integer.
  const big = hex('8080808080808080' + '40');
  assert.throws(() => new Reader(big).varlong(), DecodeError);
  assert.throws(() => new Reader(hex('ffffffffffffffffff7f')).varlong(), DecodeError); // > 64 bits
  assert.throws(() => new Reader(hex('ffffffffff')).varlong(), DecodeError); // truncated
  assert.throws(() => new Writer().varlong(2 ** 53), RangeError);
});

test('INT64: read as a JS number; outside the safe-integer range is a DecodeError', () => {
  const values = [0, -1, 1, 2 ** 32, -(2 ** 32), 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -1_000_000_000_123];
  for (const v of values) {
    const b = new Writer().int64(v).toBuffer();
    assert.equal(b.readBigInt64BE(0), BigInt(v), `bytes of ${v}`);
    assert.equal(new Reader(b).int64(), v);
  }
  const tooBig = Buffer.alloc(8);
  tooBig.writeBigInt64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n);
  assert.throws(() => new Reader(tooBig).int64(), DecodeError);
  const tooSmall = Buffer.alloc(8);
  tooSmall.writeBigInt64BE(BigInt(Number.MIN_SAFE_INTEGER) - 1n);
  assert.throws(() => new Reader(tooSmall).int64(), DecodeError);
  tooSmall.writeBigInt64BE(-(2n ** 63n));
  assert.throws(() => new Reader(tooSmall).int64(), DecodeError);
  assert.throws(() => new Writer().int64(2 ** 60), RangeError);
});

test('fixed-width integers, float64 and bool are big-endian and bounds-checked', () => {
  const w = new Writer(1); // forces growth
  w.int8(-5).uint8(250).int16(-300).uint16(65000).int32(-70000).uint32(4000000000).float64(1.5).bool(true).bool(false);
  const b = w.toBuffer();
  assert.equal(b.toString('hex'), 'fbfa' + 'fed4' + 'fde8' + 'fffeee90' + 'ee6b2800' + '3ff8000000000000' + '01' + '00');
  const r = new Reader(b);
  assert.deepEqual(
    [r.int8(), r.uint8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.float64(), r.bool(), r.bool()],
    [-5, 250, -300, 65000, -70000, 4000000000, 1.5, true, false],
  );
  assert.equal(r.remaining, 0);
  for (const read of [(x: Reader) => x.int8(), (x: Reader) => x.int16(), (x: Reader) => x.int32(), (x: Reader) => x.int64(), (x: Reader) => x.float64()]) {
    assert.throws(() => read(new Reader(Buffer.alloc(0))), DecodeError);
  }
  assert.throws(() => new Reader(Buffer.alloc(3)).int32(), DecodeError);
});

test('STRING / NULLABLE_STRING: int16 length; -1 is null only where nullable', () => {
  const w = new Writer().string('héllo').nullableString(null).nullableString('');
  const b = w.toBuffer();
  assert.equal(b.toString('hex'), `0006${Buffer.from('héllo').toString('hex')}ffff0000`);
  const r = new Reader(b);
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.equal(r.nullableString(), '');
  assert.throws(() => new Reader(hex('ffff')).string(), DecodeError); // null where not nullable
  assert.throws(() => new Reader(hex('fffe')).nullableString(), DecodeError); // -2
  assert.throws(() => new Reader(hex('0005616263')).string(), DecodeError); // truncated
});

test('COMPACT_STRING / COMPACT_NULLABLE_STRING: unsigned varint length+1, 0 = null (KIP-482)', () => {
  const b = new Writer().compactString('abc').compactNullableString(null).compactString('').toBuffer();
  assert.equal(b.toString('hex'), '04616263' + '00' + '01');
  const r = new Reader(b);
  assert.equal(r.compactString(), 'abc');
  assert.equal(r.compactNullableString(), null);
  assert.equal(r.compactString(), '');
  assert.throws(() => new Reader(hex('00')).compactString(), DecodeError);
  assert.throws(() => new Reader(hex('0a6162')).compactString(), DecodeError);
});

test('BYTES / COMPACT_BYTES: lengths, null, and views without copying', () => {
  const payload = Buffer.from([1, 2, 3]);
  const b = new Writer().bytes(payload).nullableBytes(null).compactBytes(payload).compactNullableBytes(null).toBuffer();
  assert.equal(b.toString('hex'), '00000003010203' + 'ffffffff' + '04010203' + '00');
  const r = new Reader(b);
  const first = r.bytes();
  assert.deepEqual([...first], [1, 2, 3]);
  assert.equal(first.buffer, b.buffer, 'bytes are a view of the input');
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual([...r.compactBytes()], [1, 2, 3]);
  assert.equal(r.compactNullableBytes(), null);
  assert.throws(() => new Reader(hex('ffffffff')).bytes(), DecodeError);
  assert.throws(() => new Reader(hex('fffffffe')).nullableBytes(), DecodeError);
});

test('UUID: 16 raw bytes; a short input is a DecodeError', () => {
  const id = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const b = new Writer().uuid(id).toBuffer();
  assert.deepEqual(new Reader(b).uuid(), id);
  assert.throws(() => new Reader(Buffer.alloc(15)).uuid(), DecodeError);
  assert.throws(() => new Writer().uuid(Buffer.alloc(4)), RangeError);
});

test('ARRAY / COMPACT_ARRAY: counts checked against the remaining bytes before allocating', () => {
  const b = new Writer().arrayLength(2).int32(7).int32(8).compactArrayLength(null).toBuffer();
  const r = new Reader(b);
  assert.deepEqual(
    r.array((x) => x.int32(), 4),
    [7, 8],
  );
  assert.equal(
    r.compactArray((x) => x.int32(), 4),
    null,
  );
  // 2^31-1 elements claimed with 4 bytes left: rejected at once, nothing allocated.
  assert.throws(() => new Reader(hex('7fffffff00000000')).arrayLength(1), DecodeError);
  // Two int32 elements need 8 bytes; 7 remain.
  assert.throws(() => new Reader(hex('00000002' + '00000000000000')).arrayLength(4), DecodeError);
  assert.throws(() => new Reader(hex('fffffffe')).arrayLength(), DecodeError);
  assert.throws(() => new Reader(hex('ffffffff0f')).compactArrayLength(), DecodeError);
});

test('TAG_BUFFER: fields visited in order, unknown ones skipped, bounds and order enforced (KIP-482)', () => {
  const w = new Writer();
  w.uvarint(2);
  w.uvarint(0).uvarint(4).int32(42);
  w.uvarint(9).uvarint(2).int16(7); // unknown to the caller
  w.int8(99);
  const r = new Reader(w.toBuffer());
  const seen: [number, number][] = [];
  r.taggedFields((tag, fr) => {
    if (tag !== 0) return false;
    seen.push([tag, fr.int32()]);
    return true;
  });
  assert.deepEqual(seen, [[0, 42]]);
  assert.equal(r.int8(), 99);
  // A size larger than what remains.
  assert.throws(() => new Reader(hex('01' + '00' + '05' + '0000')).taggedFields(), DecodeError);
  // Tags out of order.
  assert.throws(() => new Reader(hex('02' + '03' + '00' + '01' + '00')).taggedFields(), DecodeError);
  // A count that cannot fit.
  assert.throws(() => new Reader(hex('7f')).taggedFields(), DecodeError);
});

test('Reader windows: a sub-reader cannot read past its end', () => {
  const buf = Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]);
  const r = new Reader(buf, 0, 4);
  assert.equal(r.int32(), 1);
  assert.throws(() => r.int32(), DecodeError);
});

test('Writer.rawRef keeps large buffers by reference and copies them once in toBuffer', () => {
  const big = Buffer.alloc(4096, 7);
  const w = new Writer(16);
  w.int32(1);
  w.rawRef(big);
  w.int16(2);
  w.rawRef(Buffer.from([9])); // small: copied inline
  const parts = w.toBuffers();
  assert.ok(parts.includes(big), 'the big buffer is one of the slices, not a copy');
  const out = w.toBuffer();
  assert.equal(out.length, 4 + 4096 + 2 + 1);
  assert.equal(w.length, out.length);
  assert.equal(out.readInt32BE(0), 1);
  assert.ok(out.subarray(4, 4100).equals(big));
  assert.equal(out.readInt16BE(4100), 2);
  assert.equal(out[4102], 9);
});

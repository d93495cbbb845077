import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cJs, crc32cNative } from '../../../src/protocol/crc32c.ts';

// Reference bit-at-a-time CRC-32C, to check the slice-by-8 tables against.
function crc32cBitwise(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('RFC 3720 B.4 test vectors', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // 32 bytes of zeros
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of ones
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e); // incrementing
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c); // decrementing
});

test('the check value of "123456789" is 0xE3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

test('slice-by-8 agrees with the bitwise definition at every length and alignment', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
  for (let start = 0; start < 9; start++) {
    for (let end = start; end <= data.length; end += 7) {
      assert.equal(crc32c(data, start, end), crc32cBitwise(data.subarray(start, end)), `[${start},${end})`);
    }
  }
});

test('a seed continues a previous CRC', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog');
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut++) {
    assert.equal(crc32c(data, cut, data.length, crc32c(data, 0, cut)), whole);
  }
});

test('a bad range throws instead of reading past the buffer', () => {
  assert.throws(() => crc32c(new Uint8Array(4), 0, 5), RangeError);
  assert.throws(() => crc32c(new Uint8Array(4), 3, 2), RangeError);
});

test('the native binding and the JavaScript loop agree on both sides of the size cut, with seeds and offsets', () => {
  assert.ok(crc32cNative, '@node-rs/crc32 is a dependency and must load on the platforms CI runs');
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 197 + 11) & 0xff);
  for (const len of [0, 1, 100, 255, 256, 257, 1024, 4093]) {
    for (const start of [0, 3, 8]) {
      const end = start + len;
      const seed = crc32cJs(data, 0, start);
      assert.equal(crc32c(data, start, end, seed), crc32cJs(data, start, end, seed), `len ${len} start ${start}`);
      assert.equal(crc32c(data, start, end), crc32cBitwise(data.subarray(start, end)), `bitwise len ${len} start ${start}`);
    }
  }
});

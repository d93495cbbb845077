// Sizes: Go Queue writes plain byte counts; we also take binary units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSize } from '../../../src/config/size.ts';

function bytes(text: string): number {
  const result = parseSize(text);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.reason}`);
  return result.bytes;
}

function reason(text: string): string {
  const result = parseSize(text);
  assert.ok(!result.ok, `${text} should be rejected`);
  return result.reason;
}

test('plain digits are bytes', () => {
  assert.equal(bytes('1073741824'), 1_073_741_824);
  assert.equal(bytes('0'), 0);
  assert.equal(bytes(' 512 '), 512);
});

test('binary units', () => {
  assert.equal(bytes('512B'), 512);
  assert.equal(bytes('4KiB'), 4096);
  assert.equal(bytes('128MiB'), 134_217_728);
  assert.equal(bytes('1GiB'), 1_073_741_824);
  assert.equal(bytes('1.5GiB'), 1_610_612_736);
  assert.equal(bytes('1 TiB'), 1024 ** 4);
});

test('ambiguous decimal-looking units are refused with the binary spelling', () => {
  assert.match(reason('100MB'), /ambiguous unit "MB".*"100MiB"/);
  assert.match(reason('1gb'), /ambiguous unit "gb".*"1GiB"/);
  assert.match(reason('4k'), /unknown unit "k"/);
});

test('rejects fractions of a byte, negatives, junk and huge values', () => {
  assert.match(reason('1.5B'), /whole number of bytes/);
  assert.match(reason('-1'), /not a size/);
  assert.match(reason('lots'), /not a size/);
  assert.match(reason('99999999TiB'), /too large/);
});

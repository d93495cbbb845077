// Go duration strings as Go Queue writes them (retention_time "168h").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration, parseGoDuration } from '../../../src/config/duration.ts';

function ms(text: string): number {
  const result = parseGoDuration(text);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.reason}`);
  return result.ms;
}

function reason(text: string): string {
  const result = parseGoDuration(text);
  assert.ok(!result.ok, `${text} should be rejected`);
  return result.reason;
}

test('single units, as Go time.ParseDuration reads them', () => {
  assert.equal(ms('168h'), 168 * 3_600_000);
  assert.equal(ms('30m'), 1_800_000);
  assert.equal(ms('45s'), 45_000);
  assert.equal(ms('500ms'), 500);
  assert.equal(ms('2000us'), 2);
  assert.equal(ms('2000µs'), 2);
  assert.equal(ms('2000μs'), 2);
  assert.equal(ms('3000000ns'), 3);
});

test('several components add up', () => {
  assert.equal(ms('1h30m'), 5_400_000);
  assert.equal(ms('1h0m0s'), 3_600_000);
  assert.equal(ms('2m3s4ms'), 123_004);
});

test('fractions are exact, not floating point', () => {
  assert.equal(ms('1.5h'), 5_400_000);
  assert.equal(ms('1.1s'), 1_100);
  assert.equal(ms('.5s'), 500);
  assert.equal(ms('1.s'), 1_000);
});

test('zero and signs follow Go', () => {
  assert.equal(ms('0'), 0);
  assert.equal(ms('-0'), 0);
  assert.equal(ms('+5s'), 5_000);
  assert.equal(ms('-1h'), -3_600_000);
});

test('rejects what Go rejects', () => {
  assert.match(reason(''), /empty/);
  assert.match(reason('10'), /missing a unit/);
  assert.match(reason('1.5'), /missing a unit/);
  assert.match(reason('5d'), /unknown unit "d"/);
  assert.match(reason('10 s'), /unknown unit " s"/);
  assert.match(reason('1h 30m'), /stray text at " 30m"/);
  assert.match(reason('1hx'), /stray text at "x"/);
  assert.match(reason('h'), /unit without a number/);
  assert.match(reason('.s'), /unit without a number/);
  assert.match(reason('-'), /empty/);
});

test('rejects sub-millisecond remainders and overflow', () => {
  assert.match(reason('1500us'), /whole number of milliseconds/);
  assert.match(reason('1.0005s'), /whole number of milliseconds/);
  // Go's limit is int64 nanoseconds, about 2562047 hours.
  assert.equal(ms('2562047h'), 2562047 * 3_600_000);
  assert.match(reason('2562048h'), /out of range/);
});

test('a hostile string with many components is bounded', () => {
  assert.match(reason('1s'.repeat(1000)), /too many components/);
});

test('formatGoDuration writes the shortest Go form and parses back', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(604_800_000), '168h');
  assert.equal(formatGoDuration(5_400_000), '1h30m');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(-1_000), '-1s');
  for (const value of [1, 999, 61_001, 3_723_004]) assert.equal(ms(formatGoDuration(value)), value);
});

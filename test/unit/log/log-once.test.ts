// Bad client input is logged once per key per interval, not once per bad frame.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, LogOnce } from '../../../src/log/index.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', format: 'json', destination: sink }) };
}

test('repeats of a key within the interval are suppressed and counted', () => {
  const { lines, logger } = capture();
  let nowMs = 1_000;
  const once = new LogOnce(logger, { intervalMs: 60_000, now: () => nowMs });
  assert.equal(once.warn('bad-frame:10.0.0.1', { remote: '10.0.0.1' }, 'malformed frame'), true);
  for (let i = 0; i < 5; i++) {
    nowMs += 1_000;
    assert.equal(once.warn('bad-frame:10.0.0.1', { remote: '10.0.0.1' }, 'malformed frame'), false);
  }
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.suppressed, undefined);

  nowMs = 1_000 + 60_000;
  assert.equal(once.warn('bad-frame:10.0.0.1', { remote: '10.0.0.1' }, 'malformed frame'), true);
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.suppressed, 5);
  assert.equal(lines[1]!.level, 'warn');
});

test('keys are independent', () => {
  const { lines, logger } = capture();
  const once = new LogOnce(logger, { intervalMs: 60_000, now: () => 0 });
  assert.equal(once.error('a', {}, 'x'), true);
  assert.equal(once.error('b', {}, 'x'), true);
  assert.equal(once.error('a', {}, 'x'), false);
  assert.equal(lines.length, 2);
});

test('the interval restarts from the last emitted line, not from the last repeat', () => {
  const { lines, logger } = capture();
  let nowMs = 0;
  const once = new LogOnce(logger, { intervalMs: 100, now: () => nowMs });
  once.info('k', {}, 'x');
  nowMs = 99;
  assert.equal(once.info('k', {}, 'x'), false);
  nowMs = 100;
  assert.equal(once.info('k', {}, 'x'), true);
  nowMs = 150;
  assert.equal(once.info('k', {}, 'x'), false);
  assert.equal(lines.length, 2);
});

test('memory is bounded: the key logged longest ago is forgotten first', () => {
  const { lines, logger } = capture();
  let nowMs = 0;
  const once = new LogOnce(logger, { intervalMs: 1_000_000, maxKeys: 3, now: () => nowMs });
  for (const key of ['a', 'b', 'c']) {
    nowMs++;
    once.warn(key, {}, key);
  }
  nowMs++;
  once.warn('d', {}, 'd');
  assert.equal(once.size, 3);
  // "a" was forgotten, so it logs again at once; "c" is still remembered.
  assert.equal(once.warn('a', {}, 'a'), true);
  assert.equal(once.warn('c', {}, 'c'), false);
  assert.equal(lines.length, 5);
});

test('bad options are refused', () => {
  const { logger } = capture();
  assert.throws(() => new LogOnce(logger, { intervalMs: -1 }), RangeError);
  assert.throws(() => new LogOnce(logger, { intervalMs: 10, maxKeys: 0 }), RangeError);
});

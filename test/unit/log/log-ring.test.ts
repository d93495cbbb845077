// issue 14: the broker's log lines for log tails are kept in a bounded ring (limits.log_ring_lines
// lines, each cut at limits.max_log_line_bytes), teed from the logger's destination, which still
// gets every line whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, LogRing } from '../../../src/log/index.ts';

test('the ring keeps the last N lines, oldest first, cuts long ones, and hands new ones to subscribers', () => {
  const ring = new LogRing({ linesMax: 3, lineBytesMax: 300 });
  const written: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', ring, destination: { write: (line) => written.push(line) } });
  const seen: number[] = [];
  const unsubscribe = ring.subscribe((line) => seen.push(line.level));
  for (let i = 0; i < 5; i++) logger.info({ i }, 'line');
  logger.warn({ big: 'x'.repeat(1000) }, 'long');
  unsubscribe();
  logger.error('after unsubscribe');
  assert.equal(written.length, 7, 'the destination gets every line');
  assert.ok(written[5]!.length > 1000, 'whole in the destination');
  const kept = ring.recent();
  assert.equal(kept.length, 3);
  assert.deepEqual(
    kept.map((l) => l.level),
    [30, 40, 50],
  );
  assert.match(kept[0]!.line, /"i":4/);
  assert.equal(kept[1]!.line.length, 301, 'cut to 300 characters and a mark');
  assert.ok(kept[1]!.line.endsWith('…'));
  assert.deepEqual(seen, [30, 30, 30, 30, 30, 40]);
});

test('a ring of 0 lines keeps nothing but still streams', () => {
  const ring = new LogRing({ linesMax: 0, lineBytesMax: 300 });
  const seen: string[] = [];
  ring.subscribe((line) => seen.push(line.line));
  ring.push('{"level":"info","msg":"a"}\n{"level":"warn","msg":"b"}\n');
  assert.deepEqual(ring.recent(), []);
  assert.equal(seen.length, 2);
});

// issue 14: the WebSocket tails' parameters are checked before the upgrade, and a key regex that
// could take exponential time (JavaScript regexes backtrack) is refused, so no client can block
// the broker's event loop with one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSafeRegex, parseLogTail, parseStart, parseTopicTail } from '../../../src/http/ws-params.ts';

test('from= takes end, earliest, offset:N and time:T (epoch ms or ISO 8601)', () => {
  assert.deepEqual(parseStart(undefined), { ok: true, value: { kind: 'end' } });
  assert.deepEqual(parseStart('earliest'), { ok: true, value: { kind: 'earliest' } });
  assert.deepEqual(parseStart('offset:42'), { ok: true, value: { kind: 'offset', offset: 42 } });
  assert.deepEqual(parseStart('time:1700000000000'), { ok: true, value: { kind: 'time', timestampMs: 1_700_000_000_000 } });
  assert.deepEqual(parseStart('time:2024-01-02T03:04:05Z'), { ok: true, value: { kind: 'time', timestampMs: Date.parse('2024-01-02T03:04:05Z') } });
  for (const bad of ['start', 'offset:', 'offset:1.5', 'offset:99999999999999999', 'time:soon']) {
    const parsed = parseStart(bad);
    assert.equal(parsed.ok, false, bad);
    assert.match((parsed as { message: string }).message, /parameter "from"/);
  }
});

test('key regexes that can backtrack exponentially, or polynomially to a high degree, are refused; simple ones pass', () => {
  for (const unsafe of ['(a+)+$', '(a*)*', '(a|aa)+', '(x+x+)+y', '(\\w+\\s?)*$', '(a)\\1', '(?=a)a', '(?<!a)b', '((ab)+)+', '.*.*.*x', 'a+b+c{2,}']) {
    assert.notEqual(checkSafeRegex(unsafe), null, unsafe);
  }
  for (const safe of ['^user-[0-9]+$', 'eu-(west|east)', '(ab)+', '[a+]+', '^k\\(1\\)+$', '(abc)?d', '^a.*-.*$', 'x{2,5}y{3}']) {
    assert.equal(checkSafeRegex(safe), null, safe);
  }
});

test('a topic tail query: one partition or all, one key filter, no unknown or repeated parameters', () => {
  const ok = parseTopicTail({ from: 'offset:3', partition: '2', key: 'k' }, 16);
  assert.ok(ok.ok);
  assert.equal(ok.value.partition, 2);
  assert.deepEqual(ok.value.key, { kind: 'exact', key: Buffer.from('k') });
  const cases: Array<[Record<string, string | string[]>, RegExp]> = [
    [{ partition: '-1' }, /parameter "partition"/],
    [{ from: ['end', 'earliest'] }, /"from" is given 2 times/],
    [{ key: 'x'.repeat(17) }, /at most 16 \(limits.max_tail_key_bytes\)/],
    [{ keyRegex: '['.repeat(2) }, /not a valid regular expression/],
    [{ offset: '1' }, /unknown parameter "offset"/],
  ];
  for (const [query, message] of cases) {
    const parsed = parseTopicTail(query, 16);
    assert.equal(parsed.ok, false, JSON.stringify(query));
    assert.match((parsed as { message: string }).message, message);
  }
});

test('a log tail query takes a pino level name, info by default', () => {
  assert.deepEqual(parseLogTail({}), { ok: true, value: { level: 30 } });
  assert.deepEqual(parseLogTail({ level: 'warn' }), { ok: true, value: { level: 40 } });
  assert.equal(parseLogTail({ level: 'verbose' }).ok, false);
});

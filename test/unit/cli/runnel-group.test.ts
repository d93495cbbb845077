// `runnel group reset-offsets` flags (src/cli/runnel/group.ts), issue 13: exactly one of
// --to-earliest, --to-latest, --to-datetime, --to-offset, as kafka-consumer-groups.sh takes
// them; an ISO time without a zone is UTC so a script gets the same plan on every machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlagValue } from '../../../src/cli/runnel/flags.ts';
import { UsageError } from '../../../src/cli/runnel/flags.ts';
import { parseDatetime, resetTargetOf, topicsOf } from '../../../src/cli/runnel/group.ts';

const ctx = (flags: Record<string, FlagValue>) => ({ flags: new Map(Object.entries(flags)) });

test('--to-datetime: ISO 8601, UTC when no zone is given; anything else is a usage error', () => {
  assert.equal(parseDatetime('1970-01-01T00:00:02Z'), 2_000);
  assert.equal(parseDatetime('1970-01-01T00:00:02'), 2_000);
  assert.equal(parseDatetime('1970-01-01T01:00:00+01:00'), 0);
  assert.equal(parseDatetime('1970-01-02'), 86_400_000);
  assert.equal(parseDatetime('1970-01-01T00:00:00.250Z'), 250);
  for (const bad of ['yesterday', '1700000000000', '2026-13-45T99:00:00Z', '']) assert.throws(() => parseDatetime(bad), UsageError, bad);
});

test('exactly one reset target; --to-offset not negative; --topic needed, each once', () => {
  assert.deepEqual(resetTargetOf(ctx({ 'to-earliest': true })), { to: 'earliest' });
  assert.deepEqual(resetTargetOf(ctx({ 'to-latest': true })), { to: 'latest' });
  assert.deepEqual(resetTargetOf(ctx({ 'to-offset': 7 })), { to: 'offset', offset: 7 });
  assert.deepEqual(resetTargetOf(ctx({ 'to-datetime': '1970-01-01T00:00:01Z' })), { to: 'timestamp', timestamp: 1_000 });
  assert.throws(() => resetTargetOf(ctx({})), /exactly one of/);
  assert.throws(() => resetTargetOf(ctx({ 'to-earliest': true, 'to-offset': 1 })), /exactly one of/);
  assert.throws(() => resetTargetOf(ctx({ 'to-offset': -1 })), /--to-offset must be >= 0/);
  assert.deepEqual(topicsOf(ctx({ topic: 'a,b,a,,c' })), ['a', 'b', 'c']);
  assert.throws(() => topicsOf(ctx({})), /--topic T/);
});

// Kafka error codes by name (protocol guide, "Error Codes"). When RUNNEL_KAFKA_ERROR_CODES names
// a table of them (tab-separated: code, name, description; one line of headings), every code and
// name must match it; otherwise the spot checks still run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ErrorCode, errorName, isRetriable } from '../../../src/protocol/errors.ts';

const tsvCandidates = [process.env.RUNNEL_KAFKA_ERROR_CODES].filter((p): p is string => typeof p === 'string' && p !== '');
const tsv = tsvCandidates.find((p) => fs.existsSync(p));

test('well-known codes have their Kafka numbers', () => {
  assert.equal(ErrorCode.NONE, 0);
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
  assert.equal(ErrorCode.OFFSET_OUT_OF_RANGE, 1);
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
  assert.equal(ErrorCode.TOPIC_ALREADY_EXISTS, 36);
  assert.equal(ErrorCode.MEMBER_ID_REQUIRED, 79);
  assert.equal(errorName(35), 'UNSUPPORTED_VERSION');
  assert.equal(errorName(123456), 'UNKNOWN_ERROR_CODE_123456');
  assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS), false);
});

test('codes are unique', () => {
  const codes = Object.values(ErrorCode);
  assert.equal(new Set(codes).size, codes.length);
});

test('every code in the reference table matches, and no extra ones exist', (t) => {
  if (tsv === undefined) {
    t.skip(`kafka-error-codes.tsv not found (looked in: ${tsvCandidates.join(', ')})`);
    return;
  }
  const rows = fs
    .readFileSync(tsv, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
  const expected = Object.fromEntries(rows.map(([code, name]) => [name, Number(code)]));
  assert.deepEqual({ ...ErrorCode }, expected);
});

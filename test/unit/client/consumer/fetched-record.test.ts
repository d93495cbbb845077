// issue 13 (performance): the consumer's records leave key, value and headers in the fetched
// bytes until read; then they are views of those bytes, the same each time, with the fields a
// plain record had (and toJSON for code that serialises records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchedRecord } from '../../../../src/client/consumer/fetched-record.ts';
import { buildRecordBatch, walkBatches } from '../../../../src/protocol/record-batch.ts';

function fetched(): FetchedRecord[] {
  const blob = buildRecordBatch({
    baseOffset: 7,
    records: [
      { key: 'k', value: 'hello', headers: [{ key: 'h', value: 'x' }], timestamp: 1_000 },
      { key: null, value: null, timestamp: 1_005 },
    ],
  });
  const out: FetchedRecord[] = [];
  walkBatches(
    blob,
    {},
    () => true,
    (r) => {
      out.push(new FetchedRecord('t', 3, r));
    },
  );
  return out;
}

test('a FetchedRecord reads key, value and headers when asked, as views kept for later reads', () => {
  const [first, second] = fetched();
  assert.deepEqual([first!.topic, first!.partition, first!.offset, first!.timestamp], ['t', 3, 7, 1_000]);
  assert.equal(first!.key!.toString(), 'k');
  assert.equal(first!.value!.toString(), 'hello');
  assert.equal(first!.value, first!.value, 'the same Buffer each time');
  assert.deepEqual(first!.headers, [{ key: 'h', value: Buffer.from('x') }]);
  assert.deepEqual([second!.offset, second!.key, second!.value, second!.headers], [8, null, null, []]);
  assert.equal(first!.sizeBytes, 64 + 1 + 5 + 4, 'charged for its key, value and headers (with their lengths)');
  assert.deepEqual(JSON.parse(JSON.stringify(second)), { topic: 't', partition: 3, offset: 8, timestamp: 1_005, key: null, value: null, headers: [] });
});

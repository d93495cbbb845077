// Issue 14: the request metrics time every Kafka handler (src/broker/broker-counters.ts) whether
// it answers at once, later, or fails, and the record counts come from batch headers alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordCountOf, timedHandlers, type BrokerCounters } from '../../../src/broker/broker-counters.ts';
import type { AnyApiHandler } from '../../../src/broker/handler.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';

function recorder(): { counters: BrokerCounters; seen: Array<[string, boolean]> } {
  const seen: Array<[string, boolean]> = [];
  return {
    seen,
    counters: {
      request: (api, seconds, failed) => {
        assert.ok(seconds >= 0);
        seen.push([api, failed]);
      },
      recordsIn: () => {},
      recordsOut: () => {},
    },
  };
}

function handler(name: string, handle: AnyApiHandler['handle']): AnyApiHandler {
  return { api: { name } as AnyApiHandler['api'], handle };
}

test('issue 14: sync, async and failing handlers are each timed once, failures marked', async () => {
  const { counters, seen } = recorder();
  const timed = timedHandlers(
    new Map([
      [1, handler('Sync', () => ({ ok: 1 }))],
      [2, handler('Async', async () => ({ ok: 2 }))],
      [
        3,
        handler('Throws', () => {
          throw new Error('boom');
        }),
      ],
      [
        4,
        handler('Rejects', async () => {
          throw new Error('later');
        }),
      ],
    ]),
    counters,
  );
  const context = {} as Parameters<AnyApiHandler['handle']>[1];
  assert.deepEqual(timed.get(1)!.handle({}, context), { ok: 1 });
  assert.deepEqual(await timed.get(2)!.handle({}, context), { ok: 2 });
  assert.throws(() => timed.get(3)!.handle({}, context), /boom/);
  await assert.rejects(async () => timed.get(4)!.handle({}, context), /later/);
  assert.deepEqual(seen, [
    ['Sync', false],
    ['Async', false],
    ['Throws', true],
    ['Rejects', true],
  ]);
});

test('issue 14: records are counted from the batch headers of a blob of batches', () => {
  const one = buildRecordBatch({
    records: [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ],
  });
  const two = buildRecordBatch({ records: [{ key: 'c', value: '3' }] });
  assert.equal(recordCountOf(Buffer.concat([one, two])), 3);
  assert.equal(recordCountOf(Buffer.alloc(0)), 0);
  // A fetch may end in a partial batch: only whole headers count.
  assert.equal(recordCountOf(Buffer.concat([one, two.subarray(0, 30)])), 2);
});

test('issue 14: a batch length below a batch header ends the count instead of walking in place', () => {
  // The count walks batch headers only; a damaged length of -12 used to leave it at the same
  // position forever (the Fetch handler counting what it returns would hang the broker).
  const good = buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }] });
  const damaged = Buffer.from(buildRecordBatch({ records: [{ value: 'c' }] }));
  damaged.writeInt32BE(-12, 8);
  assert.equal(recordCountOf(Buffer.concat([good, damaged])), 2);
});

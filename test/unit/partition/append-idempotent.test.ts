// issue 17, the replica seam: PartitionReplica.appendIdempotent checks a request's
// batches against the producer state and appends them in one call, with one return type.
// KIP-98: a retry gets its original offsets, a gap in the sequence is refused, and two calls
// made back to back (no await between them) cannot both append the same sequence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition } from '../../../src/partition/partition.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { batchView, buildRecordBatch, type BatchView } from '../../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

function batch(producerId: number, baseSequence: number): BatchView {
  return batchView(buildRecordBatch({ records: [{ value: `v${baseSequence}`, timestamp: 1 }], producerId, producerEpoch: 0, baseSequence }));
}

test('appendIdempotent: appended, then the same batch again is a duplicate with its first offsets', async () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  await partition.appendIdempotent([batchView(buildRecordBatch({ records: [{ value: 'plain' }] }))], 0);
  const first = await partition.appendIdempotent([batch(7, 0)], 0);
  assert.deepEqual(first, { kind: 'appended', baseOffset: 1, lastOffset: 1 });
  const retry = await partition.appendIdempotent([batch(7, 0)], 0);
  assert.deepEqual(retry, { kind: 'duplicate', baseOffset: 1, lastOffset: 1 });
  assert.equal(partition.logEndOffset, 2);
});

test('appendIdempotent: a gap in the sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER and nothing is appended', async () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  await partition.appendIdempotent([batch(7, 0)], 0);
  const gap = await partition.appendIdempotent([batch(7, 2)], 0);
  assert.equal(gap.kind, 'refused');
  assert.equal(gap.kind === 'refused' && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(partition.logEndOffset, 1);
});

test('appendIdempotent: two calls in the same turn see each other, so a sequence is appended once', async () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  const a = partition.appendIdempotent([batch(9, 0)], 0);
  const b = partition.appendIdempotent([batch(9, 0)], 0);
  assert.deepEqual(await Promise.all([a, b]), [
    { kind: 'appended', baseOffset: 0, lastOffset: 0 },
    { kind: 'duplicate', baseOffset: 0, lastOffset: 0 },
  ]);
  assert.equal(partition.logEndOffset, 1);
});

test('appendIdempotent: a failed append is a rejection, not a throw', async () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  await partition.close();
  const closed = partition.appendIdempotent([batch(3, 0)], 0);
  assert.ok(closed instanceof Promise);
  await assert.rejects(closed, /closed/);
});

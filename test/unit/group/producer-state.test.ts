// Idempotent producer state (src/partition/producer-state.ts) and the Partition checks built on
// it: sequence rules, duplicates answered with their original offsets, fencing, and state rebuilt
// from the log alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateTable, lastSequenceOf, PRODUCER_BATCHES_KEPT } from '../../../src/partition/producer-state.ts';
import { Partition } from '../../../src/partition/partition.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

function batch(producerId: number, producerEpoch: number, baseSequence: number, records = 1): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({ value: `v${baseSequence + i}`, timestamp: 1 })),
    producerId,
    producerEpoch,
    baseSequence,
  });
}

/** Appends like the produce handler: check first, append only what is new. */
function produce(partition: Partition, buf: Buffer): { kind: string; baseOffset?: number; errorCode?: number } {
  const check = partition.checkProducerBatches([buf]);
  if (check.kind === 'error') return { kind: 'error', errorCode: check.errorCode };
  if (check.kind === 'duplicate') return { kind: 'duplicate', baseOffset: check.firstOffset };
  return { kind: 'append', baseOffset: partition.append([buf], 0).baseOffset };
}

test('KIP-98: a retried batch is a duplicate answered with its original offset, not appended again', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  assert.deepEqual(produce(partition, batch(7, 0, 0, 3)), { kind: 'append', baseOffset: 0 });
  assert.deepEqual(produce(partition, batch(7, 0, 3, 2)), { kind: 'append', baseOffset: 3 });
  assert.deepEqual(produce(partition, batch(7, 0, 0, 3)), { kind: 'duplicate', baseOffset: 0 });
  assert.deepEqual(produce(partition, batch(7, 0, 3, 2)), { kind: 'duplicate', baseOffset: 3 });
  assert.equal(partition.logEndOffset, 5, 'nothing was appended twice');
});

test('KIP-98 OUT_OF_ORDER_SEQUENCE_NUMBER: a gap or a sequence from the past that is not a known batch', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  produce(partition, batch(7, 0, 0, 2));
  assert.equal(produce(partition, batch(7, 0, 5)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(produce(partition, batch(7, 0, 1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(produce(partition, batch(7, 0, 2)).kind, 'append');
});

test('KIP-98 fencing: an older epoch is refused with INVALID_PRODUCER_EPOCH; a new epoch starts at sequence 0', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  produce(partition, batch(9, 3, 0));
  assert.equal(produce(partition, batch(9, 2, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(produce(partition, batch(9, 4, 5)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(produce(partition, batch(9, 4, 0)).kind, 'append');
  assert.equal(produce(partition, batch(9, 3, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'epoch 3 is fenced now');
});

test('an unknown producer may start at any sequence (its early batches may have been deleted), as in Kafka', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  assert.equal(produce(partition, batch(11, 0, 42)).kind, 'append');
  assert.equal(produce(partition, batch(11, 0, 43)).kind, 'append');
});

test('non-idempotent batches (producer id -1) are never checked', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  const plain = buildRecordBatch({ records: [{ value: 'x' }] });
  assert.equal(produce(partition, plain).kind, 'append');
  assert.equal(produce(partition, buildRecordBatch({ records: [{ value: 'x' }] })).kind, 'append');
});

test('only the last five batches are remembered: an older retry is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  for (let seq = 0; seq < PRODUCER_BATCHES_KEPT + 1; seq++) produce(partition, batch(5, 0, seq));
  assert.equal(produce(partition, batch(5, 0, 0)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(produce(partition, batch(5, 0, 1)), { kind: 'duplicate', baseOffset: 1 });
});

test('state is derived from the log: a partition reopened on the same log answers retries the same way', async () => {
  const log = new MemoryLog();
  const first = new Partition('t', 0, log, 'none');
  produce(first, batch(7, 0, 0, 3));
  produce(first, batch(8, 1, 0));
  produce(first, batch(7, 0, 3));
  const reopened = new Partition('t', 0, log, 'none');
  // Loading reads the log in the background (issue 9), so the state is there once it settles.
  await reopened.producerState.loading;
  assert.deepEqual(
    reopened.producerEntry(7)?.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]),
    [
      [0, 2, 0, 2],
      [3, 3, 4, 4],
    ],
  );
  assert.deepEqual(produce(reopened, batch(7, 0, 3)), { kind: 'duplicate', baseOffset: 4 });
  assert.equal(produce(reopened, batch(8, 0, 1)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(produce(reopened, batch(7, 0, 4)).kind, 'append');
});

test('several batches in one request are checked as one sequence; a retry mixed with new batches is refused', () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none');
  assert.equal(partition.checkProducerBatches([batch(3, 0, 0, 2), batch(3, 0, 2)]).kind, 'append');
  const gap = partition.checkProducerBatches([batch(3, 0, 0, 2), batch(3, 0, 3)]);
  assert.equal(gap.kind === 'error' && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  partition.append([batch(3, 0, 0, 2)], 0);
  const mixed = partition.checkProducerBatches([batch(3, 0, 0, 2), batch(3, 0, 2)]);
  assert.equal(mixed.kind === 'error' && mixed.errorCode, ErrorCode.DUPLICATE_SEQUENCE_NUMBER);
});

test('sequence numbers wrap from 2^31 - 1 to 0 (Kafka DefaultRecordBatch.incrementSequence)', () => {
  assert.equal(lastSequenceOf(2147483646, 2), 0);
  const table = new ProducerStateTable();
  table.record({ producerId: 1, producerEpoch: 0, baseSequence: 2147483645, lastOffsetDelta: 2 }, 0);
  assert.equal(table.check({ producerId: 1, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 }).kind, 'append');
});

test('a limit on producers per partition: the least recently active one is forgotten', () => {
  const table = new ProducerStateTable(3);
  for (let pid = 1; pid <= 3; pid++) table.record({ producerId: pid, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 }, pid);
  table.record({ producerId: 1, producerEpoch: 0, baseSequence: 1, lastOffsetDelta: 0 }, 10);
  table.record({ producerId: 4, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 0 }, 11);
  assert.equal(table.size, 3);
  assert.equal(table.entry(2), undefined, 'producer 2 was the least recently active');
  assert.ok(table.entry(1));
});

// issue 12, segment.ms: a segment rolls before a batch whose max timestamp is more than segmentMs
// past the max timestamp of the segment's first batch, as Kafka's LogSegment.shouldRoll measures
// it (on the records' timestamps, so replicas decide alike), also after a reopen; and
// reconfigure() changes segment size and time at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { makeBatch, smallConfig, tempDir } from './helpers.ts';

const T0 = 1_700_000_000_000;

test('issue 12 segment.ms: rolls when a batch is more than segmentMs past the first batch of the segment, not at exactly segmentMs', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, segmentMs: 1000 }));
  log.append(makeBatch(1, 1, 10, T0), 0);
  log.append(makeBatch(2, 1, 10, T0 + 1000), 0);
  assert.equal(log.segmentCount, 1, 'exactly segmentMs later: same segment');
  log.append(makeBatch(3, 1, 10, T0 + 1001), 0);
  assert.equal(log.segmentCount, 2, 'more than segmentMs later: rolled');
  // Measured from the new segment's first batch (T0 + 1001), not from the log's.
  log.append(makeBatch(4, 1, 10, T0 + 1500), 0);
  assert.equal(log.segmentCount, 2);
  // A batch without timestamps (-1) never rolls by time.
  log.append(makeBatch(5, 1, 10, -1), 0);
  assert.equal(log.segmentCount, 2);
  await log.close();

  // After a reopen the first batch's timestamp is read from the file.
  const reopened = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, segmentMs: 1000 }));
  reopened.append(makeBatch(6, 1, 10, T0 + 2002), 0);
  assert.equal(reopened.segmentCount, 3);
  await reopened.close();
});

test('issue 12: reconfigure applies a new segment size and segment.ms to the next append; no segmentMs never rolls by time', async (t) => {
  const log = PartitionLog.open(tempDir(t), smallConfig({ segmentBytes: 1 << 20 }));
  log.append(makeBatch(1, 1, 10, T0), 0);
  log.append(makeBatch(2, 1, 10, T0 + 10 * 365 * 86_400_000), 0);
  assert.equal(log.segmentCount, 1);
  log.reconfigure({ segmentBytes: 1 << 20, segmentMs: 5, indexIntervalBytes: 256, retentionMs: -1, retentionBytes: -1 });
  log.append(makeBatch(3, 1, 10, T0 + 10 * 365 * 86_400_000 + 100), 0);
  assert.equal(log.segmentCount, 2);
  log.reconfigure({ segmentBytes: 1024, segmentMs: Infinity, indexIntervalBytes: 256, retentionMs: -1, retentionBytes: -1 });
  for (let i = 0; i < 10; i++) log.append(makeBatch(10 + i, 3, 100, T0), 0);
  assert.ok(log.segmentCount > 4, `${log.segmentCount} segments of at most 1024 bytes`);
  assert.throws(() => log.reconfigure({ segmentBytes: 10, segmentMs: Infinity, indexIntervalBytes: 256, retentionMs: -1, retentionBytes: -1 }), /segmentBytes/);
  await log.close();
});

test('issue 12 segment.ms: control batches (Raft entries, timestamp 0) neither roll a segment nor start its clock, also after a reopen', async (t) => {
  const dir = tempDir(t);
  const control = () => buildRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 0]), value: 'noop', timestamp: 0 }], isControl: true });
  const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, segmentMs: 1000 }));
  log.append(control(), 1);
  log.append(makeBatch(1, 1, 10, T0), 1);
  log.append(control(), 1);
  log.append(makeBatch(2, 1, 10, T0 + 900), 1);
  assert.equal(log.segmentCount, 1, 'measured from the first client batch, not the control batch at 0');
  await log.close();
  const reopened = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, segmentMs: 1000 }));
  reopened.append(makeBatch(3, 1, 10, T0 + 999), 1);
  assert.equal(reopened.segmentCount, 1);
  reopened.append(makeBatch(4, 1, 10, T0 + 1001), 1);
  assert.equal(reopened.segmentCount, 2);
  await reopened.close();
});

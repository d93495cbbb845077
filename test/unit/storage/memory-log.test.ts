import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { OffsetOutOfRangeError } from '../../../src/storage/errors.ts';
import type { Log } from '../../../src/storage/log.ts';
import { makeBatch, readAll, smallConfig, tempDir } from './helpers.ts';

// The same script against both implementations: MemoryLog must answer like PartitionLog.
function script(log: Log): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 40; i++) out.push(log.append(makeBatch(i, 1 + (i % 3), 30, 1000 * i), 1 + Math.floor(i / 15)));
  out.push(log.read(7, 1, 100).nextOffset, log.read(7, 500, 20).nextOffset, log.read(0, 0, 100).nextOffset);
  out.push(log.offsetForTimestamp(12_500), log.termAt(0), log.termAt(50), log.termAt(79), log.lastTerm);
  out.push(log.maxTimestamp());
  log.truncateTo(50);
  // Truncation drops the batches that carried the largest timestamps (KIP-734's max must follow).
  out.push(log.logEndOffset, log.lastTerm, log.maxTimestamp());
  log.append(makeBatch(100), 2);
  log.deleteRecordsBefore(10);
  out.push(
    log.logStartOffset,
    readAll(log).map((r) => [r.offset, r.key?.toString(), r.timestamp]),
  );
  assert.throws(() => log.read(9, 100, 100), OffsetOutOfRangeError);
  return out;
}

test('MemoryLog answers the same as PartitionLog for appends, reads, terms, truncation, DeleteRecords', async (t) => {
  const file = PartitionLog.open(tempDir(t), smallConfig({ segmentBytes: 1024 }));
  const memory = new MemoryLog();
  const answers = script(memory);
  assert.deepEqual(answers, script(file));
  assert.ok(
    (answers as number[]).some((a) => a === 39_000),
    "maxTimestamp before truncation is the last batch's",
  );
  await file.close();
});

test('MemoryLog crash() loses exactly what was not flushed', async () => {
  const log = new MemoryLog();
  log.append(makeBatch(0), 1);
  await log.flush();
  log.append(makeBatch(1), 1);
  assert.equal(log.flushedOffset, 3);
  log.crash();
  assert.equal(log.logEndOffset, 3);
  assert.equal(readAll(log).length, 3);
});

test('MemoryLog crash(n) keeps the first n unflushed batches (a torn tail that reached the disk) and makes them durable', async () => {
  const log = new MemoryLog();
  log.append(makeBatch(0, 2), 1);
  await log.flush();
  for (let i = 1; i <= 3; i++) log.append(makeBatch(i, 2), 1);
  assert.equal(log.crash(1), 2, 'two of three unflushed batches lost');
  assert.equal(log.logEndOffset, 4);
  assert.equal(log.lastRaftIndex, 2);
  assert.equal(log.flushedOffset, 4, 'recovery made the survivor durable');
  log.append(makeBatch(9, 2), 1);
  assert.equal(log.crash(Infinity), 0, 'a kill -9 loses nothing');
  assert.equal(log.logEndOffset, 6);
});

test('MemoryLog flush() waits for its fsync, covers only what was written before it, and fails with it', async () => {
  const gates: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const log = new MemoryLog({ fsync: () => new Promise<void>((resolve, reject) => gates.push({ resolve, reject })) });
  log.append(makeBatch(0), 1);
  const first = log.flush();
  log.append(makeBatch(1), 1);
  gates[0].resolve();
  await first;
  assert.equal(log.flushedOffset, 3, 'the batch appended while the fsync ran is not covered');
  const second = log.flush();
  // A truncation while the fsync runs lowers what it can make durable.
  log.truncateTo(3);
  log.append(makeBatch(2), 2);
  gates[1].resolve();
  await second;
  assert.equal(log.flushedOffset, 3);
  const third = log.flush();
  gates[2].reject(new Error('EIO'));
  await assert.rejects(third, /EIO/);
  assert.equal(log.flushedOffset, 3);
  assert.equal(log.crash(), 1);
  assert.equal(log.logEndOffset, 3);
});

test('MemoryLog retention by bytes and time drops batches from the head', () => {
  const log = new MemoryLog({ retentionBytes: 1000, retentionMs: 5000 });
  for (let i = 0; i < 20; i++) log.append(makeBatch(i, 2, 50, i * 1000), 1);
  const r = log.applyRetention(10_000);
  assert.ok(r.deletedSegments > 0);
  assert.ok(log.sizeBytes >= 1000);
  assert.equal(log.logStartOffset, 2 * r.deletedSegments);
});

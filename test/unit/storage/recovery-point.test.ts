// issue 9 restart: the recovery point moves with the syncs inside the active segment, so a
// restart after kill -9 CRC-checks only what lies above it (docs/storage.md, "Recovery").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { LogDamagedError, type LogDamage } from '../../../src/storage/errors.ts';
import { nodeFs, setStorageFs, type FileSystem } from '../../../src/storage/fs.ts';
import { Partition } from '../../../src/partition/partition.ts';
import { tempDir, smallConfig, makeBatch, readAll, MemoryLogger, countingFs } from './helpers.ts';

const SEGMENT = '00000000000000000000.log';

/** The log's damage, read through a call so an earlier assertion does not narrow its type. */
function damageOf(log: PartitionLog): LogDamage | null {
  return log.damage;
}

function checkpointOf(dir: string): { recoveryPoint: number; cleanShutdown: boolean } {
  return JSON.parse(readFileSync(join(dir, 'partition.checkpoint'), 'utf8'));
}

/** Positions of the batches of a segment file. */
function batchPositions(path: string): number[] {
  const bytes = readFileSync(path);
  const out: number[] = [];
  for (let p = 0; p < bytes.length; p += 12 + bytes.readInt32BE(p + 8)) out.push(p);
  return out;
}

const config = smallConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 512, recoveryPointIntervalMs: 5 });

/**
 * A log that wrote 200 batches since it was created, synced them, had its recovery point persisted
 * (the timer), then appended `extra` batches and was killed (never closed).
 */
async function killedAfterCheckpoint(t: { after(fn: () => void): void }, extra: number) {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 200; i++) log.append(makeBatch(i), 1);
  await log.flush();
  const synced = log.logEndOffset;
  // Bounded wait for the checkpoint timer (no assertion on how long it takes).
  for (let i = 0; i < 400 && checkpointOf(dir).recoveryPoint < synced; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(checkpointOf(dir).recoveryPoint, synced, 'the recovery point follows the syncs inside the active segment');
  const syncedBytes = log.sizeBytes;
  for (let i = 200; i < 200 + extra; i++) log.append(makeBatch(i), 1);
  // kill -9: the handle is abandoned, never closed.
  return { dir, synced, syncedBytes, path: join(dir, SEGMENT) };
}

test('issue 9 restart: after kill -9 only the active segment above the recovery point is read at open', async (t) => {
  const { dir, syncedBytes, path } = await killedAfterCheckpoint(t, 5);
  const total = statSync(path).size;
  const counting = countingFs();
  setStorageFs(counting.fs);
  let reopened: PartitionLog;
  const logger = new MemoryLogger();
  try {
    reopened = PartitionLog.open(dir, config, logger);
  } finally {
    setStorageFs(nodeFs);
  }
  // Below the recovery point: the first header and at most an index interval of headers (walked in
  // 4 KiB windows) after the last index entry; above it: the five unsynced batches.
  const above = total - syncedBytes;
  assert.ok(counting.logBytesRead() <= above + 3 * 4096, `read ${counting.logBytesRead()} bytes of ${total}; ${above} lie above the recovery point`);
  assert.equal(logger.find('recovery truncated a torn tail').length, 0);
  assert.equal(reopened.logEndOffset, 205 * 3);
  assert.equal(readAll(reopened).length, 205 * 3);
  await reopened.scrubbed;
  assert.equal(reopened.damage, null);
  await reopened.close();
});

test('issue 9 restart: a torn tail above the recovery point is cut; everything below stays', async (t) => {
  const { dir, synced, path } = await killedAfterCheckpoint(t, 3);
  truncateSync(path, statSync(path).size - 5); // the last batch never fully reached the disk
  const logger = new MemoryLogger();
  const reopened = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('recovery truncated a torn tail').length, 1);
  assert.equal(reopened.damage, null);
  assert.equal(reopened.logEndOffset, synced + 2 * 3);
  assert.equal(readAll(reopened).length, synced + 2 * 3);
  reopened.append(makeBatch(999), 1);
  await reopened.close();
});

test('issue 9 item 3 with the recovery point: a log cut below it is damage, not a torn tail', async (t) => {
  const { dir, path } = await killedAfterCheckpoint(t, 3);
  const positions = batchPositions(path);
  const cutAt = positions[150] + 20; // inside batch 150, far below the recovery point (batch 200)
  const size = statSync(path).size;
  truncateSync(path, cutAt);
  const logger = new MemoryLogger();
  const reopened = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('recovery truncated a torn tail').length, 0, 'synced data is never cut as a torn tail');
  assert.equal(logger.find('damage in synced log data').length, 1);
  assert.equal(reopened.damage?.offset, 150 * 3);
  assert.equal(statSync(path).size, cutAt, 'the file is left as found');
  assert.equal(readAll(reopened).length, 150 * 3);
  assert.throws(() => reopened.append(makeBatch(999), 1), LogDamagedError);
  assert.ok(size > cutAt);
  await reopened.close();
});

test('issue 9 item 3 with the recovery point: a bit flip below it is found by the scrub after open, and by the next open', async (t) => {
  const { dir, path } = await killedAfterCheckpoint(t, 3);
  const positions = batchPositions(path);
  const bytes = readFileSync(path);
  bytes[positions[120] + 70] ^= 0x01; // inside batch 120's records: its CRC-32C no longer matches
  writeFileSync(path, bytes);
  const logger = new MemoryLogger();
  const reopened = PartitionLog.open(dir, config, logger);
  // Open trusts the synced part (its headers are fine); the scrub checks its CRCs in the background.
  assert.equal(reopened.damage, null);
  await reopened.scrubbed;
  const found = damageOf(reopened);
  assert.equal(found?.offset, 120 * 3);
  assert.equal(found?.position, positions[120]);
  assert.equal(logger.find('damage in synced log data').length, 1);
  assert.throws(() => reopened.append(makeBatch(999), 1), LogDamagedError);
  assert.equal(readAll(reopened).length, 120 * 3, 'reads stop before the damage');
  await reopened.close();
  assert.equal(statSync(path).size, bytes.length, 'not a byte is cut');
  // The next open checks that segment at open and finds the same damage there.
  const logger2 = new MemoryLogger();
  const again = PartitionLog.open(dir, config, logger2);
  assert.equal(again.damage?.offset, 120 * 3);
  assert.equal(logger2.find('damage in synced log data').length, 1);
  await again.close();
});

test('issue 9 item 3 with the recovery point: a Raft log checks the synced part of its active segment at open, before its replica votes', async (t) => {
  const { dir, path } = await killedAfterCheckpoint(t, 3);
  const positions = batchPositions(path);
  const bytes = readFileSync(path);
  bytes[positions[120] + 70] ^= 0x01;
  writeFileSync(path, bytes);
  const reopened = PartitionLog.open(dir, config, new MemoryLogger(), { syncedRaftIndex: 150 });
  assert.equal(reopened.damage?.offset, 120 * 3, 'found at open');
  await reopened.close();
});

test('issue 9 item 3 with the recovery point: after the scrub found damage, the partition high watermark stops at it', async (t) => {
  const { dir, path } = await killedAfterCheckpoint(t, 0);
  const positions = batchPositions(path);
  const bytes = readFileSync(path);
  bytes[positions[50] + 70] ^= 0x01;
  writeFileSync(path, bytes);
  const log = PartitionLog.open(dir, config, new MemoryLogger());
  const partition = new Partition('t', 0, log, 'none');
  await partition.producerState.loading;
  await log.scrubbed;
  assert.equal(partition.highWatermark, 50 * 3, 'ListOffsets and Fetch see the log end at the damage');
  await partition.close();
});

test('issue 9 restart: a restart after kill -9 makes no synchronous fsync per partition; the first sync round makes the recovered bytes durable', async (t) => {
  const { dir, synced } = await killedAfterCheckpoint(t, 5);
  const calls: string[] = [];
  const fs: FileSystem = {
    ...nodeFs,
    fsync: (fd) => {
      calls.push('fsync');
      return nodeFs.fsync(fd);
    },
    fdatasyncSync: (fd) => {
      calls.push('fdatasyncSync');
      return nodeFs.fdatasyncSync(fd);
    },
    fsyncDir: (d) => {
      calls.push('fsyncDir');
      return nodeFs.fsyncDir(d);
    },
  };
  setStorageFs(fs);
  let log: PartitionLog;
  try {
    log = PartitionLog.open(dir, config, new MemoryLogger());
  } finally {
    setStorageFs(nodeFs);
  }
  assert.deepEqual(calls, [], 'open blocks on no fsync');
  // The five batches above the recovery point may still be in the page cache only: until the
  // first round has synced them they are not durable, and consumers do not see them yet.
  assert.equal(log.flushedOffset, synced);
  const partition = new Partition('t', 0, log, 'group');
  assert.equal(partition.highWatermark, synced);
  await log.flush();
  assert.equal(log.flushedOffset, 205 * 3);
  // Bounded wait for the partition's own flush callback.
  for (let i = 0; i < 100 && partition.highWatermark < 205 * 3; i++) await new Promise((r) => setImmediate(r));
  assert.equal(partition.highWatermark, 205 * 3);
  await partition.close();
});

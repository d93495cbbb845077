// B6 (docs/reliability.md), issue 9 item 3: damage in a sealed segment of a Raft log. Segments that
// end below the checkpoint's recovery point are loaded trusted (headers and index only, no CRC), so
// a flipped bit in their synced data survives a restart. The replica must never serve, apply or
// replicate the changed batch: reads of segments not yet CRC-checked check each batch they return,
// and the background scrub checks them all; damage found either way marks the log damaged for the
// next open, which takes the lost-state path (a new group-level storage id, repaired from peers).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { FileRaftStateStore } from '../../../src/partition/raft-state-store.ts';
import { batchCrcIsValid, LOG_OVERHEAD_BYTES } from '../../../src/protocol/record-batch.ts';
import { logConfig, SILENT_LOGGER } from '../../../src/storage/log-config.ts';
import { LogDamagedError } from '../../../src/storage/errors.ts';
import { readCheckpoint } from '../../../src/storage/checkpoint.ts';
import { ScrubQueue } from '../../../src/storage/scrub-queue.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';
import { entries, tempDir } from './raft-log-fixtures.ts';

const NODE = 'disk-1';
const members = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));
const smallSegments = logConfig({ segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1, retentionBytes: -1 });
const LAST = 40;

/** A founded group with entries 1..LAST in many sealed segments, committed up to `commit`, closed cleanly. */
async function closedGroup(dir: string, commit = LAST): Promise<void> {
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE });
  sto.bootstrap({ voters: members, learners: [] });
  sto.append(entries(4, LAST, 2));
  await sto.sync();
  sto.setHardState({ term: 2, vote: 1, commit });
  await sto.close();
}

/**
 * Flips one bit of the batch at `raftIndex` (counted over the sorted segment files): in its records
 * (its CRC-32C no longer matches), or in its term (partitionLeaderEpoch, which the CRC does not cover).
 */
function flipBit(dir: string, raftIndex: number, where: 'records' | 'term' = 'records'): string {
  let index = 0;
  const logs = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  for (const name of logs) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    // Bounded by the file size: every step moves past one whole batch.
    for (let position = 0; position + 12 <= bytes.length; ) {
      const size = LOG_OVERHEAD_BYTES + bytes.readInt32BE(position + 8);
      if (++index === raftIndex) {
        assert.notEqual(name, logs[logs.length - 1], 'the flip is in a sealed segment');
        if (where === 'records') bytes[position + size - 5] ^= 0x10;
        else bytes[position + 15] ^= 0x01;
        writeFileSync(path, bytes);
        return path;
      }
      position += size;
    }
  }
  throw new Error(`entry ${raftIndex} not found`);
}

/** A queue the test runs by hand (the process-wide one waits SCRUB_START_DELAY_MS). */
function runAll(queue: ScrubQueue): void {
  // Bounded: each step checks at least one batch, and the log has LAST of them.
  for (let i = 0; i < 10_000 && queue.pending > 0; i++) queue.runStep();
  assert.equal(queue.pending, 0);
}

test('B6: a bit flip in a sealed segment is never served by a Raft read (issue 9 item 3)', async (t) => {
  const dir = tempDir(t, 'runnel-sealed-');
  await closedGroup(dir);
  flipBit(dir, 6);
  const queue = new ScrubQueue({ manual: true });
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, scrubQueue: queue });
  assert.equal(sto.lostReason, null, 'a clean shutdown trusts every segment: open finds nothing');
  const log = sto.log as PartitionLog;
  // What a leader sends a lagging follower, and what the replica applies after a restart: each
  // batch read from a segment not yet CRC-checked is checked before it leaves the log.
  assert.throws(() => {
    for (const e of sto.entries(1, LAST + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type === 'normal' && e.data.length > 0) assert.ok(batchCrcIsValid(Buffer.from(e.data), 0, e.data.length), `entry ${e.index} served with a bad CRC`);
    }
  }, LogDamagedError);
  assert.notEqual(log.damage, null);
  assert.match(log.damage!.reason, /CRC/);
  // Entries before the damage are still readable (the lost-state path discards them anyway).
  assert.equal(sto.entries(1, 6, Number.MAX_SAFE_INTEGER).length, 5);
  await sto.close();
  // The next open finds the damage at once (the checkpoint names the segment), and takes the lost-state path.
  const again = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, newStorageId: () => `${NODE}/new` });
  assert.match(again.lostReason ?? '', /damaged/);
  assert.equal(again.storageId, `${NODE}/new`);
  assert.equal(again.lastIndex(), 0);
  await again.close();
  // The reset removed the damaged segment: the checkpoint no longer sends open to check it.
  assert.equal(readCheckpoint(dir, SILENT_LOGGER)?.verifyFrom, undefined);
  const third = RaftLogStorage.open(dir, smallSegments, { storageId: NODE });
  assert.equal(third.lostReason, null);
  assert.equal(third.storageId, `${NODE}/new`);
  await third.close();
});

test('B6: the scrub CRC-checks every sealed segment of a Raft log in the background and reports damage (issue 9 item 3)', async (t) => {
  const dir = tempDir(t, 'runnel-sealed-');
  await closedGroup(dir);
  const path = flipBit(dir, 30);
  const queue = new ScrubQueue({ manual: true });
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, scrubQueue: queue });
  const found: string[] = [];
  sto.onDamage((damage) => found.push(damage.path));
  assert.equal(sto.lostReason, null);
  assert.ok(queue.pending > 0, 'a Raft log schedules a scrub of the segments open trusted');
  runAll(queue);
  await (sto.log as PartitionLog).scrubbed;
  assert.deepEqual(found, [path]);
  // The Raft view of the log is left as it was: the group is stopped by whoever listens, not cut under it.
  assert.equal(sto.lastIndex(), LAST);
  assert.equal(readCheckpoint(dir, SILENT_LOGGER)?.verifyFrom !== undefined, true, 'a restart now would check that segment at open');
  // As ClusterReplicaManager does: a new storage over the same open log takes the lost-state path.
  sto.detach();
  const again = new RaftLogStorage(sto.log, new FileRaftStateStore(dir), { storageId: NODE, newStorageId: () => `${NODE}/new` });
  assert.match(again.lostReason ?? '', /damaged/);
  assert.equal(again.lastIndex(), 0);
  assert.equal(readCheckpoint(dir, SILENT_LOGGER)?.verifyFrom, undefined, 'the damaged segment is gone: nothing left to check at open');
  await again.close();
});

test('B6: a bit flip in the term of a batch in a sealed segment (outside the CRC) is found by the scrub and by the next open', async (t) => {
  const dir = tempDir(t, 'runnel-sealed-');
  await closedGroup(dir);
  flipBit(dir, 20, 'term');
  const queue = new ScrubQueue({ manual: true });
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, scrubQueue: queue });
  const found: string[] = [];
  sto.onDamage((damage) => found.push(damage.reason));
  runAll(queue);
  assert.equal(found.length, 1);
  assert.match(found[0], /term 3/);
  await sto.close();
  const again = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, newStorageId: () => `${NODE}/new` });
  assert.match(again.lostReason ?? '', /damaged.*term 3/);
  await again.close();
});

test('B6: the scrub of an undamaged Raft log finds nothing, and every entry reads back', async (t) => {
  const dir = tempDir(t, 'runnel-sealed-');
  await closedGroup(dir);
  const queue = new ScrubQueue({ manual: true });
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, scrubQueue: queue });
  const found: string[] = [];
  sto.onDamage((damage) => found.push(damage.path));
  runAll(queue);
  assert.deepEqual(found, []);
  assert.equal(sto.entries(1, LAST + 1, Number.MAX_SAFE_INTEGER).length, LAST);
  assert.equal((sto.log as PartitionLog).damage, null);
  await sto.close();
});

test('B6: a follower truncating its uncommitted tail while the scrub runs leaves it nothing false to find', async (t) => {
  const dir = tempDir(t, 'runnel-sealed-');
  await closedGroup(dir, 20);
  const queue = new ScrubQueue({ manual: true });
  const sto = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, scrubQueue: queue });
  const found: string[] = [];
  sto.onDamage((damage) => found.push(damage.reason));
  queue.runStep();
  // A new leader's entries of term 3 replace 25..40 (Raft §5.3): segments are cut and deleted
  // under the scrub, and new ones written.
  sto.append(entries(25, 45, 3));
  runAll(queue);
  assert.deepEqual(found, []);
  assert.equal(sto.entries(1, 46, Number.MAX_SAFE_INTEGER).length, 45);
  assert.equal(sto.term(30), 3);
  await sto.close();
});

// Issue 12, DeleteRecords in cluster mode (replicated-partition.ts): the leader's command is a
// Raft-only entry; every replica moves its log start when it applies it, a replica restored from
// a snapshot starts where the sender's log starts, and a replica that stored the commit covering
// the command but crashed before applying it applies it again when it opens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLogStorage, decodeSnapshotData } from '../../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition, recoverLogStart } from '../../../src/partition/replicated-partition.ts';
import { decodeEntry, deleteRecordsBatch, deleteRecordsTarget, encodeEntry } from '../../../src/partition/raft-entry-codec.ts';
import { isRaftOnlyBatch, OffsetTranslator } from '../../../src/storage/offset-translator.ts';
import { logConfig } from '../../../src/storage/log-config.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { entries, produced, tempDir } from './raft-log-fixtures.ts';

const members = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));
const command = (index: number, term: number, logStart: number): Entry => ({ index, term, type: 'normal', data: deleteRecordsBatch(logStart) });

/** A follower's storage founded with entries 4..last of term 2 (three records each), commit `commit`, synced. */
async function follower(storage: RaftLogStorage, last: number, commit: number): Promise<RaftLogStorage> {
  storage.bootstrap({ voters: members, learners: [] });
  storage.append(entries(4, last, 2));
  await storage.sync();
  storage.setHardState({ term: 2, vote: 1, commit });
  await storage.sync();
  return storage;
}

function applyAll(replica: ReplicatedPartition, storage: RaftLogStorage, from: number, to: number): void {
  for (const e of storage.entries(from, to + 1, Number.MAX_SAFE_INTEGER)) replica.apply(e);
}

test('issue 12: a DeleteRecords command is a Raft-only control batch that round-trips as a normal entry', () => {
  const batch = deleteRecordsBatch(1234);
  assert.equal(deleteRecordsTarget(batch), 1234);
  // It takes no Kafka offset (offset-translator.ts) and clients never read it.
  assert.ok(isRaftOnlyBatch(batch));
  const stored = encodeEntry({ index: 9, term: 3, type: 'normal', data: batch });
  assert.ok(stored.equals(batch));
  const back = decodeEntry(9, 3, stored);
  assert.equal(back.type, 'normal');
  assert.equal(deleteRecordsTarget(back.data), 1234);
  // Produced batches and the other Raft entries are not commands.
  assert.equal(deleteRecordsTarget(produced(1)), null);
  assert.equal(deleteRecordsTarget(encodeEntry({ index: 1, term: 1, type: 'normal', data: new Uint8Array(0) })), null);
});

test('issue 12: OffsetTranslator.newestBelow lists the newest Raft-only batches below an offset, newest first, bounded', () => {
  const t = new OffsetTranslator();
  for (const o of [2, 5, 9, 12]) t.add(o);
  assert.deepEqual(t.newestBelow(10, 64), [9, 5, 2]);
  assert.deepEqual(t.newestBelow(13, 2), [12, 9]);
  assert.deepEqual(t.newestBelow(2, 64), []);
});

test('issue 12: every replica moves its log start when it applies the command, in the same place', async () => {
  const replicas = await Promise.all(
    [1, 2].map(async (id) => {
      const storage = await follower(RaftLogStorage.inMemory(`disk-${id}`), 10, 3);
      return { storage, replica: new ReplicatedPartition('t', 0, storage, id, () => undefined) };
    }),
  );
  const target = replicas[0].storage.offsetAfter(7) + 1; // inside entry 8's batch of three records
  for (const { storage, replica } of replicas) {
    storage.append([command(11, 2, target)]);
    await storage.sync();
    storage.setHardState({ term: 2, vote: 1, commit: 11 });
    await storage.sync();
    applyAll(replica, storage, 4, 10);
    assert.equal(replica.logStartOffset, 0, 'applying records moves nothing');
    applyAll(replica, storage, 11, 11);
    assert.equal(replica.logStartOffset, target);
    assert.equal(storage.firstIndex(), 8, 'the entry holding the new log start stays, as Kafka keeps the batch');
    // A command naming an earlier start (a retried request) never moves it back.
    storage.append([command(12, 2, target - 2)]);
    await storage.sync();
    storage.setHardState({ term: 2, vote: 1, commit: 12 });
    await storage.sync();
    applyAll(replica, storage, 12, 12);
    assert.equal(replica.logStartOffset, target);
  }
});

test('issue 12: a replica restored from a snapshot starts its log where the sender does, inside an entry too', async () => {
  const leader = await follower(RaftLogStorage.inMemory('disk-1'), 10, 10);
  const target = leader.offsetAfter(7) + 2;
  leader.log.deleteRecordsBefore(target);
  const snapshot = leader.logStartSnapshot();
  assert.equal(decodeSnapshotData(snapshot.data).logStartOffset, target);
  const storage = RaftLogStorage.inMemory('disk-2');
  const replica = new ReplicatedPartition('t', 0, storage, 2, () => undefined);
  storage.applySnapshot(snapshot);
  replica.restore(snapshot);
  // The log restarts empty at the entry holding the sender's start: nothing to cut yet.
  assert.equal(replica.logStartOffset, leader.offsetAfter(7));
  // The entries after the snapshot arrive; once they are durable and committed the start moves.
  storage.append(leader.entries(8, 11, Number.MAX_SAFE_INTEGER));
  await storage.sync();
  storage.setHardState({ term: 2, vote: 1, commit: 10 });
  await storage.sync();
  applyAll(replica, storage, 8, 10);
  replica.onPersisted(10);
  assert.equal(replica.logStartOffset, target);
  assert.equal(replica.logStartOffset, leader.log.logStartOffset);
});

test('issue 12: a replica that stored the commit covering a command but crashed before applying it applies it when it opens', async (t) => {
  const dir = tempDir(t, 'runnel-delrec-');
  const config = logConfig();
  const storage = await follower(RaftLogStorage.open(dir, config, { storageId: 'disk-1' }), 10, 10);
  const target = storage.offsetAfter(6);
  storage.append([command(11, 2, target), ...entries(12, 13, 2)]);
  await storage.sync();
  storage.setHardState({ term: 2, vote: 1, commit: 13 });
  await storage.sync();
  // The crash: the commit is stored, the command never applied.
  assert.equal(storage.log.logStartOffset, 0);
  await storage.close();

  const reopened = RaftLogStorage.open(dir, config, { storageId: 'disk-1' });
  assert.equal(recoverLogStart(reopened.log, reopened.offsetAfter(13)), target);
  // An uncommitted command (beyond the high watermark) is not applied.
  assert.equal(recoverLogStart(reopened.log, reopened.offsetAfter(10)), 0);
  const replica = new ReplicatedPartition('t', 0, reopened, 1, () => undefined);
  assert.equal(replica.logStartOffset, target);
  assert.equal(reopened.firstIndex(), 7);
  await replica.close();
});

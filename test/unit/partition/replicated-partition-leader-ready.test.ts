// A new leader does not know the high watermark until an entry of its own term commits
// (Raft §5.4.2: only then is every earlier entry known to be committed; §8: a leader commits a
// blank entry at the start of its term to learn it). Before that its high watermark can lag the
// old leader's by the entries the old leader committed but never told it about, so a reader
// would see acknowledged records missing and the log end go backwards (KIP-207 answers
// ListOffsets with OFFSET_NOT_AVAILABLE in the same window). Found by the whole-cluster power
// loss test: after all three brokers restarted, the new leader served Fetch with a high
// watermark of 980 of 1,000 acknowledged records.
//
// Rule checked: a replica serves clients (ClusterReplicaManager.partition) only once it leads
// AND an entry of its current term is committed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry, RaftNode } from '../../../src/raft/index.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';

const batch = (value: string) => buildRecordBatch({ records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: 1000 }] });

/** A follower's replica whose log holds `count` records of term 1, of which the first `committed` are known committed here. */
function followerWith(count: number, committed: number): { storage: RaftLogStorage; partition: ReplicatedPartition; entries: Entry[] } {
  const storage = RaftLogStorage.inMemory('disk-1');
  storage.bootstrap({
    voters: [
      { id: 1, storageId: 'disk-1' },
      { id: 2, storageId: 'disk-2' },
      { id: 3, storageId: 'disk-3' },
    ],
    learners: [],
  });
  const first = storage.lastIndex() + 1;
  const entries: Entry[] = Array.from({ length: count }, (_, k) => ({ index: first + k, term: 1, type: 'normal' as const, data: batch(`v-${k}`) }));
  storage.append(entries);
  const partition = new ReplicatedPartition('orders', 0, storage, 1, () => undefined);
  partition.attach({ commit: 0 } as unknown as RaftNode);
  for (const e of entries.slice(0, committed)) partition.apply(e);
  partition.onLeaderChange(2, 1);
  return { storage, partition, entries };
}

test('Raft §5.4.2: a new leader does not serve clients until an entry of its own term commits', () => {
  const { storage, partition, entries } = followerWith(5, 3);
  const logEnd = partition.logEndOffset;
  assert.equal(partition.highWatermark, logEnd - 2, 'two of the five records are not known committed here');
  assert.equal(partition.servesClients, false, 'a follower serves no client');

  // Elected in term 2: it holds five records but knows only three to be committed.
  partition.onLeaderChange(1, 2);
  assert.equal(partition.isLeader, true);
  assert.equal(partition.servesClients, false, "the high watermark may lag the old leader's by two records");

  // The old term's entries commit (with the new term's blank entry, in one round) ...
  for (const e of entries.slice(3)) partition.apply(e);
  assert.equal(partition.servesClients, false, 'entries of an older term committing prove nothing about the log end');

  // ... and once the blank entry of term 2 commits, the high watermark covers the whole log.
  const blank: Entry = { index: storage.lastIndex() + 1, term: 2, type: 'normal', data: new Uint8Array() };
  storage.append([blank]);
  partition.apply(blank);
  assert.equal(partition.highWatermark, partition.logEndOffset);
  assert.ok(partition.highWatermark >= logEnd);
  assert.equal(partition.servesClients, true);

  // Deposed in term 3: no longer serves, and a later term needs its own committed entry.
  partition.onLeaderChange(3, 3);
  assert.equal(partition.servesClients, false);
  partition.onLeaderChange(1, 4);
  assert.equal(partition.servesClients, false);
});

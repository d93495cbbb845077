// Chaos bug B2 (docs/reliability.md): a leader paused with an entry in flight resumes, learns
// of the new leader and, in the same Raft host round, applies the new leader's committed entry
// at the index its own entry had. The acks=all waiter was keyed by the Raft index only, so it
// resolved: the producer was told its record was committed while another entry held its place.
// Raft §5.3/§5.4: an entry is committed only if the entry at that index has the term it was
// proposed in (Log Matching makes the last entry's term enough for a whole batch).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RaftNode } from '../../../src/raft/index.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';

const batch = (value: string) => buildRecordBatch({ records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: 1000 }] });

/** A leader's partition whose proposals land in its own log at `term`, as RaftNode would put them there. */
function leaderAt(term: number): { storage: RaftLogStorage; partition: ReplicatedPartition } {
  const storage = RaftLogStorage.inMemory('disk-1');
  storage.bootstrap({
    voters: [
      { id: 1, storageId: 'disk-1' },
      { id: 2, storageId: 'disk-2' },
      { id: 3, storageId: 'disk-3' },
    ],
    learners: [],
  });
  const partition = new ReplicatedPartition('orders', 0, storage, 1, () => undefined);
  const node = {
    commit: storage.getHardState().commit,
    proposeBatch(datas: readonly Uint8Array[]) {
      const index = storage.lastIndex() + 1;
      storage.append(datas.map((data, k) => ({ index: index + k, term, type: 'normal' as const, data })));
      return { ok: true as const, index };
    },
  } as unknown as RaftNode;
  partition.attach(node);
  partition.onLeaderChange(1, term);
  return { storage, partition };
}

test("chaos B2: an acks=all waiter does not resolve when another term's entry commits at its index (Raft §5.4)", async () => {
  const { storage, partition } = leaderAt(12);
  const pending = partition.append([batch('mine')]);
  const index = storage.lastIndex();
  partition.onPersisted(index);
  const { committed } = await pending;
  // The new leader's entry (term 13) replaces ours at the same index, then commits, all in the
  // round in which this node learns of the new leader: the host applies before it notices.
  const theirs = { index, term: 13, type: 'normal' as const, data: batch('theirs') };
  storage.append([theirs]);
  storage.setHardState({ term: 13, vote: 0, commit: index });
  partition.apply(theirs);
  partition.onLeaderChange(2, 13);
  await assert.rejects(committed, /not the leader|NOT_LEADER|leader/i);
});

test('chaos B2: the waiter still resolves when its own entry commits', async () => {
  const { storage, partition } = leaderAt(12);
  const pending = partition.append([batch('mine')]);
  const index = storage.lastIndex();
  partition.onPersisted(index);
  const { committed } = await pending;
  storage.setHardState({ term: 12, vote: 1, commit: index });
  partition.apply({ index, term: 12, type: 'normal', data: new Uint8Array() });
  await committed;
});

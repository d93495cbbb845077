// Founding a partition group survives a power loss (bug B5, docs/reliability.md): after a power
// loss at any point after RaftLogStorage.bootstrap() returns, or during it, the reopened replica
// holds the whole founding configuration or none of it, never a prefix. A prefix that names only
// this node as a voter lets it elect itself alone in term 1 and commit entries the group never saw
// (Raft §5.4: a configuration a node acts on must be the group's).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { FileRaftStateStore } from '../../../src/partition/raft-state-store.ts';
import { bootstrapEntries } from '../../../src/raft/storage.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { PageCacheFs } from '../../helpers/page-cache-fs.ts';

const DIR = '/data/t-0';
const founders = { voters: [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` })), learners: [] };

/** One node's disk: a log that loses its unsynced tail (keeping `survivors` batches) and raft.state on a page cache. */
function disk() {
  const fs = new PageCacheFs();
  const log = new MemoryLog();
  const open = () => new RaftLogStorage(log, new FileRaftStateStore(DIR, fs), { storageId: 'disk-1', group: 't-0', known: true });
  const powerLoss = (survivors: number) => {
    log.crash(survivors);
    fs.powerLoss();
  };
  return { log, open, powerLoss };
}

/** The founding is complete (every founder a voter, committed in term 1) or absent (an empty, termless log). */
function assertCompleteOrAbsent(storage: RaftLogStorage, what: string): void {
  if (storage.lastIndex() === 0) {
    assert.equal(storage.getHardState().term, 0, `${what}: an empty log with a term`);
    return;
  }
  const conf = storage.confStateAt(storage.lastIndex());
  assert.deepEqual(
    conf.voters.map((m) => m.id),
    [1, 2, 3],
    `${what}: founding configuration after the power loss (a prefix lets node 1 elect itself alone)`,
  );
}

test('B5: a power loss right after bootstrap() leaves the founding configuration complete, whatever part of the unsynced tail survives', () => {
  for (let survivors = 0; survivors <= 3; survivors++) {
    const d = disk();
    d.open().bootstrap(founders, 't-0');
    d.powerLoss(survivors);
    const reopened = d.open();
    assertCompleteOrAbsent(reopened, `${survivors} unsynced batches survived`);
    // bootstrap() returns with the founding durable: it is there, not absent.
    assert.equal(reopened.lastIndex(), 3);
    assert.deepEqual(reopened.getHardState(), { term: 1, vote: 0, commit: 3 });
  }
});

test('B5: a founding torn by a power loss during its own sync (entries on disk, raft.state never written) is dropped, and the founder founds again', async () => {
  const d = disk();
  const storage = d.open();
  // What the disk may hold when the power goes while bootstrap() syncs: a prefix of the founding
  // entries reached the disk; the hard state that commits them (term 1) did not.
  storage.append(bootstrapEntries(founders, 't-0').slice(0, 1));
  await d.log.flush();
  d.powerLoss(0);
  const reopened = d.open();
  assertCompleteOrAbsent(reopened, 'torn founding');
  // Nothing of it was acknowledged to anyone (a replica acts only on what its durable term covers): found again.
  reopened.bootstrap(founders, 't-0');
  assert.equal(reopened.confStateAt(3).voters.length, 3);
});

// FileRaftStateStore (raft.state, docs/storage.md) on a file system that models the page cache
// (test/helpers/page-cache-fs.ts): what it reports as durable survives a power loss.

import test from 'node:test';
import assert from 'node:assert/strict';
import { FileRaftStateStore, type PersistedRaftState } from '../../../src/partition/raft-state-store.ts';
import { PageCacheFs } from '../../helpers/page-cache-fs.ts';

const dir = '/sim/orders-0';

function state(term: number, vote: number): PersistedRaftState {
  return {
    storageId: 'disk-1',
    hardState: { term, vote, commit: 0 },
    confBase: { index: 0, confState: { voters: [{ id: 1, storageId: 'disk-1' }], learners: [] } },
    confChanges: [],
    checkpointIndex: 0,
    installed: null,
  };
}

test('saveNow is durable and save is not, until sync (the page-cache model works)', async () => {
  const fs = new PageCacheFs();
  const store = new FileRaftStateStore(dir, fs);
  assert.equal(store.load(), null);
  store.saveNow(state(3, 1));
  store.save(state(4, 2));
  fs.powerLoss();
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 3, vote: 1, commit: 0 });

  const again = new FileRaftStateStore(dir, fs);
  again.load();
  again.save(state(5, 2));
  await again.sync();
  fs.powerLoss();
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 5, vote: 2, commit: 0 });
});

test('term and vote adopted after kill -9 from an unsynced slot are durable before load() returns (issue 9 item 6; Raft §5.1 "persistent state")', () => {
  const fs = new PageCacheFs();
  const first = new FileRaftStateStore(dir, fs);
  first.load();
  first.saveNow(state(3, 1)); // A, durable
  first.save(state(4, 2)); // B, in the page cache only
  // kill -9: the process is gone, the page cache is not. The restarted node adopts B and may
  // act on it (vote in term 4, or lead it), so B must not be lost afterwards.
  const restarted = new FileRaftStateStore(dir, fs);
  assert.deepEqual(restarted.load()?.hardState, { term: 4, vote: 2, commit: 0 });
  fs.powerLoss();
  const afterPowerLoss = new FileRaftStateStore(dir, fs);
  assert.deepEqual(afterPowerLoss.load()?.hardState, { term: 4, vote: 2, commit: 0 }, 'the adopted term and vote survive a later power loss');
});

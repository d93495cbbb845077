// FileRaftStateStore (raft.state, docs/storage.md) on a file system that models the page cache
// (test/helpers/page-cache-fs.ts): what it reports as durable survives a power loss.

import test from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../../../src/base/invariant.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import { FileRaftStateStore, SLOT_BYTES, StateJson, type PersistedRaftState } from '../../../src/partition/raft-state-store.ts';
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

test('saveNow is durable at once; a save (a new term or vote too) once sync() resolves, and its copy in the other slot with it (the page-cache model works; B12)', async () => {
  const fs = new PageCacheFs();
  const store = new FileRaftStateStore(dir, fs);
  assert.equal(store.load(), null);
  store.saveNow(state(3, 1));
  store.save({ ...state(3, 1), hardState: { term: 3, vote: 1, commit: 4 } });
  fs.powerLoss();
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 3, vote: 1, commit: 0 });
  const voted = new FileRaftStateStore(dir, fs);
  voted.load();
  voted.save(state(4, 2)); // a new term and vote: mirrored by the next sync(), not before
  fs.powerLoss();
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 3, vote: 1, commit: 0 }, 'not durable before sync()');
  const votedAgain = new FileRaftStateStore(dir, fs);
  votedAgain.load();
  votedAgain.save(state(4, 2));
  await votedAgain.sync();
  fs.powerLoss();
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 4, vote: 2, commit: 0 });

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

test('a write torn by a power loss never makes an older state read as the newest (Raft §5.1: the stored term never goes back; chaos bug B11)', async () => {
  // Slot 0 holds {term 2} (sequence 1), slot 1 {term 3} (sequence 2, synced); the next write,
  // {term 3, commit 18}, goes to slot 0 and a power loss keeps only its first `cut` bytes. A
  // header sequence over the old body used to read as the newest state: term 2 after term 3.
  const full = 24 + Buffer.byteLength(JSON.stringify({ ...state(3, 3), hardState: { term: 3, vote: 3, commit: 18 } }));
  for (let cut = 0; cut <= full; cut++) {
    const fs = new PageCacheFs();
    const store = new FileRaftStateStore(dir, fs);
    store.load();
    store.saveNow(state(2, 2));
    store.save(state(3, 3));
    await store.sync();
    store.save({ ...state(3, 3), hardState: { term: 3, vote: 3, commit: 18 } });
    fs.powerLoss({ keep: () => 0, cut: () => cut });
    const loaded = new FileRaftStateStore(dir, fs).load()?.hardState;
    const expected = cut === full ? { term: 3, vote: 3, commit: 18 } : { term: 3, vote: 3, commit: 0 };
    assert.deepEqual(loaded, expected, `write torn after ${cut} of ${full} bytes`);
  }
});

test('a version-1 slot (CRC of the body only, written before B11) still reads; the next write is newer', async () => {
  // docs/storage.md "raft.state": a disk written by an earlier Runnel keeps its Raft state.
  const fs = new PageCacheFs();
  fs.mkdir(dir);
  const body = Buffer.from(JSON.stringify(state(7, 2)));
  const header = Buffer.alloc(24);
  header.writeUInt32BE(0x524e5253, 0);
  header.writeUInt16BE(1, 4);
  header.writeBigInt64BE(5n, 8);
  header.writeUInt32BE(body.length, 16);
  header.writeUInt32BE(crc32c(body), 20);
  fs.writeFile(`${dir}/raft.state`, Buffer.concat([header, body]));
  const store = new FileRaftStateStore(dir, fs);
  assert.deepEqual(store.load()?.hardState, { term: 7, vote: 2, commit: 0 });
  store.save(state(8, 1));
  await store.sync();
  assert.equal(fs.readFile(`${dir}/raft.state`).readUInt16BE(SLOT_BYTES + 4), 2, 'the new state went to the other slot as version 2');
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 8, vote: 1, commit: 0 });
});

test('the store refuses to write a term below, or another vote in the same term than, the last one (Raft §5.1: the stored term never goes back; §5.2: one vote per term)', () => {
  const fs = new PageCacheFs();
  const store = new FileRaftStateStore(dir, fs);
  store.load();
  store.save(state(3, 2));
  assert.throws(() => store.save(state(2, 2)), InvariantError);
  assert.throws(() => store.saveNow(state(3, 1)), InvariantError);
  assert.throws(() => store.save(state(3, 0)), InvariantError);
  store.save(state(4, 0)); // a new term, no vote yet
  store.save(state(4, 1)); // the vote in it
  // Checked against what load() found too, so across a restart.
  const restarted = new FileRaftStateStore(dir, fs);
  assert.deepEqual(restarted.load()?.hardState, { term: 4, vote: 1, commit: 0 });
  assert.throws(() => restarted.save(state(3, 1)), InvariantError);
  // A new storage id is a new replica (the lost-state path): it starts at term 0.
  restarted.saveNow({ ...state(0, 0), storageId: 'disk-1/2' });
});

// The body written is JSON.stringify(state), byte for byte, while the writer changes the state as
// RaftLogStorage does (new hard state each time; history appended, cut from the front, folded
// into a new base; a snapshot installed): reusing a field's encoding must never write a stale one.
test('raft.state body: the cached encoding equals JSON.stringify through every kind of history change', () => {
  const enc = new StateJson();
  const st = state(1, 1);
  const check = (what: string) => assert.equal(enc.encode(st), JSON.stringify(st), what);
  check('fresh');
  for (let i = 1; i <= 40; i++) {
    st.hardState = { term: 1 + (i >> 3), vote: 1, commit: i };
    check(`commit ${i}`);
    if (i % 3 === 0) {
      st.confChanges.push({ index: i, cc: { type: 'addLearner', nodeId: 2 + (i % 4), storageId: `disk-${i}` } });
      check(`push at ${i}`);
    }
    if (i % 7 === 0) {
      // Same length, other ends: one cut from the front, one appended.
      st.confChanges.shift();
      st.confChanges.push({ index: i, cc: { type: 'removeNode', nodeId: 3, storageId: '' } });
      check(`shift and push at ${i}`);
    }
    if (i % 11 === 0) {
      st.confChanges.splice(0, 2);
      st.confBase = {
        index: i - 1,
        confState: {
          voters: [
            { id: 1, storageId: 'disk-1' },
            { id: 2, storageId: `disk-${i}` },
          ],
          learners: [],
        },
      };
      check(`fold at ${i}`);
    }
    if (i === 30) {
      st.installed = { index: 30, term: 4, offset: 77 };
      st.checkpointIndex = 30;
      check('snapshot installed');
    }
  }
  const withSpread = { ...st, hardState: { ...st.hardState, commit: 5 } };
  assert.equal(enc.encode(withSpread), JSON.stringify(withSpread));
});

/** Power fails at the `at`-th blocking fsync from arming (that fsync and what follows never happen). */
class PowerCut {
  private left = Infinity;
  arm(at: number): void {
    this.left = at;
  }
  syncNow(): void {
    if (--this.left <= 0) throw new Error('power lost');
  }
  syncLater(): Promise<void> {
    return Promise.resolve();
  }
}

/** Store with term 9 (vote 2) and then term 10 (vote 1) written and synced: both durable. */
async function termTenDurable(fs: PageCacheFs): Promise<FileRaftStateStore> {
  const store = new FileRaftStateStore(dir, fs);
  store.load();
  store.saveNow(state(9, 2));
  store.save(state(10, 1));
  await store.sync();
  return store;
}

test('a bit flipped in either raft.state slot after a durable vote never loads an older term or vote (Raft §5.2: a vote is durable; B12)', async () => {
  for (const slot of [0, 1]) {
    const fs = new PageCacheFs();
    await termTenDurable(fs);
    fs.damageDurable(`${dir}/raft.state`, slot * SLOT_BYTES + 40, 3); // a body byte: the CRC fails
    const store = new FileRaftStateStore(dir, fs);
    assert.deepEqual(store.load()?.hardState, { term: 10, vote: 1, commit: 0 }, `bit flipped in slot ${slot}`);
    // The next write restores the second copy: a flip of the other slot afterwards is survived too.
    store.save({ ...state(10, 1), hardState: { term: 10, vote: 1, commit: 0 } });
    await store.sync();
    fs.damageDurable(`${dir}/raft.state`, (1 - slot) * SLOT_BYTES + 40, 3);
    assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 10, vote: 1, commit: 0 }, `then slot ${1 - slot}`);
  }
});

test('a durable (term/vote) raft.state write torn at any byte, at any fsync, loads the previous durable state or the new one, never older (Raft §5.1/§5.2; B12)', async () => {
  const full = 24 + Buffer.byteLength(JSON.stringify(state(11, 3)));
  for (const at of [1, 2, 3]) {
    for (let cut = 0; cut <= full; cut++) {
      const cutter = new PowerCut();
      const fs = new PageCacheFs(cutter);
      const store = await termTenDurable(fs);
      cutter.arm(at);
      let acknowledged = false;
      try {
        store.save(state(11, 3));
        await store.sync();
        acknowledged = true;
      } catch {
        // the power went during the write
      }
      fs.powerLoss({ keep: () => 0, cut: () => cut });
      cutter.arm(Infinity);
      const loaded = new FileRaftStateStore(dir, fs).load()?.hardState;
      const what = `power lost at fsync ${at}, write torn after ${cut} of ${full} bytes`;
      if (acknowledged) assert.deepEqual(loaded, { term: 11, vote: 3, commit: 0 }, what);
      else assert.ok(loaded !== undefined && (loaded.term === 10 || loaded.term === 11), `${what}: loaded ${JSON.stringify(loaded)}`);
      if (loaded?.term === 10) assert.equal(loaded.vote, 1, what);
      if (loaded?.term === 11) assert.equal(loaded.vote, 3, what);
    }
  }
});

test('two faults at once (a torn write and a flipped bit in the other slot) report raft.state as unreadable, never an older state (B12: the lost-state path)', async () => {
  const fs = new PageCacheFs();
  const store = await termTenDurable(fs);
  store.save({ ...state(10, 1), hardState: { term: 10, vote: 1, commit: 5 } }); // commit only
  fs.powerLoss({ keep: () => 0, cut: () => 30 });
  // The commit-only write went to slot 0 (torn); flip slot 1, which holds term 10.
  fs.damageDurable(`${dir}/raft.state`, SLOT_BYTES + 40, 3);
  const reopened = new FileRaftStateStore(dir, fs);
  assert.equal(reopened.load(), null);
  assert.equal(reopened.unreadable(), true);
});

test('load() puts the newest term and vote into both slots before anything acts on them, so a commit-only write torn next never falls back to an older term (Raft §5.1; B12 after a crash between the two copies)', () => {
  const fs = new PageCacheFs();
  const first = new FileRaftStateStore(dir, fs);
  first.load();
  first.saveNow(state(9, 2)); // both slots: term 9
  first.save(state(10, 1)); // slot A: term 10; its copy in B waits for a sync() that never comes
  // kill -9 (the page cache stays): the restart adopts term 10 and makes it durable.
  const restarted = new FileRaftStateStore(dir, fs);
  assert.deepEqual(restarted.load()?.hardState, { term: 10, vote: 1, commit: 0 });
  restarted.save({ ...state(10, 1), hardState: { term: 10, vote: 1, commit: 7 } }); // commit only: slot A, not synced
  fs.powerLoss({ keep: () => 0, cut: () => 30 }); // that write torn
  const loaded = new FileRaftStateStore(dir, fs).load()?.hardState;
  assert.deepEqual(loaded, { term: 10, vote: 1, commit: 0 }, `loaded ${JSON.stringify(loaded)}: a durable term went back`);
});

test("load()'s copy into the other slot writes the newest record (header and body), not the whole 64 KiB slot it sits in (B12's copy at open)", () => {
  const fs = new WriteCountingFs();
  const first = new FileRaftStateStore(dir, fs);
  first.load();
  first.saveNow(state(9, 2)); // both slots: term 9
  first.save(state(10, 1)); // slot A: term 10, not copied to B (no sync())
  const restarted = new FileRaftStateStore(dir, fs);
  fs.written = 0;
  assert.deepEqual(restarted.load()?.hardState, { term: 10, vote: 1, commit: 0 });
  const record = 24 + Buffer.byteLength(JSON.stringify(state(10, 1)));
  assert.equal(fs.written, record, 'bytes written by the copy');
  fs.powerLoss();
  fs.damageDurable(`${dir}/raft.state`, 40, 3); // slot A's body: only the copy in B is left
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 10, vote: 1, commit: 0 }, 'the copy is whole');
});

/** Counts the bytes written through it. */
class WriteCountingFs extends PageCacheFs {
  written = 0;
  override write(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    this.written += length;
    return super.write(fd, buffer, offset, length, position);
  }
}

test("a saveNow() during sync()'s fdatasync keeps its newer record in the other slot: sync() does not copy its older one over it (Raft §5.1; B12's mirrored copy)", async () => {
  const held = new HeldSyncs();
  const fs = new PageCacheFs(held);
  const store = new FileRaftStateStore(dir, fs);
  store.load();
  store.saveNow(state(9, 2)); // both slots: term 9
  store.save(state(10, 1)); // slot A: term 10, its copy owed to B
  const syncing = store.sync(); // waits on slot A's fdatasync
  await null;
  store.saveNow(state(11, 3)); // both slots: term 11, synchronously
  held.releaseAll();
  await syncing;
  fs.powerLoss();
  fs.damageDurable(`${dir}/raft.state`, 40, 3); // slot A's body: slot B decides
  assert.deepEqual(new FileRaftStateStore(dir, fs).load()?.hardState, { term: 11, vote: 3, commit: 0 }, 'slot B holds the newest record');
});

/** fdatasyncs that complete when the test says. */
class HeldSyncs {
  private held: (() => void)[] = [];
  syncNow(): void {}
  syncLater(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }
  releaseAll(): void {
    const held = this.held;
    this.held = [];
    for (const resolve of held) resolve();
  }
}

// The synced mark of a Raft log (src/storage/synced-mark.ts; docs/storage.md, "synced.mark"):
// two CRC'd slots, the newer valid one wins, a torn write of one leaves the other; lowering is
// synchronous and, when the disk refuses the write, removes the file rather than leave a mark
// above the data (chaos bug B7).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs, setStorageFs } from '../../../src/storage/fs.ts';
import { SILENT_LOGGER } from '../../../src/storage/log-config.ts';
import { SYNCED_MARK_FILE, SyncedMark, readSyncedMark } from '../../../src/storage/synced-mark.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-mark-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('B7: the mark follows advance() in the background, and the newer slot wins', async (t) => {
  const dir = tempDir(t);
  const mark = new SyncedMark(dir, { offset: 0, lastTerm: -1 }, SILENT_LOGGER);
  assert.deepEqual(readSyncedMark(dir), { offset: 0, lastTerm: -1 }, 'created durably at its initial point');
  mark.advance({ offset: 100, lastTerm: 2 });
  mark.advance({ offset: 250, lastTerm: 3 });
  mark.advance({ offset: 200, lastTerm: 3 }); // never backwards
  await mark.settled;
  assert.deepEqual(readSyncedMark(dir), { offset: 250, lastTerm: 3 });
  await mark.close();
  // Reopened, it keeps what is there (it is not reset to its initial point).
  const again = new SyncedMark(dir, { offset: 0, lastTerm: -1 }, SILENT_LOGGER);
  assert.deepEqual(again.point, { offset: 250, lastTerm: 3 });
  await again.close();
});

test('B7: a torn write of the newer slot leaves the older mark; both slots bad read as no mark', async (t) => {
  const dir = tempDir(t);
  const mark = new SyncedMark(dir, { offset: 0, lastTerm: -1 }, SILENT_LOGGER);
  mark.advance({ offset: 100, lastTerm: 2 });
  await mark.settled;
  mark.advance({ offset: 300, lastTerm: 2 });
  await mark.settled;
  await mark.close();
  const path = join(dir, SYNCED_MARK_FILE);
  const bytes = readFileSync(path);
  const newer = bytes.readBigInt64BE(8) > bytes.readBigInt64BE(512 + 8) ? 0 : 512;
  bytes[newer + 20] ^= 0x01; // inside the offset field: the slot's CRC no longer matches
  writeFileSync(path, bytes);
  assert.deepEqual(readSyncedMark(dir), { offset: 100, lastTerm: 2 });
  bytes[512 - newer + 20] ^= 0x01;
  writeFileSync(path, bytes);
  assert.equal(readSyncedMark(dir), null, 'recovery then knows only the stored commit and recovery point');
});

test('B7: lowerNow writes at once, drops a higher point waiting, and removes the file when the disk refuses', async (t) => {
  const dir = tempDir(t);
  const mark = new SyncedMark(dir, { offset: 0, lastTerm: -1 }, SILENT_LOGGER);
  mark.advance({ offset: 500, lastTerm: 4 });
  mark.advance({ offset: 600, lastTerm: 4 }); // waits behind the write in flight
  mark.lowerNow({ offset: 450, lastTerm: 4 });
  assert.deepEqual(readSyncedMark(dir), { offset: 450, lastTerm: 4 }, 'synchronous');
  await mark.settled;
  assert.deepEqual(readSyncedMark(dir), { offset: 450, lastTerm: 4 }, 'the higher waiting point is gone, the write in flight is older');
  // A full disk: the mark must not stay above a truncation it cannot record.
  t.after(() => setStorageFs(nodeFs));
  setStorageFs({
    ...nodeFs,
    write: () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  });
  mark.lowerNow({ offset: 10, lastTerm: 1 });
  setStorageFs(nodeFs);
  assert.equal(existsSync(join(dir, SYNCED_MARK_FILE)), false);
  assert.equal(readSyncedMark(dir), null);
  mark.advance({ offset: 900, lastTerm: 5 }); // no longer written this session
  await mark.close();
  assert.equal(existsSync(join(dir, SYNCED_MARK_FILE)), false);
});

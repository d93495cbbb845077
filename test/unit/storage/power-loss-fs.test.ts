// PowerLossFs (src/storage/power-loss-fs.ts), the file system of the test-only power-loss mode
// (issue 10): what is not synced lives only in process memory, so dropping the object (a kill -9
// of the broker) loses exactly what a power loss would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs } from '../../../src/storage/fs.ts';
import { POWER_LOSS_LIMITS, PowerLossFs, type PowerLossOptions } from '../../../src/storage/power-loss-fs.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';

function setup(t: { after(fn: () => void): void }, options: Partial<PowerLossOptions> = {}): { dir: string; fs: PowerLossFs } {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-power-loss-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fs = new PowerLossFs(nodeFs, { skipFsync: false, random: null, tearProbability: 0, limits: POWER_LOSS_LIMITS, ...options });
  return { dir, fs };
}

const text = (b: Buffer) => b.toString('utf8');

test('issue 10 power loss: writes reach the file only at fsync, and reads see them before', (t) => {
  const { dir, fs } = setup(t);
  const path = join(dir, 'a');
  const fd = fs.open(path, 'w+');
  fs.write(fd, Buffer.from('hello'), 0, 5, 0);
  assert.equal(text(readFileSync(path)), '', 'not on disk before the sync');
  assert.equal(fs.size(fd), 5);
  assert.equal(text(fs.readFile(path)), 'hello');
  fs.fsync(fd);
  assert.equal(text(readFileSync(path)), 'hello');
  fs.write(fd, Buffer.from('XY'), 0, 2, 1);
  fs.write(fd, Buffer.from('!'), 0, 1, 8);
  const buf = Buffer.alloc(16);
  assert.equal(fs.read(fd, buf, 0, 16, 0), 9);
  assert.deepEqual(buf.subarray(0, 9), Buffer.from('hXYlo\0\0\0!'));
  assert.equal(text(readFileSync(path)), 'hello', 'a power loss (dropping the object) keeps the synced image');
  fs.close(fd);
  assert.equal(fs.pendingBytes, 3, 'closing does not sync');
});

test('issue 10 power loss: with fsync disabled nothing reaches the disk', async (t) => {
  const { dir, fs } = setup(t, { skipFsync: true });
  const path = join(dir, 'a');
  const fd = fs.open(path, 'w+');
  fs.write(fd, Buffer.from('data'), 0, 4, 0);
  fs.fsync(fd);
  await fs.fdatasync(fd);
  fs.fdatasyncSync(fd);
  assert.equal(text(readFileSync(path)), '');
  assert.equal(text(fs.readFile(path)), 'data');
  fs.close(fd);
});

test('issue 10 power loss: truncate clips pending writes; rename and unlink carry or drop them', (t) => {
  const { dir, fs } = setup(t);
  const tmp = join(dir, 'x.tmp');
  const fd = fs.open(tmp, 'w');
  fs.write(fd, Buffer.from('abcdef'), 0, 6, 0);
  fs.truncate(fd, 3);
  assert.equal(fs.size(fd), 3);
  fs.close(fd);
  fs.rename(tmp, join(dir, 'x'));
  assert.equal(text(fs.readFile(join(dir, 'x'))), 'abc');
  assert.equal(fs.pendingBytes, 3);
  fs.unlink(join(dir, 'x'));
  assert.equal(fs.pendingBytes, 0);
});

test('issue 10 power loss: memory is bounded; past the per-file limit pending writes are written back', (t) => {
  const limits = { pendingBytesPerFileMax: 10, pendingWritesPerFileMax: 100, pendingBytesTotalMax: 15 };
  const { dir, fs } = setup(t, { limits });
  const a = fs.open(join(dir, 'a'), 'w+');
  const b = fs.open(join(dir, 'b'), 'w+');
  fs.write(a, Buffer.from('123456'), 0, 6, 0);
  fs.write(b, Buffer.from('abcdef'), 0, 6, 0);
  assert.equal(fs.pendingBytes, 12);
  fs.write(b, Buffer.from('ghijk'), 0, 5, 6);
  assert.equal(text(readFileSync(join(dir, 'b'))), 'abcdefghijk', 'b went past its own limit');
  fs.write(b, Buffer.from('lmnop'), 0, 5, 11);
  fs.write(b, Buffer.from('qrstu'), 0, 5, 16);
  assert.equal(text(readFileSync(join(dir, 'a'))), '123456', 'past the total limit the oldest file is written back');
  assert.ok(fs.pendingBytes <= limits.pendingBytesTotalMax);
  fs.close(a);
  fs.close(b);
});

test('issue 10 power loss: with a seed, a sync of one file tears a prefix of another file onto the disk', (t) => {
  const rng = new SeededRng(3);
  const { dir, fs } = setup(t, { random: () => rng.next(), tearProbability: 1 });
  const a = fs.open(join(dir, 'a'), 'w+');
  const b = fs.open(join(dir, 'b'), 'w+');
  const body = Buffer.from('0123456789');
  let torn = '';
  // Bounded: each round appends 10 bytes to a and syncs b.
  for (let round = 0; round < 50 && torn === ''; round++) {
    fs.write(a, body, 0, body.length, round * body.length);
    fs.fsync(b);
    torn = text(readFileSync(join(dir, 'a')));
  }
  assert.ok(torn.length > 0, 'some sync tore a');
  assert.ok('0123456789'.repeat(50).startsWith(torn), `what reached the disk is a prefix of what was written: ${torn}`);
  assert.ok(fs.tornBytes > 0);
  fs.close(a);
  fs.close(b);
});

test('issue 10 power loss: writeBackAll puts every pending write on the disk without syncing', (t) => {
  const { dir, fs } = setup(t, { skipFsync: true });
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const fa = fs.open(a, 'w+');
  const fb = fs.open(b, 'w+');
  fs.write(fa, Buffer.from('one'), 0, 3, 0);
  fs.write(fb, Buffer.from('two'), 0, 3, 0);
  fs.write(fa, Buffer.from('!'), 0, 1, 3);
  assert.equal(fs.writeBackAll(), 7);
  assert.equal(text(readFileSync(a)), 'one!');
  assert.equal(text(readFileSync(b)), 'two');
  assert.equal(fs.pendingBytes, 0);
  fs.close(fa);
  fs.close(fb);
});

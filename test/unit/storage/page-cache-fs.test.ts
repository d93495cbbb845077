// The page-cache file system the simulators and durability tests stand on
// (test/helpers/page-cache-fs.ts): what an fsync covers, when it can fail, and damage to synced
// data. If it modelled a disk too kindly, every test on top of it could pass wrongly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageCacheFs, type SyncControl } from '../../helpers/page-cache-fs.ts';

function read(fs: PageCacheFs, path: string, length: number): string {
  const fd = fs.open(path, 'r+');
  const buf = Buffer.alloc(length);
  const n = fs.read(fd, buf, 0, length, 0);
  fs.close(fd);
  return buf.subarray(0, n).toString();
}

function write(fs: PageCacheFs, fd: number, text: string, position: number): void {
  fs.write(fd, Buffer.from(text), 0, text.length, position);
}

test('PageCacheFs: an fdatasync covers what was written before it started, not what came while it ran', async () => {
  const held: Array<() => void> = [];
  const control: SyncControl = { syncNow() {}, syncLater: () => new Promise((resolve) => held.push(resolve)) };
  const fs = new PageCacheFs(control);
  const fd = fs.open('/d/f', 'w+');
  fs.fsyncDir('/d');
  write(fs, fd, 'aaaa', 0);
  const sync = fs.fdatasync(fd);
  write(fs, fd, 'bb', 4);
  held[0]();
  await sync;
  fs.powerLoss();
  assert.equal(read(fs, '/d/f', 10), 'aaaa');
});

test('PageCacheFs: a late fdatasync does not undo a later blocking fsync', async () => {
  const held: Array<() => void> = [];
  const fs = new PageCacheFs({ syncNow() {}, syncLater: () => new Promise((resolve) => held.push(resolve)) });
  const fd = fs.open('/d/f', 'w+');
  fs.fsyncDir('/d');
  write(fs, fd, 'one', 0);
  const sync = fs.fdatasync(fd);
  write(fs, fd, 'two', 0);
  fs.fsync(fd);
  held[0]();
  await sync;
  fs.powerLoss();
  assert.equal(read(fs, '/d/f', 10), 'two');
});

test('PageCacheFs: a failing fsync throws and makes nothing durable', () => {
  let fail = false;
  const fs = new PageCacheFs({
    syncNow() {
      if (fail) throw new Error('EIO');
    },
    syncLater: () => Promise.resolve(),
  });
  const fd = fs.open('/d/f', 'w+');
  fs.fsyncDir('/d');
  write(fs, fd, 'kept', 0);
  fs.fsync(fd);
  write(fs, fd, 'lost', 0);
  fail = true;
  assert.throws(() => fs.fsync(fd), /EIO/);
  fs.powerLoss();
  assert.equal(read(fs, '/d/f', 10), 'kept');
});

test('PageCacheFs: damageDurable flips a synced bit that reads see; remove removes the files for good', () => {
  const fs = new PageCacheFs();
  const fd = fs.open('/d/f', 'w+');
  fs.fsyncDir('/d');
  write(fs, fd, 'A', 0);
  fs.fsync(fd);
  write(fs, fd, 'B', 1);
  assert.throws(() => fs.damageDurable('/d/f', 0, 0), /unsynced/, 'damage is injected while the cache holds nothing newer');
  fs.powerLoss();
  fs.damageDurable('/d/f', 0, 0);
  assert.equal(read(fs, '/d/f', 1), '@');
  fs.remove('/d');
  assert.equal(fs.exists('/d/f'), false);
  fs.powerLoss();
  assert.equal(fs.exists('/d/f'), false);
});

test('PageCacheFs: a power loss may write back a torn prefix of the unsynced writes; a name no directory fsync covered is gone', () => {
  const fs = new PageCacheFs();
  fs.mkdir('/d');
  const fd = fs.open('/d/f', 'w+');
  fs.fsyncDir('/d');
  write(fs, fd, 'aaaa', 0);
  fs.fsync(fd);
  write(fs, fd, 'bbbb', 4);
  write(fs, fd, 'cccc', 8);
  write(fs, fd, 'dddd', 12);
  fs.open('/d/g', 'w+');
  // The disk wrote the first unsynced write whole and two bytes of the second before the power went.
  fs.powerLoss({ keep: () => 1, cut: () => 2 });
  assert.equal(read(fs, '/d/f', 64), 'aaaabbbbcc');
  assert.deepEqual(fs.readdir('/d'), ['f']);
});

test('PageCacheFs: a descriptor stays usable after its file is unlinked (POSIX); a directory opened read-only can be fsynced', async () => {
  const fs = new PageCacheFs();
  fs.mkdir('/d/e');
  const fd = fs.open('/d/e/f', 'w+');
  fs.unlink('/d/e/f');
  write(fs, fd, 'x', 0);
  fs.close(fd);
  const created = fs.open('/d/e/g', 'w+');
  fs.close(created);
  const dirFd = fs.open('/d/e', 'r');
  await fs.fsyncAsync(dirFd);
  fs.close(dirFd);
  fs.powerLoss();
  assert.deepEqual(fs.readdir('/d/e'), ['g']);
  assert.deepEqual(fs.readdir('/d'), ['e']);
});

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

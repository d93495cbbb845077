import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.ts';
import { parsePartitionDirName, partitionDirName, segmentBaseName } from '../../../src/storage/file-names.ts';
import { makeBatch, smallConfig, tempDir } from './helpers.ts';

test('partition directories parse the partition from the last dash (topics may contain - and .)', () => {
  assert.deepEqual(parsePartitionDirName('orders-0'), { topic: 'orders', partition: 0 });
  assert.deepEqual(parsePartitionDirName('my-topic.v2-17'), { topic: 'my-topic.v2', partition: 17 });
  assert.deepEqual(parsePartitionDirName('a-1-2'), { topic: 'a-1', partition: 2 });
  assert.equal(parsePartitionDirName('nodash'), null);
  assert.equal(parsePartitionDirName('topic-x'), null);
  assert.equal(parsePartitionDirName('bad/name-1'), null);
  assert.throws(() => partitionDirName('../etc', 0), RangeError);
  assert.equal(segmentBaseName(1234), '00000000000000001234');
});

test('LogManager creates, reopens, deletes logs and runs retention', async (t) => {
  const dataDir = tempDir(t);
  const config = smallConfig({ segmentBytes: 2048, retentionBytes: 3000 });
  const manager = LogManager.open({ dataDir, defaultConfig: config });
  const a = manager.createLog('my-topic.v2', 0);
  const b = manager.createLog('my-topic.v2', 1);
  manager.createLog('other', 0);
  assert.equal(manager.createLog('my-topic.v2', 0), a);
  for (let i = 0; i < 40; i++) a.append(makeBatch(i, 3, 40), 1);
  b.append(makeBatch(0), 1);
  mkdirSync(join(dataDir, 'not a partition dir'));
  const retention = manager.runRetention(Date.now());
  assert.ok(retention.deletedSegments > 0);
  await manager.closeAll();

  const again = LogManager.open({ dataDir, defaultConfig: config });
  assert.deepEqual(again.partitions().map((p) => `${p.topic}/${p.partition}`).sort(), ['my-topic.v2/0', 'my-topic.v2/1', 'other/0']);
  assert.equal(again.getLog('my-topic.v2', 0)?.logEndOffset, 120);
  assert.equal(again.getLog('my-topic.v2', 1)?.logEndOffset, 3);
  assert.equal(again.getLog('nope', 0), undefined);
  assert.equal(await again.deleteTopic('my-topic.v2'), 2);
  assert.equal(existsSync(join(dataDir, 'my-topic.v2-0')), false);
  assert.equal(await again.deleteLog('other', 0), true);
  assert.equal(await again.deleteLog('other', 0), false);
  assert.deepEqual(again.partitions(), []);
  await again.closeAll();
});

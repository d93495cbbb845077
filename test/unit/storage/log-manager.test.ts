import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';
import {
  deletedPartitionDirName,
  isDeletedPartitionDirName,
  parsePartitionDirName,
  partitionDirName,
  segmentBaseName,
} from '../../../src/storage/file-names.ts';
import { readPartitionTopicId } from '../../../src/storage/partition-metadata.ts';
import { LogCorruptionError } from '../../../src/storage/errors.ts';
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

const TOPIC_ID = 'f'.repeat(32);

function openLog(manager: LogManager, topic: string, partition: number): PartitionLog {
  const opened = manager.openLog(topic, partition, TOPIC_ID);
  assert.ok('log' in opened, 'no deletion in the way');
  return opened.log;
}

test('LogManager creates, reopens, deletes logs and runs retention', async (t) => {
  const dataDir = tempDir(t);
  const config = smallConfig({ segmentBytes: 2048, retentionBytes: 3000 });
  const manager = LogManager.open({ dataDir, defaultConfig: config });
  const a = openLog(manager, 'my-topic.v2', 0);
  const b = openLog(manager, 'my-topic.v2', 1);
  openLog(manager, 'other', 0);
  assert.equal(openLog(manager, 'my-topic.v2', 0), a);
  for (let i = 0; i < 40; i++) a.append(makeBatch(i, 3, 40), 1);
  b.append(makeBatch(0), 1);
  mkdirSync(join(dataDir, 'not a partition dir'));
  const retention = manager.runRetention(Date.now());
  assert.ok(retention.deletedSegments > 0);
  await manager.closeAll();

  const again = LogManager.open({ dataDir, defaultConfig: config });
  assert.deepEqual(
    again
      .partitions()
      .map((p) => `${p.topic}/${p.partition}/${p.topicId}`)
      .sort(),
    [`my-topic.v2/0/${TOPIC_ID}`, `my-topic.v2/1/${TOPIC_ID}`, `other/0/${TOPIC_ID}`],
  );
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

test('issue 9 item 1: deletion names, partition.metadata, and no reuse of a directory the manager does not know', async (t) => {
  const name = partitionDirName('a-1.b', 7);
  const doomed = deletedPartitionDirName(name, '0123456789abcdef0123456789abcdef');
  assert.equal(doomed, 'a-1.b-7.0123456789abcdef0123456789abcdef-delete');
  assert.ok(isDeletedPartitionDirName(doomed));
  assert.equal(parsePartitionDirName(doomed), null, 'a directory marked for deletion is never a partition directory');
  assert.ok(!isDeletedPartitionDirName(name));
  assert.ok(!isDeletedPartitionDirName('t-0.xyz-delete'));

  const dataDir = tempDir(t);
  const manager = LogManager.open({ dataDir, defaultConfig: smallConfig() });
  const log = openLog(manager, 't', 0);
  assert.equal(readPartitionTopicId(log.dir), TOPIC_ID);
  // The deletion frees the name before the directory is gone: asking again waits for it.
  const deleted = manager.deleteLog('t', 0);
  const again = manager.openLog('t', 0, TOPIC_ID);
  assert.ok('deleting' in again, 'the name is busy while the deletion runs');
  await again.deleting;
  assert.equal(await deleted, true);
  assert.deepEqual(readdirSync(dataDir), []);

  // A directory left by a deletion that failed half-way is not reused.
  mkdirSync(join(dataDir, 't-1'));
  assert.throws(() => manager.openLog('t', 1, TOPIC_ID), /exists but is not an open log/);
  await manager.closeAll();

  writeFileSync(join(dataDir, 't-1', 'partition.metadata'), 'version: 0\ntopic_id: not-hex\n');
  assert.throws(() => LogManager.open({ dataDir, defaultConfig: smallConfig() }), LogCorruptionError, 'a damaged topic-id file is never guessed at');
});

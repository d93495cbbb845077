// Issue 9 restart: while a broker opens its partitions, the logs record no recovery point (a
// checkpoint write each, whose rename waits on the file system's journal while the recovered
// tails are fsynced); they record it once every partition is open. Deferring is safe: the
// checkpoint on disk stays true, a crash meanwhile only makes recovery check more.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog, holdRecoveryPoints, recoveryPointsHeld } from '../../../src/storage/partition-log.ts';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { makeBatch, smallConfig, tempDir } from './helpers.ts';
import { singleNodeReplicas } from '../partition/helpers.ts';

const recoveryPointOf = (dir: string): number => JSON.parse(readFileSync(join(dir, 'partition.checkpoint'), 'utf8')).recoveryPoint;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('issue 9 restart: a held recovery point is not recorded until the hold is released', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1 << 20, recoveryPointIntervalMs: 5, flush: { mode: 'group', intervalMs: 1000 } }));
  const release = holdRecoveryPoints();
  let released = false;
  try {
    for (let i = 0; i < 20; i++) log.append(makeBatch(i), 0);
    await log.flush();
    const before = recoveryPointOf(dir);
    // Ten timer intervals (not a speed assertion: the timer must not record while held).
    await sleep(50);
    assert.equal(recoveryPointOf(dir), before, 'nothing recorded while held');
    release();
    released = true;
    // Bounded wait for the timer.
    for (let i = 0; i < 400 && recoveryPointOf(dir) < log.logEndOffset; i++) await sleep(5);
    assert.equal(recoveryPointOf(dir), log.logEndOffset, 'recorded once released');
  } finally {
    if (!released) release();
    await log.close();
  }
});

test('issue 9 restart: HostedReplicas.start holds the recovery points while it opens the partitions, and releases them after', async (t) => {
  const dataDir = tempDir(t);
  const topic: TopicRecord = {
    name: 't',
    topicId: 'd'.repeat(32),
    partitionCount: 4,
    replicationFactor: 1,
    configs: {},
    assignments: [[1], [1], [1], [1]],
    createdAtMs: 0,
  };
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  assert.ok(state.apply({ type: 'createTopic', topic }).ok);
  const replicas = singleNodeReplicas(dataDir);
  const heldAtOpen: boolean[] = [];
  replicas.onOpen(() => heldAtOpen.push(recoveryPointsHeld()));
  await replicas.start(state);
  assert.deepEqual(heldAtOpen, [true, true, true, true]);
  assert.equal(recoveryPointsHeld(), false);
  await replicas.close();
});

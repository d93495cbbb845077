// Issue 9 item 1: a topic deleted and created again under the same name is a new incarnation
// (a new topic id). Its partitions must never be served from the old incarnation's files: not
// when the create races the deletion, not when a broker finds the old directory at start-up,
// and not when a crash interrupted a deletion. These run the single-node ReplicaManager, which
// shares HostedReplicas and LogManager with the cluster's ClusterReplicaManager.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { MetadataState, type MetadataCommand, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import type { ReplicaManager } from '../../../src/partition/replica-manager.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { decodeBatches } from '../../../src/protocol/record-batch.ts';
import { makeBatch, smallConfig, tempDir } from '../storage/helpers.ts';
import { singleNodeReplicas } from './helpers.ts';

const OLD_ID = 'a'.repeat(32);
const NEW_ID = 'b'.repeat(32);

function topic(topicId: string, partitions = 2): TopicRecord {
  return {
    name: 't',
    topicId,
    partitionCount: partitions,
    replicationFactor: 1,
    configs: {},
    assignments: Array.from({ length: partitions }, () => [1]),
    createdAtMs: 0,
  };
}

function logCapture(): { logger: pino.Logger; lines: Array<{ msg: string; [k: string]: unknown }> } {
  const lines: Array<{ msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

const manager = singleNodeReplicas;

function apply(state: MetadataState, replicas: ReplicaManager, command: MetadataCommand): void {
  const result = state.apply(command);
  assert.ok(result.ok, JSON.stringify(result));
  replicas.onMetadata(command, state);
}

/** The values of every record below the partition's high watermark. */
function values(replicas: ReplicaManager, partition: number): string[] {
  const p = replicas.partition('t', partition)!;
  if (p.highWatermark === p.logStartOffset) return [];
  const { records } = p.log.read(p.logStartOffset, 1 << 30, p.highWatermark);
  return decodeBatches(records).flatMap((b) => b.records.map((r) => r.key!.toString()));
}

async function until(what: string, check: () => boolean): Promise<void> {
  // Bounded: 2,000 turns of 2 ms.
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.fail(`${what}: not reached`);
}

async function produce(replicas: ReplicaManager, partition: number, seed: number): Promise<void> {
  const p = replicas.partition('t', partition)!;
  const { lastOffset } = p.append([makeBatch(seed, 2)], 0);
  await p.waitDurable(lastOffset);
}

/** What a broker leaves behind: topic t of the old incarnation, with records in partition 0. */
async function leaveOldIncarnation(dataDir: string): Promise<void> {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  const replicas = manager(dataDir);
  await replicas.start(state);
  apply(state, replicas, { type: 'createTopic', topic: topic(OLD_ID) });
  await produce(replicas, 0, 1);
  await replicas.close();
}

function directoryTopicId(dataDir: string, partition: number): string | null {
  const file = join(dataDir, `t-${partition}`, 'partition.metadata');
  return existsSync(file) ? (/topic_id: *([0-9a-f]{32})/.exec(readFileSync(file, 'utf8'))?.[1] ?? null) : null;
}

test('issue 9 item 1: delete + immediate re-create never shows the old records and never reuses the directory being deleted', async (t) => {
  const dataDir = tempDir(t);
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  const replicas = manager(dataDir);
  await replicas.start(state);
  apply(state, replicas, { type: 'createTopic', topic: topic(OLD_ID) });
  await produce(replicas, 0, 1);
  await produce(replicas, 1, 2);
  assert.deepEqual(values(replicas, 0), ['k-1-0', 'k-1-1']);

  // The delete and the create apply in the same turn, as two metadata entries of one Raft round do.
  apply(state, replicas, { type: 'deleteTopic', name: 't' });
  apply(state, replicas, { type: 'createTopic', topic: topic(NEW_ID) });
  await until('the new incarnation is hosted', () => replicas.partition('t', 0) !== undefined && replicas.partition('t', 1) !== undefined);
  assert.equal(replicas.partition('t', 0)!.logEndOffset, 0, 'the new partition starts empty');
  assert.deepEqual(values(replicas, 0), []);
  await produce(replicas, 0, 3);
  assert.deepEqual(values(replicas, 0), ['k-3-0', 'k-3-1']);
  await replicas.close();

  assert.deepEqual(readdirSync(dataDir).sort(), ['t-0', 't-1'], 'the old directories are gone, nothing is left marked for deletion');
  assert.equal(directoryTopicId(dataDir, 0), NEW_ID);
  const again = manager(dataDir);
  await again.start(state);
  assert.deepEqual(values(again, 0), ['k-3-0', 'k-3-1']);
  assert.deepEqual(values(again, 1), []);
  await again.close();
});

test('issue 9 item 1: a directory of another incarnation found at start-up is removed, never opened as the new topic', async (t) => {
  const dataDir = tempDir(t);
  await leaveOldIncarnation(dataDir);

  // The broker was down while the topic was deleted and created again.
  const current = new MetadataState({ clusterId: 'c', brokers: [], topics: [topic(NEW_ID)] });
  const { logger, lines } = logCapture();
  const second = manager(dataDir, logger);
  await second.start(current);
  assert.deepEqual(values(second, 0), [], 'none of the old records');
  assert.equal(second.partition('t', 0)!.logEndOffset, 0);
  assert.equal(directoryTopicId(dataDir, 0), NEW_ID);
  assert.ok(
    lines.some((l) => l.msg.includes('another incarnation') && l.topicId === OLD_ID),
    'the removal is logged with the old topic id',
  );
  await second.close();
  assert.deepEqual(readdirSync(dataDir).sort(), ['t-0', 't-1']);
});

test('issue 9 item 1: a deletion interrupted by a crash is finished at start-up', async (t) => {
  const dataDir = tempDir(t);
  await leaveOldIncarnation(dataDir);
  // A crash after the rename that marks the directory for deletion, before its removal.
  renameSync(join(dataDir, 't-0'), join(dataDir, `t-0.${'c'.repeat(32)}-delete`));
  // ... and one before the rename: the metadata no longer has the topic.
  const { logger, lines } = logCapture();
  const second = manager(dataDir, logger);
  await second.start(new MetadataState({ clusterId: 'c', brokers: [], topics: [] }));
  await second.close();
  assert.deepEqual(readdirSync(dataDir), [], 'both partition directories are gone');
  assert.ok(
    lines.some((l) => l.msg.includes('unfinished deletion')),
    'the finished deletion is logged',
  );
});

test('issue 9 item 1: a partition directory from before topic ids is adopted by the topic of that name', async (t) => {
  const dataDir = tempDir(t);
  // What an older broker left: a partition directory with segments and no partition.metadata.
  const legacy = PartitionLog.open(join(dataDir, 't-0'), smallConfig({ flush: { mode: 'group', intervalMs: 1000 } }));
  legacy.append(makeBatch(7, 2), 0);
  await legacy.close();
  writeFileSync(join(dataDir, 'unrelated-file'), '');

  const { logger, lines } = logCapture();
  const replicas = manager(dataDir, logger);
  await replicas.start(new MetadataState({ clusterId: 'c', brokers: [], topics: [topic(OLD_ID, 1)] }));
  assert.deepEqual(values(replicas, 0), ['k-7-0', 'k-7-1'], 'its records are kept');
  assert.equal(directoryTopicId(dataDir, 0), OLD_ID, 'the topic id is written into it');
  assert.ok(
    lines.some((l) => l.msg.includes('adopted') && l.topicId === OLD_ID),
    'the adoption is logged',
  );
  await replicas.close();
  assert.ok(existsSync(join(dataDir, 'unrelated-file')), 'files that are not partition directories are left alone');
});

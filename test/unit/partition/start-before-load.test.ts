// Issue 9 restart ("serving within 5 s with 1,000 partitions and 10 GiB"): at start-up a broker
// opens every partition first and loads producer state after, so "listening" does not wait for
// the state of every partition. Until its state has loaded, a partition answers idempotent
// batches with a retriable error (partition-producers.ts) and takes every other batch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { smallConfig, tempDir } from '../storage/helpers.ts';
import { singleNodeReplicas } from './helpers.ts';

const PARTITIONS = 12;
const TOPIC_ID = 'c'.repeat(32);

const manager = singleNodeReplicas;

function idempotent(producerId: number, baseSequence: number): Buffer {
  return buildRecordBatch({ records: [{ value: `p${producerId}-s${baseSequence}` }], producerId, producerEpoch: 0, baseSequence });
}

test('issue 9 restart: every partition opens before any producer state loads, so listening waits for none of the loads', async (t) => {
  const dataDir = tempDir(t);
  const topic: TopicRecord = {
    name: 't',
    topicId: TOPIC_ID,
    partitionCount: PARTITIONS,
    replicationFactor: 1,
    configs: {},
    assignments: Array.from({ length: PARTITIONS }, () => [1]),
    createdAtMs: 0,
  };
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  assert.ok(state.apply({ type: 'createTopic', topic }).ok);
  const first = manager(dataDir);
  await first.start(state);
  first.onMetadata({ type: 'createTopic', topic }, state);
  for (let i = 0; i < PARTITIONS; i++) assert.ok(first.partition('t', i), `partition ${i} hosted`);
  await first.close();
  // Each partition: a log of idempotent batches written by a broker that then died (kill -9):
  // no close, so no producer snapshot.
  for (const dir of readdirSync(dataDir).filter((d) => d.startsWith('t-'))) {
    const log = PartitionLog.open(join(dataDir, dir), smallConfig({ segmentBytes: 1 << 20 }));
    for (let s = 0; s < 40; s++) log.append(idempotent(7, s), 0);
    await log.flush();
    for (const f of readdirSync(join(dataDir, dir)).filter((f) => f.endsWith('.snapshot'))) rmSync(join(dataDir, dir, f));
  }

  const replicas = manager(dataDir);
  await replicas.start(state);
  const loading = Array.from({ length: PARTITIONS }, (_, i) => replicas.partition('t', i)!.producerState.loading !== null);
  assert.deepEqual(loading, Array(PARTITIONS).fill(true), 'no partition spent its open waiting for producer state');
  // Meanwhile: a batch without a producer id is taken, an idempotent one gets a retriable error.
  const p0 = replicas.partition('t', 0)!;
  assert.equal(p0.checkProducerBatches([buildRecordBatch({ records: [{ value: 'plain' }] })]).kind, 'append');
  const check = p0.checkProducerBatches([idempotent(7, 40)]);
  assert.equal(check.kind === 'error' && check.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await replicas.producerStatesLoaded();
  for (let i = 0; i < PARTITIONS; i++) {
    const p = replicas.partition('t', i)!;
    assert.equal(p.producerEntry(7)?.batches.at(-1)?.lastSeq, 39, `partition ${i}: state replayed`);
    assert.equal(p.checkProducerBatches([idempotent(7, 39)]).kind, 'duplicate');
  }
  await replicas.close();
});

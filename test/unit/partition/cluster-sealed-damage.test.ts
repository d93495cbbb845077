// B6 (docs/reliability.md), issue 9 item 3, end to end in one broker's ClusterReplicaManager: a bit
// flipped in a sealed segment of a partition's Raft log while the broker was down survives the
// restart (sealed segments load trusted). The log's background scrub finds it; the group stops
// at once and the replica is opened again over the same log, which takes the lost-state path: a
// new group-level storage id, an empty log, nothing of the damage served — and the broker runs on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { MetadataState } from '../../../src/metadata/metadata-state.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import type { ClusterReplicaManager } from '../../../src/partition/cluster-replica-manager.ts';
import { MemoryReplicaRegistry } from '../../../src/partition/replica-identity.ts';
import type { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { LOG_OVERHEAD_BYTES } from '../../../src/protocol/record-batch.ts';
import { MemoryHub, type MemoryTransport } from '../../../src/transport/memory.ts';
import { testReplicaManager } from '../../helpers/cluster-replica-manager.ts';
import { tickUntil as until } from '../../helpers/raft-ticks.ts';
import { makeBatch, tempDir } from '../storage/helpers.ts';

interface Broker {
  id: number;
  host: RaftHost;
  replicas: ClusterReplicaManager;
  state: MetadataState;
  transport: MemoryTransport;
}

const ids = [1, 2, 3];
const topicRecord = {
  name: 't',
  topicId: 'b'.repeat(32),
  partitionCount: 1,
  replicationFactor: 3,
  configs: { 'segment.bytes': '1024' },
  assignments: [[2, 1, 3]],
  createdAtMs: 0,
};

function broker(hub: MemoryHub, id: number, dataDir: string, registry: MemoryReplicaRegistry): Broker {
  const logger = pino({ level: 'silent' });
  const transport = hub.connect(
    id,
    ids.filter((p) => p !== id),
    `disk-${id}`,
  );
  const host = new RaftHost({ nodeId: id, transport, logger, tickMs: 5, isolateStorageFailures: true });
  const replicas = testReplicaManager({ nodeId: id, storageId: `disk-${id}`, dataDir, host, logger, registry });
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const b of ids) state.apply({ type: 'registerBroker', broker: { nodeId: b, host: '127.0.0.1', port: 9000 + b, rack: null, storageId: `disk-${b}` } });
  state.apply({ type: 'createTopic', topic: topicRecord });
  return { id, host, replicas, state, transport };
}

async function stop(b: Broker): Promise<void> {
  await b.host.close();
  await b.replicas.close();
  await b.transport.close();
}

/** Flips a bit in the records of the second batch of the first (sealed) segment under `dataDir`. */
function flipSealed(dataDir: string): string {
  const partitionDir = join(dataDir, readdirSync(dataDir).find((n) => n.startsWith('t-0'))!);
  const logs = readdirSync(partitionDir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  assert.ok(logs.length >= 2, 'the log has a sealed segment');
  const path = join(partitionDir, logs[0]);
  const bytes = readFileSync(path);
  const second = LOG_OVERHEAD_BYTES + bytes.readInt32BE(8);
  const size = LOG_OVERHEAD_BYTES + bytes.readInt32BE(second + 8);
  bytes[second + size - 5] ^= 0x20;
  writeFileSync(path, bytes);
  return path;
}

test('B6: a bit flip in a sealed segment is found after a restart, and the replica starts over under a new storage id; the broker runs on', async (t) => {
  const hub = new MemoryHub();
  const dirs = ids.map(() => tempDir(t));
  const registries = ids.map(() => new MemoryReplicaRegistry());
  let brokers = ids.map((id, k) => broker(hub, id, dirs[k], registries[k]));
  try {
    for (const b of brokers) await b.replicas.start(b.state);
    await until('a leader', () => brokers.some((b) => b.replicas.partition('t', 0) !== undefined), brokers);
    const leader = brokers.map((b) => b.replicas.servedReplica('t', 0)).find((p) => p !== undefined) as ReplicatedPartition;
    // Enough batches for several 1 KiB segments.
    for (let i = 0; i < 12; i++) await (await leader.append([makeBatch(i, 3, 80)])).committed;
    const b1 = brokers[0];
    await until('broker 1 holds every entry', () => b1.replicas.replica('t', 0)!.logEndOffset === leader.logEndOffset, brokers);
    await stop(b1);
    flipSealed(dirs[0]);
    const restarted = broker(hub, 1, dirs[0], registries[0]);
    brokers = [restarted, ...brokers.slice(1)];
    await restarted.replicas.start(restarted.state);
    const before = restarted.replicas.replica('t', 0)!;
    assert.equal(before.raft!.status().storageId, 'disk-1', 'open trusted the sealed segment');
    // The scrub starts SCRUB_START_DELAY_MS after the last log opened, then finds the damage.
    await until('the replica was opened again', () => restarted.replicas.replica('t', 0) !== before, brokers, 5_000);
    const after = restarted.replicas.replica('t', 0)!;
    assert.notEqual(after.raft!.status().storageId, 'disk-1', 'the replica runs under a new group-level storage id (the lost-state path)');
    assert.equal(after.logEndOffset, 0, 'the damaged log was discarded, to be repaired from the peers');
    assert.equal(restarted.host.groupNames().length, 1, 'the old group is gone from the host, the new one hosted');
    // The others still serve the partition.
    const stillLeading = brokers
      .slice(1)
      .map((b) => b.replicas.servedReplica('t', 0))
      .find((p) => p !== undefined) as ReplicatedPartition | undefined;
    assert.ok(stillLeading !== undefined);
    await (await stillLeading.append([makeBatch(99)])).committed;
  } finally {
    for (const b of brokers) await stop(b);
  }
});

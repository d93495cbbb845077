// The metadata group: commands proposed on the controller apply on every broker in the same
// order; followers forward proposals to the controller; a broker whose saved state lags the Raft commit replays the
// difference from its log when it restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { logConfig } from '../../../src/storage/log-config.ts';
import { MemoryHub, type MemoryTransport } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/cluster/raft-host.ts';
import { MetadataGroup, metadataGroupName, type MetadataCheckpoint } from '../../../src/cluster/metadata-group.ts';
import type { TopicRecord } from '../../../src/cluster/metadata-state.ts';
import { tickUntil as until } from '../../helpers/raft-ticks.ts';

const silent = pino({ level: 'silent' });
const ids = [1, 2, 3];

interface Broker {
  id: number;
  transport: MemoryTransport;
  host: RaftHost;
  node: RaftNode;
  storage: RaftLogStorage;
  group: MetadataGroup;
  saved: { checkpoint?: MetadataCheckpoint };
}

function startBroker(hub: MemoryHub, dir: string, id: number, saved: { checkpoint?: MetadataCheckpoint }, bootstrap: boolean): Broker {
  const storage = RaftLogStorage.open(join(dir, `node${id}`), logConfig({ flush: { mode: 'none', intervalMs: 1000 } }), { storageId: `disk-${id}` });
  if (bootstrap) storage.bootstrap({ voters: ids.map((v) => ({ id: v, storageId: `disk-${v}` })), learners: [] });
  const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(id));
  const transport = hub.connect(id, ids.filter((o) => o !== id), `disk-${id}`);
  const host = new RaftHost({ nodeId: id, transport, logger: silent, tickMs: 5 });
  const group = new MetadataGroup({
    nodeId: id,
    clusterId: 'test-cluster',
    persistence: { load: () => saved.checkpoint, save: (c) => (saved.checkpoint = structuredClone(c)) },
    logger: silent,
    proposalTimeoutMs: 10_000,
    kick: () => host.kick(),
  });
  group.attach(node, (lo, hi) => storage.entries(lo, hi, Number.MAX_SAFE_INTEGER).map((e) => e));
  host.addGroup(metadataGroupName, node, storage, group);
  return { id, transport, host, node, storage, group, saved };
}

function topic(name: string): TopicRecord {
  return { name, topicId: '0'.repeat(32), partitionCount: 1, replicationFactor: 3, configs: {}, assignments: [[1, 2, 3]], createdAtMs: 0 };
}

test('commands proposed on the controller apply on every broker; a follower forwards its proposal (MsgProp)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-'));
  const hub = new MemoryHub();
  const brokers = ids.map((id) => startBroker(hub, dir, id, {}, true));
  try {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const controller = brokers.find((b) => b.group.isController)!;
    const follower = brokers.find((b) => !b.group.isController)!;
    await until('followers know the controller', () => brokers.every((b) => b.group.controllerId === controller.id), brokers);
    // A follower's proposal travels to the controller and resolves when the entry applies here.
    const forwarded = follower.group.propose({ type: 'createTopic', topic: topic('x') });
    await until('the forwarded command applied on the follower', () => follower.group.state.topic('x') !== undefined, brokers);
    assert.deepEqual(await forwarded, { ok: true });
    assert.ok(controller.group.state.topic('x'));

    const created = controller.group.propose({ type: 'createTopic', topic: topic('orders') });
    await until('applied on the controller', () => controller.group.state.topic('orders') !== undefined, brokers);
    assert.deepEqual(await created, { ok: true });
    const again = controller.group.propose({ type: 'createTopic', topic: topic('orders') });
    await until('second applied', () => controller.group.appliedThrough > 0 && brokers.every((b) => b.group.state.topic('orders')), brokers);
    assert.equal((await again).ok, false);
    await until('every broker knows the topic', () => brokers.every((b) => b.group.state.topic('orders') !== undefined), brokers);
  } finally {
    for (const b of brokers) {
      await b.host.close();
      await b.transport.close();
      await b.storage.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broker whose saved state lags the commit index replays the missing commands from its log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-'));
  const hub = new MemoryHub();
  let brokers = ids.map((id) => startBroker(hub, dir, id, {}, true));
  try {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const controller = brokers.find((b) => b.group.isController)!;
    const victim = brokers.find((b) => b !== controller)!;
    const beforeCommand = structuredClone(victim.saved);
    const done = controller.group.propose({ type: 'createTopic', topic: topic('late') });
    await until('applied everywhere', () => brokers.every((b) => b.group.state.topic('late') !== undefined), brokers);
    await done;

    // Crash the victim as if it died after the Raft commit but before saving its state.
    await victim.host.close();
    await victim.transport.close();
    await victim.storage.close();
    victim.saved.checkpoint = beforeCommand.checkpoint;
    brokers = brokers.filter((b) => b !== victim);
    const restarted = startBroker(hub, dir, victim.id, victim.saved, false);
    brokers.push(restarted);
    assert.ok(restarted.group.state.topic('late'), 'replayed from the log at start');
    assert.equal(restarted.group.appliedThrough, restarted.node.status().commit);
  } finally {
    for (const b of brokers) {
      await b.host.close();
      await b.transport.close();
      await b.storage.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

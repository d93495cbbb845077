// issue 9 item 2: a partition replica whose Raft state is gone never acts as its old member. The
// node store records, before a group's Raft state can matter, that this disk holds a replica of
// the group; at open a recorded group whose raft.state is missing or unreadable starts empty under
// a new group-level storage id (`<node storage id>/<suffix>`), never founds the group, and says so.
// Real partition directories, one in-process ClusterReplicaManager over a memory transport.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { MemoryReplicaRegistry } from '../../../src/partition/replica-identity.ts';
import type { ClusterReplicaManager } from '../../../src/partition/cluster-replica-manager.ts';
import { testReplicaManager } from '../../helpers/cluster-replica-manager.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';
import { MetadataState, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { raftGroupName } from '../../../src/partition/group-names.ts';

const NODE_STORAGE_ID = 'disk-1';

const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 9091 + nodeId, rack: null, storageId: `disk-${nodeId}` }));

const TOPIC_ID = '0123456789abcdef0123456789abcdef';
const GROUP = raftGroupName({ name: 'orders', topicId: TOPIC_ID }, 0);

function topic(name: string, topicId = TOPIC_ID): TopicRecord {
  return {
    name,
    topicId,
    partitionCount: 1,
    replicationFactor: 3,
    configs: {},
    assignments: [[1, 2, 3]],
    createdAtMs: 0,
    founders: [['disk-1', 'disk-2', 'disk-3']],
  };
}

interface Started {
  manager: ClusterReplicaManager;
  host: RaftHost;
  lines: Array<Record<string, unknown>>;
  stopped: boolean;
}

/** Node 1's replicas of `topics` over `dataDir`; peers 2 and 3 exist only as names (nothing is delivered). */
async function startNode(
  t: { after(fn: () => Promise<void>): void },
  dataDir: string,
  registry: MemoryReplicaRegistry,
  topics: TopicRecord[],
): Promise<Started> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const hub = new MemoryHub();
  const transport = hub.connect(1, [2, 3], NODE_STORAGE_ID);
  const host = new RaftHost({ nodeId: 1, transport, logger, tickMs: 5 });
  const manager = testReplicaManager({ nodeId: 1, storageId: NODE_STORAGE_ID, dataDir, host, logger, registry });
  const started: Started = { manager, host, lines, stopped: false };
  // Stopped here too, so a failed assertion never leaves the host's timer running.
  t.after(() => stopNode(started));
  await manager.start(new MetadataState({ clusterId: 'c', brokers, topics }));
  return started;
}

async function stopNode(n: Started): Promise<void> {
  if (n.stopped) return;
  n.stopped = true;
  await n.host.close();
  await n.manager.close();
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-replica-id-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function partitionDir(n: Started, name: string): string {
  return (n.manager.replica(name, 0)!.storage.log as PartitionLog).dir;
}

test('issue 9 item 2: a recorded replica whose partition directory was removed starts empty under a new identity and never founds', async (t) => {
  const dataDir = tempDir(t);
  const registry = new MemoryReplicaRegistry();

  const first = await startNode(t, dataDir, registry, [topic('orders')]);
  const founded = first.manager.replica('orders', 0)!;
  assert.equal(founded.storage.storageId, NODE_STORAGE_ID, 'a new replica is its node disk');
  assert.ok(founded.storage.lastIndex() > 0, 'founders write the bootstrap configuration');
  const dir = partitionDir(first, 'orders');
  await stopNode(first);

  // An operator removed the damaged directory; runnel.db (the registry) kept the node identity.
  rmSync(dir, { recursive: true, force: true });
  const second = await startNode(t, dataDir, registry, [topic('orders')]);
  const lost = second.manager.replica('orders', 0)!;
  assert.notEqual(lost.storage.storageId, NODE_STORAGE_ID, 'never its old self');
  assert.ok(lost.storage.storageId.startsWith(`${NODE_STORAGE_ID}/`), `a group-level id under the node id (${lost.storage.storageId})`);
  assert.equal(lost.storage.lastIndex(), 0, 'it did not found the group again');
  assert.equal(lost.storage.getHardState().term, 0);
  assert.deepEqual(lost.raft!.status().config.voters, [], 'no configuration: it waits to be added');
  const warning = second.lines.find((l) => l.group === GROUP && typeof l.msg === 'string' && /lost its Raft state/.test(l.msg));
  assert.ok(warning, 'a warning names the group');
  assert.ok(registry.holds(GROUP), 'the node store records the replica');
  const newId = lost.storage.storageId;
  await stopNode(second);

  // The new identity is this disk's from now on: a restart keeps it and still does not found.
  const third = await startNode(t, dataDir, registry, [topic('orders')]);
  const again = third.manager.replica('orders', 0)!;
  assert.equal(again.storage.storageId, newId);
  assert.equal(again.storage.lastIndex(), 0);
  await stopNode(third);
});

test('issue 9 item 2: an unreadable raft.state, or a log without one, is lost state even without a record', async (t) => {
  for (const damage of ['garbage', 'missing-with-log'] as const) {
    const dataDir = tempDir(t);
    const first = await startNode(t, dataDir, new MemoryReplicaRegistry(), [topic('orders')]);
    const dir = partitionDir(first, 'orders');
    await stopNode(first);
    if (damage === 'garbage') writeFileSync(join(dir, 'raft.state'), Buffer.alloc(4096, 0x5a));
    else rmSync(join(dir, 'raft.state'));
    // A fresh registry: the record is not what tells here (a node store from before records existed).
    const second = await startNode(t, dataDir, new MemoryReplicaRegistry(), [topic('orders')]);
    const replica = second.manager.replica('orders', 0)!;
    assert.ok(replica.storage.storageId.startsWith(`${NODE_STORAGE_ID}/`), `${damage}: new identity`);
    assert.equal(replica.storage.lastIndex(), 0, `${damage}: starts empty, does not found`);
    await stopNode(second);
  }
});

test("issue 9 item 2: a deleted topic's record is forgotten, and records of groups no longer hosted are dropped at start", async (t) => {
  const dataDir = tempDir(t);
  const registry = new MemoryReplicaRegistry();
  const node = await startNode(t, dataDir, registry, [topic('orders')]);
  assert.ok(registry.holds(GROUP));
  const state = new MetadataState({ clusterId: 'c', brokers, topics: [topic('orders')] });
  state.apply({ type: 'deleteTopic', name: 'orders' });
  node.manager.onMetadata({ type: 'deleteTopic', name: 'orders' }, state);
  assert.ok(!registry.holds(GROUP), 'the record goes with the replica, before its files');
  // The topic created again under its name is a new incarnation: a new group, founded as new.
  const again = topic('orders', 'fedcba9876543210fedcba9876543210');
  state.apply({ type: 'createTopic', topic: again });
  node.manager.onMetadata({ type: 'createTopic', topic: again }, state);
  const newGroup = raftGroupName(again, 0);
  await waitFor(() => node.manager.replica('orders', 0) !== undefined);
  const replica = node.manager.replica('orders', 0)!;
  assert.equal(replica.storage.storageId, NODE_STORAGE_ID);
  assert.ok(replica.storage.lastIndex() > 0, 'founded');
  assert.ok(registry.holds(newGroup));
  await stopNode(node);
  assert.deepEqual(registry.recorded().sort(), [newGroup], 'closing the broker forgets nothing');
  registry.record('gone-0@00000000000000000000000000000000');
  const restarted = await startNode(t, dataDir, registry, [again]);
  assert.deepEqual(registry.recorded().sort(), [newGroup]);
  await stopNode(restarted);
});

/** Polls every 10 ms, at most 5 s (a re-created partition opens once the old directory is renamed away). */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition reached');
}

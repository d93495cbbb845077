// Issue 9 item 1 in cluster mode, in process: ClusterReplicaManagers over RaftHosts on an
// in-memory hub. A topic deleted and created again under the same name gets new Raft groups:
// - the delete and the create applied in one turn (two metadata entries of one Raft round) leave
//   the host running, and the new group starts from its own founding entries, never from the
//   old log (this used to hand the new group the log being closed: a fatal `log … is closed`);
// - a message of the old incarnation's group never reaches the new incarnation's group;
// - a log whose founding entries name another incarnation is never hosted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { MetadataState, type MetadataCommand, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import type { ClusterReplicaManager } from '../../../src/partition/cluster-replica-manager.ts';
import { testReplicaManager } from '../../helpers/cluster-replica-manager.ts';
import type { ReplicatedPartition } from '../../../src/partition/replicated-partition.ts';
import { decodeBatches } from '../../../src/protocol/record-batch.ts';
import type { Message } from '../../../src/raft/types.ts';
import { MemoryHub, type MemoryTransport } from '../../../src/transport/memory.ts';
import { makeBatch, tempDir } from '../storage/helpers.ts';
import { tickUntil as until } from '../../helpers/raft-ticks.ts';

const OLD_ID = 'a'.repeat(32);
const NEW_ID = 'b'.repeat(32);

interface Broker {
  id: number;
  host: RaftHost;
  transport: MemoryTransport;
  replicas: ClusterReplicaManager;
  state: MetadataState;
  lines: Array<{ msg: string; level: number; [k: string]: unknown }>;
  unhosted: string[];
}

function broker(hub: MemoryHub, id: number, peers: number[], dataDir: string): Broker {
  const lines: Broker['lines'] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const transport = hub.connect(id, peers, `disk-${id}`);
  const unhosted: string[] = [];
  const host = new RaftHost({ nodeId: id, transport, logger, tickMs: 5, onUnhosted: (_from, group) => void unhosted.push(group) });
  const replicas = testReplicaManager({ nodeId: id, storageId: `disk-${id}`, dataDir, host, logger });
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const b of [id, ...peers])
    state.apply({ type: 'registerBroker', broker: { nodeId: b, host: '127.0.0.1', port: 9000 + b, rack: null, storageId: `disk-${b}` } });
  return { id, host, transport, replicas, state, lines, unhosted };
}

function topic(topicId: string, assignment: number[]): TopicRecord {
  return { name: 't', topicId, partitionCount: 1, replicationFactor: assignment.length, configs: {}, assignments: [assignment], createdAtMs: 0 };
}

function apply(b: Broker, command: MetadataCommand): void {
  const result = b.state.apply(command);
  assert.ok(result.ok, JSON.stringify(result));
  b.replicas.onMetadata(command, b.state);
}

/** Values of the produced records below the high watermark (Raft's control batches left out). */
function values(p: ReplicatedPartition): string[] {
  if (p.highWatermark === p.logStartOffset) return [];
  const { records } = p.log.read(p.logStartOffset, 1 << 30, p.highWatermark);
  return decodeBatches(records)
    .filter((b) => (b.header.attributes & 0x20) === 0)
    .flatMap((b) => b.records.map((r) => r.key!.toString()));
}

async function produce(p: ReplicatedPartition, seed: number): Promise<void> {
  const { committed } = await p.append([makeBatch(seed, 2)]);
  await committed;
}

function fatalLines(b: Broker): string[] {
  return b.lines.filter((l) => l.level >= 50).map((l) => `${l.msg} ${JSON.stringify(l.err ?? '')}`);
}

async function stop(brokers: Broker[]): Promise<void> {
  for (const b of brokers) {
    await b.host.close();
    await b.replicas.close();
  }
}

test('issue 9 item 1: delete + re-create applied in one turn: the host keeps running and the new group starts from its own founding entries', async (t) => {
  const hub = new MemoryHub();
  const b = broker(hub, 1, [], tempDir(t));
  b.host.start();
  try {
    await b.replicas.start(b.state);
    apply(b, { type: 'createTopic', topic: topic(OLD_ID, [1]) });
    await until('the old incarnation has a leader', () => b.replicas.partition('t', 0) !== undefined, [b]);
    const old = b.replicas.servedReplica('t', 0) as ReplicatedPartition;
    await produce(old, 1);
    await produce(old, 2);
    assert.deepEqual(values(old), ['k-1-0', 'k-1-1', 'k-2-0', 'k-2-1']);

    apply(b, { type: 'deleteTopic', name: 't' });
    apply(b, { type: 'createTopic', topic: topic(NEW_ID, [1]) });
    await until('the new incarnation has a leader', () => b.replicas.partition('t', 0) !== undefined, [b]);
    const fresh = b.replicas.servedReplica('t', 0) as ReplicatedPartition;
    assert.notEqual(fresh, old);
    assert.deepEqual(values(fresh), [], 'none of the old records');
    assert.ok(fresh.raft!.status().term <= 2, `a new group: term ${fresh.raft!.status().term}, not the old group's`);
    await produce(fresh, 3);
    assert.deepEqual(values(fresh), ['k-3-0', 'k-3-1']);
    assert.deepEqual(fatalLines(b), []);
  } finally {
    await stop([b]);
  }
});

test("issue 9 item 1: a message of the old incarnation's group never reaches the new incarnation's group", async (t) => {
  const hub = new MemoryHub();
  // Broker 1 already has the new incarnation (a group of its own); broker 2 still runs the old
  // one, whose replicas were brokers 2 and 1, and campaigns in it.
  const one = broker(hub, 1, [2], tempDir(t));
  const two = broker(hub, 2, [1], tempDir(t));
  try {
    await one.replicas.start(one.state);
    apply(one, { type: 'createTopic', topic: topic(NEW_ID, [1]) });
    await until('the new incarnation has a leader', () => one.replicas.partition('t', 0) !== undefined, [one]);
    const node = one.replicas.replica('t', 0)!.raft!;
    const stepped: Message[] = [];
    const step = node.step.bind(node);
    node.step = (msg: Message) => {
      stepped.push(msg);
      return step(msg);
    };
    const term = node.status().term;

    await two.replicas.start(two.state);
    apply(two, { type: 'createTopic', topic: topic(OLD_ID, [2, 1]) });
    const fromTwo = () => stepped.filter((m) => m.from === 2);
    await until('the old incarnation asked broker 1 for votes', () => one.unhosted.length + fromTwo().length >= 3, [one, two]);
    assert.deepEqual(
      fromTwo().map((m) => m.type),
      [],
      'nothing from the old group was stepped into the new one',
    );
    assert.equal(node.status().term, term);
    assert.equal(node.status().state, 'leader');
  } finally {
    await stop([one, two]);
  }
});

test('issue 9 item 1: a log whose founding entries name another incarnation is never hosted', async (t) => {
  const dataDir = tempDir(t);
  const hub = new MemoryHub();
  const first = broker(hub, 1, [], dataDir);
  try {
    await first.replicas.start(first.state);
    apply(first, { type: 'createTopic', topic: topic(OLD_ID, [1]) });
    await until('a leader', () => first.replicas.partition('t', 0) !== undefined, [first]);
    await produce(first.replicas.servedReplica('t', 0) as ReplicatedPartition, 1);
  } finally {
    await stop([first]);
  }
  // A damaged or hand-copied directory: its topic-id file says the new incarnation, its log was
  // founded for the old one.
  writeFileSync(join(dataDir, 't-0', 'partition.metadata'), `version: 0\ntopic_id: ${NEW_ID}\n`);
  const second = broker(new MemoryHub(), 1, [], dataDir);
  try {
    second.state.apply({ type: 'createTopic', topic: topic(NEW_ID, [1]) });
    await second.replicas.start(second.state);
    assert.equal(second.replicas.replica('t', 0), undefined, 'the replica is not hosted');
    assert.ok(
      second.lines.some((l) => l.level === 50 && String(l.msg).includes('another incarnation')),
      'and the reason is logged',
    );
  } finally {
    await stop([second]);
  }
});

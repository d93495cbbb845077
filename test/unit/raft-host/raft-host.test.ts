// Three RaftHosts on an in-memory hub, each hosting one replica of a partition group whose log is
// a RaftLogStorage: entries commit on a quorum, a new leader takes over when the old one stops,
// and the surviving logs agree entry for entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { encodeEntry } from '../../../src/partition/raft-entry-codec.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';

const silent = pino({ level: 'silent' });
const ids = [1, 2, 3];
const group = 'orders-0';

interface Replica {
  host: RaftHost;
  node: RaftNode;
  storage: RaftLogStorage;
  applied: string[];
}

function startCluster(hub: MemoryHub): Map<number, Replica> {
  const replicas = new Map<number, Replica>();
  const voters = ids.map((id) => ({ id, storageId: `disk-${id}` }));
  for (const id of ids) {
    const storage = RaftLogStorage.inMemory(`disk-${id}`);
    storage.bootstrap({ voters, learners: [] });
    const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(id));
    const transport = hub.connect(
      id,
      ids.filter((other) => other !== id),
      `disk-${id}`,
    );
    const host = new RaftHost({ nodeId: id, transport, logger: silent, tickMs: 5 });
    const applied: string[] = [];
    host.addGroup(group, node, storage, {
      apply(entry: Entry) {
        if (entry.type === 'normal' && entry.data.length > 0) applied.push(`${entry.index}:${entry.term}`);
      },
    });
    replicas.set(id, { host, node, storage, applied });
  }
  return replicas;
}

async function until(what: string, check: () => boolean, replicas: Map<number, Replica>, ticksMax = 2_000): Promise<void> {
  for (let i = 0; i < ticksMax; i++) {
    if (check()) return;
    for (const r of replicas.values()) r.host.tick();
    // A millisecond per tick lets the hub deliver messages well within an election timeout.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.fail(`${what}: not reached within ${ticksMax} ticks`);
}

function leaderOf(replicas: Map<number, Replica>): Replica | undefined {
  return [...replicas.values()].find((r) => r.node.status().state === 'leader');
}

function batchEntry(value: string): Uint8Array {
  return encodeEntry({
    index: 0,
    term: 0,
    type: 'normal',
    data: buildRecordBatch({ records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: 1 }] }),
  });
}

test('entries proposed on the leader commit on a quorum and apply everywhere (Raft §5.3)', async () => {
  const hub = new MemoryHub();
  const replicas = startCluster(hub);
  await until('a leader', () => leaderOf(replicas) !== undefined, replicas);
  const leader = leaderOf(replicas)!;
  for (let i = 0; i < 10; i++) assert.equal(leader.node.propose(batchEntry(`v${i}`)).ok, true);
  leader.host.kick();
  await until('10 entries applied on every replica', () => [...replicas.values()].every((r) => r.applied.length === 10), replicas);
  const logs = [...replicas.values()].map((r) => r.applied.join(','));
  assert.equal(new Set(logs).size, 1);
  for (const r of replicas.values()) await r.host.close();
});

test('when the leader stops, the others elect a new one and keep committing (Raft §5.2)', async () => {
  const hub = new MemoryHub();
  const replicas = startCluster(hub);
  await until('a leader', () => leaderOf(replicas) !== undefined, replicas);
  const first = leaderOf(replicas)!;
  first.node.propose(batchEntry('before'));
  first.host.kick();
  await until('first entry applied everywhere', () => [...replicas.values()].every((r) => r.applied.length === 1), replicas);

  await first.host.close();
  const firstId = first.host.nodeId;
  replicas.delete(firstId);
  hub.partition(
    [firstId],
    ids.filter((id) => id !== firstId),
  );
  await until('a new leader', () => leaderOf(replicas) !== undefined, replicas);
  const second = leaderOf(replicas)!;
  assert.notEqual(second.host.nodeId, firstId);
  assert.ok(second.node.status().term > 1);
  second.node.propose(batchEntry('after'));
  second.host.kick();
  await until('second entry applied on both survivors', () => [...replicas.values()].every((r) => r.applied.length === 2), replicas);

  // Log matching (§5.3): the survivors hold the same entries with the same terms.
  const [a, b] = [...replicas.values()];
  assert.equal(a.storage.lastIndex(), b.storage.lastIndex());
  for (let i = a.storage.firstIndex(); i <= a.storage.lastIndex(); i++) assert.equal(a.storage.term(i), b.storage.term(i));
  for (const r of replicas.values()) await r.host.close();
});

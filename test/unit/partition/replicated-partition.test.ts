// A partition replicated by Raft over three in-memory hosts: offsets are assigned on the leader's
// append, acks=all waits for a majority, the high watermark follows the commit index, and after a
// failover the survivors' logs hold the same bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { ReplicatedPartition, caughtUpOffset } from '../../../src/partition/replicated-partition.ts';
import { NotLeaderError } from '../../../src/partition/replicas.ts';
import type { FollowerStatus, RaftStatus } from '../../../src/raft/index.ts';
import { buildRecordBatch, decodeBatches } from '../../../src/protocol/record-batch.ts';
import { MemoryHub, type MemoryTransport } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import { tickUntil as until } from '../../helpers/raft-ticks.ts';

const silent = pino({ level: 'silent' });
const ids = [1, 2, 3];

interface Replica {
  id: number;
  host: RaftHost;
  transport: MemoryTransport;
  node: RaftNode;
  partition: ReplicatedPartition;
}

function start(hub: MemoryHub): Replica[] {
  return ids.map((id) => {
    const storage = RaftLogStorage.inMemory(`disk-${id}`);
    storage.bootstrap({ voters: ids.map((v) => ({ id: v, storageId: `disk-${v}` })), learners: [] });
    const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(100 + id));
    const transport = hub.connect(
      id,
      ids.filter((o) => o !== id),
      `disk-${id}`,
    );
    const host = new RaftHost({ nodeId: id, transport, logger: silent, tickMs: 5 });
    const partition = new ReplicatedPartition('orders', 0, storage, id, () => host.kick());
    partition.attach(node);
    host.addGroup('orders-0', node, storage, partition);
    return { id, host, transport, node, partition };
  });
}

const batch = (...values: string[]) =>
  buildRecordBatch({ records: values.map((v, i) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 1000 + i })) });

function values(replica: Replica): string[] {
  const p = replica.partition;
  if (p.highWatermark === p.logStartOffset) return [];
  const { records } = p.log.read(p.logStartOffset, 1 << 30, p.highWatermark);
  return decodeBatches(records)
    .filter((b) => (b.header.attributes & 0x20) === 0)
    .flatMap((b) => b.records.map((r) => r.value!.toString()));
}

test('offsets come from the leader log; acks=all resolves on a majority; followers refuse appends', async () => {
  const hub = new MemoryHub();
  const replicas = start(hub);
  try {
    await until('a leader', () => replicas.some((r) => r.partition.isLeader), replicas);
    const leader = replicas.find((r) => r.partition.isLeader)!;
    const follower = replicas.find((r) => !r.partition.isLeader)!;
    await until('the follower knows the leader', () => follower.partition.leaderId === leader.id, replicas);
    await assert.rejects(follower.partition.append([batch('x')]), NotLeaderError);

    const pending = leader.partition.append([batch('a', 'b'), batch('c')]);
    await until('the append is persisted', () => leader.node.status().lastIndex >= 3, replicas);
    const first = await pending;
    // The leader's no-op and the bootstrap config entries are control batches that take offsets.
    assert.equal(first.lastOffset - first.baseOffset, 2);
    let committed = false;
    void first.committed.then(() => (committed = true));
    await until('committed', () => committed, replicas);
    assert.equal(leader.partition.highWatermark, first.lastOffset + 1);
    await until('followers reach the same high watermark', () => replicas.every((r) => r.partition.highWatermark === first.lastOffset + 1), replicas);
    for (const r of replicas) assert.deepEqual(values(r), ['a', 'b', 'c']);
  } finally {
    for (const r of replicas) await r.host.close();
  }
});

test('after the leader is cut off, a new leader appends and the survivors hold identical bytes (Raft §5.4)', async () => {
  const hub = new MemoryHub();
  const replicas = start(hub);
  try {
    await until('a leader', () => replicas.some((r) => r.partition.isLeader), replicas);
    const old = replicas.find((r) => r.partition.isLeader)!;
    const one = await old.partition.append([batch('one')]);
    let done = false;
    void one.committed.then(() => (done = true));
    await until('first committed', () => done, replicas);

    hub.partition(
      [old.id],
      ids.filter((id) => id !== old.id),
    );
    const survivors = replicas.filter((r) => r !== old);
    // The old leader may still accept a proposal, but it can never commit without a majority.
    const stale = old.partition.append([batch('lost')]).then((r) => r.committed);
    stale.catch(() => undefined);
    await until('a new leader', () => survivors.some((r) => r.partition.isLeader), replicas);
    const next = survivors.find((r) => r.partition.isLeader)!;
    const two = await next.partition.append([batch('two')]);
    let twoDone = false;
    void two.committed.then(() => (twoDone = true));
    await until('second committed', () => twoDone, replicas);
    await until('both survivors apply it', () => survivors.every((r) => r.partition.highWatermark === two.lastOffset + 1), replicas);
    for (const r of survivors) assert.deepEqual(values(r), ['one', 'two']);

    hub.heal();
    await until('the old leader catches up', () => old.partition.highWatermark === next.partition.highWatermark, replicas);
    await assert.rejects(stale, NotLeaderError);
    for (const r of replicas) assert.deepEqual(values(r), ['one', 'two']);
    const bytes = replicas.map((r) => r.partition.log.read(r.partition.logStartOffset, 1 << 30, r.partition.highWatermark).records.toString('hex'));
    assert.equal(new Set(bytes).size, 1, 'replica logs are byte-identical');
  } finally {
    for (const r of replicas) await r.host.close();
  }
});

test('issue 9: the head of the log may go up to what every recently active replica holds (caughtUpOffset)', () => {
  const follower = (id: number, match: number, recentActive = true): FollowerStatus => ({
    id,
    storageId: `disk-${id}`,
    match,
    next: match + 1,
    state: 'replicate',
    recentActive,
    identityOk: true,
    lag: 0,
  });
  const status = (state: RaftStatus['state'], progress: FollowerStatus[]) => ({ id: 1, state, progress }) as unknown as RaftStatus;
  // Entry i ends at offset 10·i.
  const offsetAfter = (index: number) => index * 10;
  const self = follower(1, 50);
  assert.equal(caughtUpOffset(status('follower', []), 500, 1, offsetAfter), 500, 'a follower bounds nothing beyond its high watermark');
  assert.equal(caughtUpOffset(status('leader', [self, follower(2, 50), follower(3, 50)]), 500, 1, offsetAfter), 500);
  assert.equal(
    caughtUpOffset(status('leader', [self, follower(2, 50), follower(3, 30)]), 500, 1, offsetAfter),
    300,
    'an active follower that lags keeps its entries',
  );
  assert.equal(
    caughtUpOffset(status('leader', [self, follower(2, 50), follower(3, 30, false)]), 500, 1, offsetAfter),
    500,
    'a silent follower does not hold the log back',
  );
  assert.equal(
    caughtUpOffset(status('leader', [self, follower(2, 50), follower(3, 5)]), 500, 20, offsetAfter),
    500,
    'one already behind the log start needs a snapshot anyway',
  );
});

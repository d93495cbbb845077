// Chaos bug B1 (docs/reliability.md): a full disk must not stop a cluster broker. A group whose
// write fails with ENOSPC stops for that replica (nothing of the failed Ready is sent, counted as
// persisted or applied: Raft must never acknowledge an entry that is not durable, §5.3/§5.4.1),
// the rest of the host keeps running, and the write is retried until space returns. A failed
// fsync stops the group for good (the page cache may have dropped the data: fsyncgate) while the
// host lives on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryStorage, RaftNode, Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { MemoryRaftStateStore, type PersistedRaftState } from '../../../src/partition/raft-state-store.ts';
import { encodeEntry } from '../../../src/partition/raft-entry-codec.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import type { AppendResult } from '../../../src/storage/log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';

const silent = pino({ level: 'silent' });
const ids = [1, 2, 3];
const group = 'orders-0';

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

/** A disk that fills up: appends (after `appendsLeft` more) and state writes fail with ENOSPC. */
class Disk {
  full = false;
  appendsLeft = 0;
  take(): void {
    if (!this.full) return;
    if (this.appendsLeft > 0) {
      this.appendsLeft--;
      return;
    }
    throw enospc();
  }
}

class FillingLog extends MemoryLog {
  constructor(private readonly disk: Disk) {
    super();
  }
  override append(batch: Buffer, term: number): AppendResult {
    this.disk.take();
    return super.append(batch, term);
  }
}

class FillingStateStore extends MemoryRaftStateStore {
  constructor(private readonly disk: Disk) {
    super();
  }
  override save(state: PersistedRaftState): void {
    if (this.disk.full) throw enospc();
    super.save(state);
  }
}

interface Replica {
  id: number;
  host: RaftHost;
  node: RaftNode;
  storage: RaftLogStorage;
  disk: Disk;
  applied: Array<{ index: number; term: number }>;
  persisted: number[];
  failures: unknown[];
  storageErrors: Array<unknown>;
}

function startCluster(hub: MemoryHub): Map<number, Replica> {
  const replicas = new Map<number, Replica>();
  const voters = ids.map((id) => ({ id, storageId: `disk-${id}` }));
  for (const id of ids) {
    const disk = new Disk();
    const storage = new RaftLogStorage(new FillingLog(disk), new FillingStateStore(disk), { storageId: `disk-${id}` });
    storage.bootstrap({ voters, learners: [] });
    const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1, checkQuorum: true, preVote: true }, storage, new Rng(id));
    const transport = hub.connect(
      id,
      ids.filter((other) => other !== id),
      `disk-${id}`,
    );
    const failures: unknown[] = [];
    const host = new RaftHost({
      nodeId: id,
      transport,
      logger: silent,
      tickMs: 5,
      onFatal: (err) => failures.push(err),
      isolateStorageFailures: true,
      storageRetryTicks: 5,
    });
    const r: Replica = { id, host, node, storage, disk, applied: [], persisted: [], failures, storageErrors: [] };
    host.addGroup(group, node, storage, {
      apply(entry: Entry) {
        if (entry.type === 'normal' && entry.data.length > 0) r.applied.push({ index: entry.index, term: entry.term });
      },
      onPersisted(last: number) {
        r.persisted.push(last);
      },
      onStorageFailure(err: unknown) {
        r.storageErrors.push(err);
      },
    });
    replicas.set(id, r);
  }
  return replicas;
}

async function until(what: string, check: () => boolean, replicas: Map<number, Replica>, ticksMax = 2_000): Promise<void> {
  for (let i = 0; i < ticksMax; i++) {
    if (check()) return;
    await ticks(1, replicas);
  }
  assert.fail(`${what}: not reached within ${ticksMax} ticks`);
}

async function ticks(n: number, replicas: Map<number, Replica>): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const r of replicas.values()) r.host.tick();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
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

function assertLogsAgreeUpToCommit(replicas: Map<number, Replica>): void {
  const commit = Math.min(...[...replicas.values()].map((r) => r.node.status().commit));
  const [first, ...rest] = [...replicas.values()];
  for (const r of rest) {
    for (let i = Math.max(first.storage.firstIndex(), r.storage.firstIndex()); i <= commit; i++) {
      assert.equal(r.storage.term(i), first.storage.term(i), `entry ${i} agrees on nodes ${first.id} and ${r.id} (Raft §5.3 log matching)`);
    }
  }
}

async function closeAll(replicas: Map<number, Replica>): Promise<void> {
  for (const r of replicas.values()) await r.host.close();
}

test('B1: a follower whose disk is full never acknowledges the entries it could not write, stays up, and catches up when space returns', async () => {
  const hub = new MemoryHub();
  const replicas = startCluster(hub);
  await until('a leader', () => leaderOf(replicas) !== undefined, replicas);
  const leader = leaderOf(replicas)!;
  const [full, away] = [...replicas.values()].filter((r) => r !== leader);
  // Only the leader and the full follower talk: an entry commits only if the full one acks it.
  hub.partition([leader.id, full.id], [away.id]);
  full.disk.full = true;
  assert.equal(leader.node.propose(batchEntry('while-full')).ok, true);
  const index = leader.node.status().lastIndex;
  leader.host.kick();
  await ticks(100, replicas);
  assert.deepEqual(full.failures, [], 'the host did not stop (no onFatal)');
  assert.ok(full.storageErrors.length >= 1, 'the state machine was told of the storage failure');
  assert.ok(full.storage.lastIndex() < index, 'the entry is not in the full follower log');
  assert.ok(
    full.persisted.every((p) => p < index),
    'the full follower never reported the entry persisted',
  );
  assert.ok(leader.node.status().commit < index, 'the entry did not commit: the follower did not acknowledge what it could not write (Raft §5.3)');
  assert.equal(
    leader.applied.some((e) => e.index === index),
    false,
  );

  full.disk.full = false;
  await until(
    'the entry committed and applied on the leader and the follower',
    () => [leader, full].every((r) => r.applied.some((e) => e.index === index)),
    replicas,
  );
  assert.deepEqual(full.failures, []);
  assert.equal(full.storage.term(index), leader.storage.term(index));
  hub.heal();
  await until('the third replica caught up', () => away.applied.some((e) => e.index === index), replicas);
  assertLogsAgreeUpToCommit(replicas);
  await closeAll(replicas);
});

test('B1: a leader whose disk fills in the middle of a Ready stays up, loses leadership, and rejoins with a log that agrees once space returns', async () => {
  const hub = new MemoryHub();
  const replicas = startCluster(hub);
  await until('a leader', () => leaderOf(replicas) !== undefined, replicas);
  const leader = leaderOf(replicas)!;
  assert.equal(leader.node.propose(batchEntry('before')).ok, true);
  leader.host.kick();
  await until('the first entry applied everywhere', () => [...replicas.values()].every((r) => r.applied.length === 1), replicas);
  const oldTerm = leader.node.status().term;
  const before = leader.storage.lastIndex();
  // One of the three entries of the next Ready fits; the second write fails.
  leader.disk.full = true;
  leader.disk.appendsLeft = 1;
  for (const v of ['a', 'b', 'c']) assert.equal(leader.node.propose(batchEntry(v)).ok, true);
  leader.host.kick();
  const others = [...replicas.values()].filter((r) => r !== leader);
  await until('another leader in a later term', () => others.some((r) => r.node.status().state === 'leader' && r.node.status().term > oldTerm), replicas);
  assert.deepEqual(leader.failures, [], 'the host did not stop (no onFatal)');
  assert.ok(leader.storageErrors.length >= 1);
  assert.ok(
    leader.persisted.every((p) => p <= before),
    'nothing of the failed Ready was reported persisted',
  );
  const next = others.find((r) => r.node.status().state === 'leader')!;
  assert.equal(next.node.propose(batchEntry('after')).ok, true);
  next.host.kick();
  await until('the new leader committed its entry on the other replica', () => others.every((r) => r.applied.some((e) => e.term > oldTerm)), replicas);

  leader.disk.full = false;
  await until(
    'the old leader follows and applied the new entry',
    () => leader.node.status().state === 'follower' && leader.applied.some((e) => e.term > oldTerm),
    replicas,
  );
  assert.deepEqual(leader.failures, []);
  assertLogsAgreeUpToCommit(replicas);
  // Every replica applied the same entries in the same order.
  const applied = [...replicas.values()].map((r) => JSON.stringify(r.applied));
  assert.equal(new Set(applied).size, 1);
  await closeAll(replicas);
});

/** A storage whose sync() fails once with EIO. */
class FailingSync extends MemoryStorage {
  failNext = false;
  sync(): Promise<void> {
    if (!this.failNext) return Promise.resolve();
    this.failNext = false;
    return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  }
}

test('B1: a failed fsync stops that group for good but not the host: its other groups keep committing', async () => {
  const hub = new MemoryHub();
  const failures: unknown[] = [];
  const host = new RaftHost({
    nodeId: 1,
    transport: hub.connect(1),
    logger: silent,
    tickMs: 5,
    onFatal: (err) => failures.push(err),
    isolateStorageFailures: true,
    storageRetryTicks: 5,
  });
  const groups = ['a', 'b'].map((name) => {
    const storage = new FailingSync(`disk-${name}`);
    storage.bootstrap({ voters: [{ id: 1, storageId: `disk-${name}` }], learners: [] });
    const node = new RaftNode({ id: 1, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(1));
    const applied: number[] = [];
    const errors: unknown[] = [];
    host.addGroup(name, node, storage, {
      apply: (e: Entry) => void (e.type === 'normal' && e.data.length > 0 && applied.push(e.index)),
      onStorageFailure: (err: unknown) => void errors.push(err),
    });
    node.campaign();
    return { name, storage, node, applied, errors };
  });
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      host.tick();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await run(20);
  const [a, b] = groups;
  assert.equal(a.node.status().state, 'leader');
  a.storage.failNext = true;
  a.node.propose(new Uint8Array([1]));
  b.node.propose(new Uint8Array([2]));
  host.kick();
  await run(30);
  assert.deepEqual(failures, [], 'the host did not stop');
  assert.equal(a.errors.length, 1, 'group a was told once');
  assert.deepEqual(a.applied, [], 'the entry whose fsync failed was never applied');
  assert.equal(b.applied.length, 1, 'group b committed');
  // Group a stays stopped even though its next fsync would succeed: after a failed fsync the
  // data may be gone from the page cache, so only a restart (recovery from the disk) may go on.
  a.node.propose(new Uint8Array([3]));
  b.node.propose(new Uint8Array([4]));
  host.kick();
  await run(30);
  assert.deepEqual(a.applied, []);
  assert.equal(b.applied.length, 2);
  await host.close();
});

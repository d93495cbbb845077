// The two hooks a simulator drives a RaftHost with: `busy` (a Ready round scheduled or running,
// so the simulator can run microtasks until the host is idle or parked on an fsync it holds back)
// and `onFatal` (a failed fsync stops the host, and the simulator turns that into a crash).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryStorage, RaftNode, Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';

const silent = pino({ level: 'silent' });

/** A storage whose sync() the test completes or fails by hand. */
class HeldStorage extends MemoryStorage {
  private held: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];

  sync(): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ resolve, reject }));
  }

  get holding(): number {
    return this.held.length;
  }

  complete(err?: Error): void {
    const held = this.held;
    this.held = [];
    for (const h of held) {
      if (err) h.reject(err);
      else h.resolve();
    }
  }
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

function oneVoter(onFatal?: (err: unknown) => void): { host: RaftHost; node: RaftNode; storage: HeldStorage } {
  const storage = new HeldStorage('disk-1');
  storage.bootstrap({ voters: [{ id: 1, storageId: 'disk-1' }], learners: [] });
  const node = new RaftNode({ id: 1, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(1));
  const host = new RaftHost({ nodeId: 1, transport: new MemoryHub().connect(1), logger: silent, tickMs: 5, onFatal });
  host.addGroup('g', node, storage, { apply(_e: Entry) {} });
  return { host, node, storage };
}

test('RaftHost.busy is true while a round waits on an fsync and false once the host is idle', async () => {
  const { host, node, storage } = oneVoter();
  node.campaign();
  host.kick();
  assert.equal(host.busy, true, 'a round is scheduled');
  await turns(20);
  assert.equal(storage.holding, 1, 'the round waits on its fsync');
  assert.equal(host.busy, true);
  for (let i = 0; i < 20 && host.busy; i++) {
    storage.complete();
    await turns(20);
  }
  assert.equal(host.busy, false);
  assert.equal(node.status().state, 'leader');
  await host.close();
});

test('a failed fsync stops the host and reaches onFatal with the error (the node must restart)', async () => {
  const failures: unknown[] = [];
  const { host, node, storage } = oneVoter((err) => failures.push(err));
  node.campaign();
  host.kick();
  await turns(20);
  assert.equal(storage.holding, 1);
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  storage.complete(eio);
  await turns(20);
  assert.deepEqual(failures, [eio]);
  assert.equal(host.busy, false);
  // The host is stopped: nothing more is written or synced.
  node.propose(new Uint8Array([1]));
  host.kick();
  await turns(20);
  assert.equal(storage.holding, 0);
  assert.equal(host.busy, false);
});

// The metadata group: commands proposed on the controller apply on every broker in the same
// order; followers forward proposals to the controller; a restarted broker rebuilds its state from
// its log (snapshots and compaction: metadata-snapshot.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { MemorySnapshotStore, startMetaBroker, stopMetaBroker, topic, until, type MetaBroker } from './metadata-harness.ts';

const ids = [1, 2, 3];

function startBroker(hub: MemoryHub, dir: string, id: number, store: MemorySnapshotStore, bootstrap: boolean): MetaBroker {
  return startMetaBroker(hub, dir, id, store, { voters: ids, bootstrap });
}

test('commands proposed on the controller apply on every broker; a follower forwards its proposal (MsgProp)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-'));
  const hub = new MemoryHub();
  const brokers = ids.map((id) => startBroker(hub, dir, id, new MemorySnapshotStore(), true));
  try {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const controller = brokers.find((b) => b.group.isController)!;
    const follower = brokers.find((b) => !b.group.isController)!;
    await until('followers know the controller', () => brokers.every((b) => b.group.controllerId === controller.id), brokers);
    // A follower's proposal travels to the controller and resolves when the entry applies here.
    const forwarded = follower.group.propose({ type: 'createTopic', topic: topic('x') });
    await until('the forwarded command applied on the follower', () => follower.group.state.topic('x') !== undefined, brokers);
    assert.deepEqual(await forwarded, { ok: true });
    // Brokers apply in their own time (each makes the commit durable first).
    await until('the command applied on the controller', () => controller.group.state.topic('x') !== undefined, brokers);

    const created = controller.group.propose({ type: 'createTopic', topic: topic('orders') });
    await until('applied on the controller', () => controller.group.state.topic('orders') !== undefined, brokers);
    assert.deepEqual(await created, { ok: true });
    const again = controller.group.propose({ type: 'createTopic', topic: topic('orders') });
    await until('second applied', () => controller.group.appliedThrough > 0 && brokers.every((b) => b.group.state.topic('orders')), brokers);
    assert.equal((await again).ok, false);
    await until('every broker knows the topic', () => brokers.every((b) => b.group.state.topic('orders') !== undefined), brokers);
  } finally {
    for (const b of brokers) await stopMetaBroker(b);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a restarted broker without a snapshot replays the committed commands from its log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-'));
  const hub = new MemoryHub();
  let brokers = ids.map((id) => startBroker(hub, dir, id, new MemorySnapshotStore(), true));
  try {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const controller = brokers.find((b) => b.group.isController)!;
    const victim = brokers.find((b) => b !== controller)!;
    const done = controller.group.propose({ type: 'createTopic', topic: topic('late') });
    await until('applied everywhere', () => brokers.every((b) => b.group.state.topic('late') !== undefined), brokers);
    await done;

    // Restart the victim: without a snapshot (snapshot_entries 0) its state is rebuilt from the log.
    await stopMetaBroker(victim);
    brokers = brokers.filter((b) => b !== victim);
    const restarted = startBroker(hub, dir, victim.id, victim.store, false);
    brokers.push(restarted);
    assert.ok(restarted.group.state.topic('late'), 'replayed from the log at start');
    assert.equal(restarted.group.appliedThrough, restarted.node.status().commit);
  } finally {
    for (const b of brokers) await stopMetaBroker(b);
    rmSync(dir, { recursive: true, force: true });
  }
});

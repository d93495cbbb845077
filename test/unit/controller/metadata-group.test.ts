// The metadata group: commands proposed on the controller apply on every broker in the same
// order; followers forward proposals to the controller; a restarted broker rebuilds its state from
// its log (snapshots and compaction: metadata-snapshot.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { NotControllerError } from '../../../src/metadata/controller.ts';
import { MemorySnapshotStore, startMetaBroker, stopMetaBroker, topic, until, type MetaBroker } from './metadata-harness.ts';

const ids = [1, 2, 3];
const ATTEMPTS_MAX = 5;

/**
 * Proposes createTopic `name` through a broker `via` picks once the brokers agree on a controller,
 * ticking until the answer comes, and answers it with the broker and the name used. The hosts tick
 * in logical time but write and deliver in real time: on a loaded machine a follower can time out
 * and an election reject a proposal in flight with NotControllerError, as it would a client's;
 * then it proposes again, under a new name unless `sameName` (the rejected one may still commit), as a
 * client retries.
 */
async function proposeCreate(
  brokers: MetaBroker[],
  via: (controller: MetaBroker) => MetaBroker,
  name: string,
  sameName = false,
): Promise<{ result: unknown; broker: MetaBroker; name: string }> {
  for (let attempt = 1; ; attempt++) {
    await until('a controller', () => brokers.some((b) => b.group.isController), brokers);
    const controller = brokers.find((b) => b.group.isController)!;
    await until('every broker knows the controller', () => brokers.every((b) => b.group.controllerId === controller.id), brokers);
    const broker = via(controller);
    const tried = attempt === 1 || sameName ? name : `${name}-${attempt}`;
    let answer: { result: unknown } | null = null;
    broker.group.propose({ type: 'createTopic', topic: topic(tried) }).then(
      (result) => {
        answer = { result };
      },
      (err: unknown) => {
        answer = { result: err };
      },
    );
    await until(`the answer to creating ${tried}`, () => answer !== null, brokers);
    const { result } = answer!;
    if (result instanceof NotControllerError && attempt < ATTEMPTS_MAX) continue;
    if (result instanceof Error) throw result;
    return { result, broker, name: tried };
  }
}

function startBroker(hub: MemoryHub, dir: string, id: number, store: MemorySnapshotStore, bootstrap: boolean): MetaBroker {
  return startMetaBroker(hub, dir, id, store, { voters: ids, bootstrap });
}

test('commands proposed on the controller apply on every broker; a follower forwards its proposal (MsgProp)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-meta-'));
  const hub = new MemoryHub();
  const brokers = ids.map((id) => startBroker(hub, dir, id, new MemorySnapshotStore(), true));
  try {
    // A follower's proposal travels to the controller and resolves when the entry applies there.
    const forwarded = await proposeCreate(brokers, (controller) => brokers.find((b) => b !== controller)!, 'x');
    assert.deepEqual(forwarded.result, { ok: true });
    assert.notEqual(forwarded.broker.group.state.topic(forwarded.name), undefined);
    const controller = brokers.find((b) => b.group.isController)!;
    // Brokers apply in their own time (each makes the commit durable first).
    await until('the command applied on the controller', () => controller.group.state.topic(forwarded.name) !== undefined, brokers);

    const created = await proposeCreate(brokers, (c) => c, 'orders');
    assert.deepEqual(created.result, { ok: true });
    assert.notEqual(created.broker.group.state.topic(created.name), undefined);
    const again = await proposeCreate(brokers, (c) => c, created.name, true);
    assert.equal((again.result as { ok: boolean }).ok, false, 'a second create of the same topic is refused');
    await until('every broker knows the topic', () => brokers.every((b) => b.group.state.topic(created.name) !== undefined), brokers);
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

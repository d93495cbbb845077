// issue 9 "Everything that grows is bounded": the metadata group snapshots its state and
// compacts its log behind the snapshot (cluster.snapshot_entries / cluster.compaction_overhead),
// restarts from the snapshot plus the log after it, and sends the snapshot to a follower behind
// its log start (Raft §7, InstallSnapshot).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { MetadataLogStorage } from '../../../src/controller/metadata-log-storage.ts';
import { MetadataGroup, encodeMetadataSnapshot, metadataGroupName } from '../../../src/controller/metadata-group.ts';
import { NotControllerError } from '../../../src/metadata/controller.ts';
import { MetadataState, type MetadataCommand, type MetadataErrorKind } from '../../../src/metadata/metadata-state.ts';
import { logConfig } from '../../../src/storage/log-config.ts';
import { FileRaftStateStore, MemoryRaftStateStore } from '../../../src/partition/raft-state-store.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import { Rng } from '../../../src/raft/index.ts';
import { MemorySnapshotStore, silent, startMetaBroker, stopMetaBroker, topic, until, type MetaBroker } from './metadata-harness.ts';

/** A storage id as brokers make them (a UUID), so the history grows as fast as in production. */
function storageIdOf(k: number): string {
  return `00000000-0000-4000-8000-${k.toString().padStart(12, '0')}`;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'runnel-meta-snap-'));
}

async function stopAll(brokers: MetaBroker[], dir: string): Promise<void> {
  for (const b of brokers) await stopMetaBroker(b);
  rmSync(dir, { recursive: true, force: true });
}

/** Attempts per command while no controller is elected (an election when the machine is loaded). */
const PROPOSE_ATTEMPTS_MAX = 200;

/**
 * Proposes each command through whichever broker is the controller and resolves once it applied
 * there, retrying while there is none, as callers do; a retry that finds its command already
 * applied (`alreadyDone`) counts as done.
 */
async function proposeAll(brokers: MetaBroker[], commands: MetadataCommand[], alreadyDone: MetadataErrorKind): Promise<void> {
  await Promise.all(
    commands.map(async (command) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const controller = brokers.find((b) => b.group.isController);
          if (!controller) throw new NotControllerError(0);
          const result = await controller.group.propose(command);
          if (result.ok || (attempt > 1 && result.error === alreadyDone)) return;
          assert.fail(`${command.type}: ${result.message}`);
        } catch (err) {
          if (!(err instanceof NotControllerError) || attempt >= PROPOSE_ATTEMPTS_MAX) throw err;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }),
  );
}

function createTopics(brokers: MetaBroker[], names: string[]): Promise<void> {
  return proposeAll(
    brokers,
    names.map((name) => ({ type: 'createTopic', topic: topic(name) })),
    'TOPIC_ALREADY_EXISTS',
  );
}

function deleteTopics(brokers: MetaBroker[], names: string[]): Promise<void> {
  return proposeAll(
    brokers,
    names.map((name) => ({ type: 'deleteTopic', name })),
    'UNKNOWN_TOPIC_OR_PARTITION',
  );
}

/** Keeps the hosts ticking while `work` runs (proposals need Ready rounds and heartbeats). */
async function whileTicking<T>(brokers: MetaBroker[], work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => (done = true));
  await until('work done', () => done, brokers, 20_000);
  return result;
}

/** Three founding brokers with these snapshot settings, once they have a controller. */
async function startThree(settings: { snapshotEntries: number; compactionOverhead: number; segmentBytes: number }) {
  const dir = tempDir();
  const hub = new MemoryHub();
  const ids = [1, 2, 3];
  const stores = new Map(ids.map((id) => [id, new MemorySnapshotStore()]));
  const options = { voters: ids, ...settings };
  const started = ids.map((id) => startMetaBroker(hub, dir, id, stores.get(id)!, { ...options, bootstrap: true }));
  await until('a controller', () => started.some((b) => b.group.isController), started);
  return { dir, hub, stores, options, started };
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

test('issue 9: 800 membership changes of the metadata group on file storage keep raft.state bounded (64 KiB slot overflowed before)', async () => {
  const dir = tempDir();
  const store = new MemorySnapshotStore();
  const b = startMetaBroker(new MemoryHub(), dir, 1, store, { voters: [1], bootstrap: true, snapshotEntries: 50, compactionOverhead: 10, storageId: 'disk-1' });
  try {
    b.node.campaign();
    await until('leader with its first entry committed', () => b.node.state === 'leader' && b.node.status().commit === b.node.lastIndex, [b]);
    // A broker whose disk is replaced costs two changes (remove the old disk, add the new one);
    // 64 KiB of history held about 650 of them.
    const changes = 800;
    for (let k = 0; k < changes; k++) {
      const cc =
        k % 2 === 0
          ? { type: 'addLearner' as const, nodeId: 2, storageId: storageIdOf(k) }
          : { type: 'removeNode' as const, nodeId: 2, storageId: storageIdOf(k - 1) };
      const proposed = b.node.proposeConfChange(cc);
      assert.ok(proposed.ok, `change ${k} proposed`);
      await until(`change ${k} committed`, () => b.node.status().commit >= proposed.index, [b], 500);
    }
    assert.ok(b.storage.snapshot().index > changes - 50, `snapshot at ${b.storage.snapshot().index}`);
    assert.ok(b.storage.firstIndex() > changes - 100, `log compacted to ${b.storage.firstIndex()}`);
    // A leader replacing a member reads the replacement its last removal named (cluster-node.ts).
    assert.equal(b.storage.inner.replacementFor(2), storageIdOf(changes - 2));
    await stopMetaBroker(b);
    // The history in raft.state is folded to the commit index: one configuration and the 16
    // newest changes, not 800.
    const persisted = new FileRaftStateStore(join(dir, 'node1'));
    const state = persisted.load();
    persisted.close();
    assert.ok(state !== null);
    assert.ok(state.confChanges.length <= 16, `${state.confChanges.length} changes kept`);
    assert.ok(JSON.stringify(state).length < 4096, `raft.state body of ${JSON.stringify(state).length} bytes`);
    // The configuration survives a restart: the snapshot's plus the config entries after it.
    const again = startMetaBroker(new MemoryHub(), dir, 1, store, {
      voters: [1],
      bootstrap: false,
      snapshotEntries: 50,
      compactionOverhead: 10,
      storageId: 'disk-1',
    });
    try {
      assert.deepEqual(again.node.status().config, { voters: [{ id: 1, storageId: 'disk-1' }], learners: [] });
    } finally {
      await stopMetaBroker(again);
    }
  } finally {
    await stopMetaBroker(b).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('snapshot_entries: the metadata state is snapshotted, the log compacted behind it, and a restart replays only the tail', async () => {
  const { dir, hub, stores, options, started } = await startThree({ snapshotEntries: 20, compactionOverhead: 5, segmentBytes: 2048 });
  let brokers = started;
  try {
    await whileTicking(brokers, createTopics(brokers, names('t', 100)));
    await whileTicking(brokers, deleteTopics(brokers, names('t', 50)));
    const commit = () => Math.max(...brokers.map((b) => b.node.status().commit));
    await until('every broker applied everything', () => brokers.every((b) => b.group.appliedThrough === commit()), brokers);

    for (const b of brokers) {
      const snap = b.storage.snapshot();
      assert.ok(snap.index >= 100, `broker ${b.id}: snapshot at ${snap.index}`);
      assert.ok(b.storage.firstIndex() > 1 && b.storage.firstIndex() <= snap.index - 5 + 1, `broker ${b.id}: first index ${b.storage.firstIndex()}`);
      // Whole segments below the log start are gone: what is left is about overhead + snapshot_entries entries.
      assert.ok(b.storage.logBytes < 30 * 1024, `broker ${b.id}: ${b.storage.logBytes} bytes of log`);
    }

    // A few commands after the last snapshot, one at a time (fewer than snapshot_entries).
    for (const name of names('tail', 3)) await whileTicking(brokers, createTopics(brokers, [name]));
    await until('every broker applied the tail', () => brokers.every((b) => b.group.appliedThrough === commit()), brokers);
    const victim = brokers.find((b) => !b.group.isController)!;
    const expected = victim.group.state.snapshot();
    const appliedBefore = victim.group.appliedThrough;
    await stopMetaBroker(victim);
    brokers = brokers.filter((b) => b !== victim);
    const restarted = startMetaBroker(hub, dir, victim.id, stores.get(victim.id)!, { ...options, bootstrap: false });
    brokers.push(restarted);
    const snapIndex = restarted.storage.snapshot().index;
    assert.deepEqual(restarted.group.state.snapshot(), expected, 'the snapshot plus the replayed tail is the state before the restart');
    assert.equal(restarted.group.appliedThrough, appliedBefore);
    assert.ok(restarted.appliedIndexes.length <= appliedBefore - snapIndex, `replayed ${restarted.appliedIndexes.length} entries`);
    assert.ok(
      restarted.appliedIndexes.every((i) => i > snapIndex),
      'nothing at or below the snapshot is applied again',
    );
    // Replayed commands are not handed to listeners one by one (a replica manager would create
    // and delete the logs of every topic that came and went): they read the state once after.
    assert.ok(restarted.appliedIndexes.length > 0, 'the restart replayed entries after the snapshot');
    assert.equal(restarted.commandsHeard, 0);
  } finally {
    await stopAll(brokers, dir);
  }
});

// issue 9 "bounded": the metadata state was rewritten whole to SQLite on every applied entry; it
// is written when a snapshot is taken (every snapshot_entries entries), and never in between.
test('issue 9 bounded: the metadata state is written to the node store only at snapshot time, not per applied entry', async () => {
  const { dir, stores, started: brokers } = await startThree({ snapshotEntries: 25, compactionOverhead: 5, segmentBytes: 64 * 1024 });
  try {
    await whileTicking(brokers, createTopics(brokers, names('s', 20)));
    const commit = () => Math.max(...brokers.map((b) => b.node.status().commit));
    await until('every broker applied the first 20', () => brokers.every((b) => b.group.appliedThrough === commit()), brokers);
    for (const b of brokers) assert.equal(stores.get(b.id)!.saves, 0, `broker ${b.id}: ${b.group.appliedThrough} entries applied, no snapshot due yet`);

    await whileTicking(brokers, createTopics(brokers, names('m', 60)));
    await until('every broker applied all 80', () => brokers.every((b) => b.group.appliedThrough === commit()), brokers);
    for (const b of brokers) {
      const saves = stores.get(b.id)!.saves;
      const applied = b.group.appliedThrough;
      // One write per snapshot_entries applied entries (a follower may also store one received snapshot).
      assert.ok(saves >= 1 && saves <= Math.ceil(applied / 25) + 1, `broker ${b.id}: ${saves} state writes for ${applied} applied entries`);
    }
  } finally {
    await stopAll(brokers, dir);
  }
});

test('a crash between storing a snapshot and compacting the log loses nothing; the next snapshot compacts', async () => {
  const dir = tempDir();
  const store = new MemorySnapshotStore();
  const options = { voters: [1], snapshotEntries: 10, compactionOverhead: 0, segmentBytes: 1024 };
  const b = startMetaBroker(new MemoryHub(), dir, 1, store, { ...options, bootstrap: true });
  let restarted: MetaBroker | undefined;
  try {
    b.node.campaign();
    await until('controller', () => b.group.isController, [b]);
    // The snapshot reaches the store, then the broker "dies" before the log is compacted.
    b.storage.inner.compactTo = () => undefined;
    // In rounds of five, so snapshots are taken along the way and some entries come after the last.
    const first = names('a', 25);
    for (let k = 0; k < first.length; k += 5) await whileTicking([b], createTopics([b], first.slice(k, k + 5)));
    assert.ok(store.saves >= 2, `snapshots were stored (${store.saves})`);
    assert.ok(b.storage.snapshot().index < b.group.appliedThrough, 'entries were applied after the last snapshot');
    assert.equal(b.storage.firstIndex(), 1, 'the log was never compacted');
    const expected = b.group.state.snapshot();
    await stopMetaBroker(b);

    restarted = startMetaBroker(new MemoryHub(), dir, 1, store, { ...options, bootstrap: false });
    const snapIndex = restarted.storage.snapshot().index;
    assert.ok(snapIndex > 0);
    assert.deepEqual(restarted.group.state.snapshot(), expected);
    assert.ok(
      restarted.appliedIndexes.every((i) => i > snapIndex),
      'the restart replays from the snapshot, not from the log start',
    );
    const r = restarted;
    await until('controller again', () => r.group.isController, [r]);
    const more = names('b', 15);
    for (let k = 0; k < more.length; k += 5) await whileTicking([r], createTopics([r], more.slice(k, k + 5)));
    assert.ok(r.storage.firstIndex() > 1, 'the next snapshot compacts the log');
    assert.equal(r.group.state.allTopics().length, 40);
  } finally {
    await stopMetaBroker(b).catch(() => undefined);
    if (restarted) await stopMetaBroker(restarted);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash between storing a received snapshot and resetting the log is repaired at open', async () => {
  const dir = tempDir();
  const store = new MemorySnapshotStore();
  const config = logConfig({ segmentBytes: 1024, flush: { mode: 'none', intervalMs: 1000 } });
  const open = () => MetadataLogStorage.open(join(dir, 'm'), store, { storageId: 'disk-1', logger: silent, sendableBytesMax: 1 << 20, config });
  let storage = open();
  try {
    storage.bootstrap({
      voters: [
        { id: 1, storageId: 'disk-1' },
        { id: 2, storageId: 'disk-2' },
      ],
      learners: [],
    });
    const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
    state.apply({ type: 'createTopic', topic: topic('from-the-leader') });
    const confState = {
      voters: [
        { id: 1, storageId: 'disk-1' },
        { id: 2, storageId: 'disk-2' },
      ],
      learners: [],
    };
    // applySnapshot's first step, and then the crash.
    store.save({ index: 40, term: 3, confState, data: encodeMetadataSnapshot(state) });
    await storage.close();

    storage = open();
    assert.equal(storage.snapshot().index, 40);
    assert.equal(storage.firstIndex(), 41, 'the log restarts after the snapshot');
    assert.equal(storage.lastIndex(), 40);
    assert.equal(storage.term(40), 3);
    assert.equal(storage.getHardState().commit, 40);
    const group = new MetadataGroup({ nodeId: 1, clusterId: '', snapshot: storage.snapshot(), logger: silent, proposalTimeoutMs: 1000, kick: () => undefined });
    assert.ok(group.state.topic('from-the-leader'));
    assert.equal(group.appliedThrough, 40);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Raft §7: a follower behind the log start receives the snapshot (InstallSnapshot) and ends with identical metadata', async () => {
  const { dir, hub, stores, options, started } = await startThree({ snapshotEntries: 10, compactionOverhead: 2, segmentBytes: 1024 });
  let brokers = started;
  try {
    await whileTicking(brokers, createTopics(brokers, names('early', 5)));
    const lagging = brokers.find((b) => !b.group.isController)!;
    await until('the follower has the early topics', () => lagging.group.state.allTopics().length === 5, brokers);
    await stopMetaBroker(lagging);
    brokers = brokers.filter((b) => b !== lagging);

    // While it is down: topics come and go, and the log start moves past its last entry.
    await whileTicking(brokers, createTopics(brokers, names('t', 60)));
    await whileTicking(brokers, deleteTopics(brokers, [...names('t', 30), 'early-0']));
    // Either remaining broker serves as the reference (both compacted; the leader may change).
    const leader = brokers.find((b) => b.group.isController) ?? brokers[0];
    assert.ok(leader.storage.firstIndex() > lagging.node.lastIndex + 1, "the follower is behind the leader's log start");

    const back = startMetaBroker(hub, dir, lagging.id, stores.get(lagging.id)!, { ...options, bootstrap: false });
    brokers.push(back);
    await until(
      'the follower caught up',
      () => back.group.appliedThrough === leader.group.appliedThrough && back.node.status().commit === leader.node.status().commit,
      brokers,
    );
    assert.equal(back.restored.length, 1, 'the state was replaced by an installed snapshot');
    assert.deepEqual(back.group.state.snapshot(), leader.group.state.snapshot());
    assert.equal(back.group.state.topic('early-0'), undefined);
    assert.ok(back.storage.snapshot().index > 0, 'the installed snapshot is stored');
    assert.equal(back.storage.firstIndex(), back.storage.snapshot().index + 1, 'its log restarted after the snapshot');

    // It keeps following: a later command applies there too.
    await whileTicking(brokers, createTopics(brokers, ['after']));
    await until('the later command applied', () => back.group.state.topic('after') !== undefined, brokers);
  } finally {
    await stopAll(brokers, dir);
  }
});

test('issue 9: a metadata command is acted on only once a durable commit index covers it, so a restart after a power loss replays at least as far', async () => {
  const log = new MemoryLog();
  const stateStore = new MemoryRaftStateStore();
  const snapshots = new MemorySnapshotStore();
  const open = () =>
    new MetadataLogStorage(new RaftLogStorage(log, stateStore, { storageId: 'disk-1', historyBase: 'commit' }), snapshots, {
      logger: silent,
      sendableBytesMax: 1 << 20,
    });
  const storage = open();
  storage.bootstrap({ voters: [{ id: 1, storageId: 'disk-1' }], learners: [] });
  const transport = new MemoryHub().connect(1, [], 'disk-1');
  const host = new RaftHost({ nodeId: 1, transport, logger: silent, tickMs: 5 });
  const group = new MetadataGroup({
    nodeId: 1,
    clusterId: 'c',
    snapshot: storage.snapshot(),
    logger: silent,
    proposalTimeoutMs: 10_000,
    kick: () => host.kick(),
  });
  // What a listener (the replica manager creating a partition's log) sees when it acts.
  const acted: Array<{ applied: number; durableCommit: number }> = [];
  group.onApplied(() => acted.push({ applied: group.appliedThrough, durableCommit: stateStore.load()!.hardState.commit }));
  const node = group.startNode(storage, { id: 1, electionTicks: 10, heartbeatTicks: 1 }, new Rng(1));
  host.addGroup(metadataGroupName, node, storage, group);
  const b = { host };
  try {
    node.campaign();
    await until('controller', () => group.isController, [b]);
    for (const name of names('durable', 5)) {
      const done = group.propose({ type: 'createTopic', topic: topic(name) });
      await until(`${name} applied`, () => group.state.topic(name) !== undefined, [b]);
      assert.deepEqual(await done, { ok: true });
    }
    for (const a of acted) assert.ok(a.durableCommit >= a.applied, `acted on entry ${a.applied} while the durable commit index was ${a.durableCommit}`);
    await host.close();
    // Power loss: what raft.state did not fsync is gone; the log was synced before the commit.
    stateStore.crash();
    const again = open();
    const restarted = new MetadataGroup({
      nodeId: 1,
      clusterId: 'c',
      snapshot: again.snapshot(),
      logger: silent,
      proposalTimeoutMs: 10_000,
      kick: () => undefined,
    });
    restarted.startNode(again, { id: 1, electionTicks: 10, heartbeatTicks: 1 }, new Rng(2));
    assert.deepEqual(
      restarted.state.allTopics().map((t) => t.name),
      names('durable', 5),
    );
  } finally {
    await host.close();
    await transport.close();
  }
});

// B6 (docs/reliability.md), issue 9 item 3: a Raft read that finds damage to synced data (a
// segment loaded trusted, not CRC-checked yet) throws LogDamagedError out of the Raft core. That
// must stop the one group whose log is damaged (its owner then opens the replica again, which
// takes the lost-state path), never the whole host: "bad input never crashes a broker".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { MemoryRaftStateStore } from '../../../src/partition/raft-state-store.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { LogDamagedError } from '../../../src/storage/errors.ts';
import type { RaftBatch } from '../../../src/storage/log.ts';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import { entries } from '../partition/raft-log-fixtures.ts';

const silent = pino({ level: 'silent' });
const damage = { path: '/data/orders-0/00000000000000000000.log', position: 0, offset: 0, reason: 'CRC-32C mismatch' };

/** A log whose reads of entries above `damagedFrom` find damage, once armed. */
class DamagedReadLog extends MemoryLog {
  armed = false;
  constructor(private readonly damagedFrom: number) {
    super();
  }
  override entries(lo: number, hi: number, maxBytes: number): RaftBatch[] {
    if (this.armed && hi > this.damagedFrom) throw new LogDamagedError(damage);
    return super.entries(lo, hi, maxBytes);
  }
}

/**
 * A one-voter group holding entries 1..last, all committed, none applied yet (as after a restart):
 * its first Ready reads the committed entries from the log.
 */
function restartedGroup(id: number, log: MemoryLog, last: number): { node: RaftNode; storage: RaftLogStorage } {
  const store = new MemoryRaftStateStore();
  const before = new RaftLogStorage(log, store, { storageId: `disk-${id}` });
  before.bootstrap({ voters: [{ id, storageId: `disk-${id}` }], learners: [] });
  before.append(entries(2, last, 1));
  before.setHardState({ term: 1, vote: id, commit: last });
  // A new storage over the same log and state, as a restart opens them: nothing is cached in memory.
  const storage = new RaftLogStorage(log, store, { storageId: `disk-${id}` });
  const node = new RaftNode({ id, electionTicks: 10, heartbeatTicks: 1, checkQuorum: false, preVote: true }, storage, new Rng(id));
  return { node, storage };
}

test('B6: a Raft read that finds damage stops that group only; the host and its other groups go on (issue 9 item 3)', async () => {
  const hub = new MemoryHub();
  const fatal: unknown[] = [];
  const host = new RaftHost({ nodeId: 1, transport: hub.connect(1, [], 'disk-1'), logger: silent, tickMs: 5, onFatal: (err) => fatal.push(err) });
  const damagedLog = new DamagedReadLog(5);
  const damaged = restartedGroup(1, damagedLog, 8);
  damagedLog.armed = true;
  const healthy = restartedGroup(1, new MemoryLog(), 8);
  const failures: unknown[] = [];
  const applied: Entry[] = [];
  const appliedDamaged: Entry[] = [];
  host.addGroup('damaged-0', damaged.node, damaged.storage, {
    apply: (e) => appliedDamaged.push(e),
    onStorageFailure: (err) => failures.push(err),
  });
  host.addGroup('healthy-0', healthy.node, healthy.storage, { apply: (e) => applied.push(e) });
  // Bounded: the healthy group applies its 8 entries within a few rounds.
  for (let i = 0; i < 50 && applied.length < 8; i++) {
    host.tick();
    await host.idle();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.deepEqual(fatal, [], 'the host did not fail');
  assert.equal(applied.length, 8, 'the other group ran on');
  assert.equal(failures.length, 1, 'the damaged group was stopped, and its state machine told once');
  assert.ok(failures[0] instanceof LogDamagedError);
  assert.ok(
    appliedDamaged.every((e) => e.index < 5),
    'nothing at or above the damage was applied',
  );
  // A stopped group takes no messages and no ticks: stepping it again changes nothing.
  const before = damaged.node.status();
  host.tick();
  await host.idle();
  assert.deepEqual(damaged.node.status().term, before.term);
  await host.close();
});

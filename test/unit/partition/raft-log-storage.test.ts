// RaftLogStorage: the partition segment log as a Raft log (docs/storage.md).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftLogStorage, decodeSnapshotData, foundingGroup } from '../../../src/partition/raft-log-storage.ts';
import { decodeEntry, encodeEntry, isRunnelControlBatch, EntryCodecError } from '../../../src/partition/raft-entry-codec.ts';
import { MemoryStorage } from '../../../src/raft/storage.ts';
import { RaftNode } from '../../../src/raft/node.ts';
import { Rng } from '../../../src/raft/rng.ts';
import { encodeConfChange } from '../../../src/raft/membership.ts';
import type { Entry, Message } from '../../../src/raft/types.ts';
import { buildRecordBatch, decodeBatches, isControlBatch, readBatchHeader } from '../../../src/protocol/record-batch.ts';
import { logConfig } from '../../../src/storage/log-config.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-raftlog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const config = logConfig({ segmentBytes: 2048, indexIntervalBytes: 128, retentionMs: -1, retentionBytes: -1 });

function produced(seed: number, count = 2): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({ key: `k${seed}-${i}`, value: `value ${seed} ${i}`, timestamp: 1_700_000_000_000 + seed })),
  });
}

const configData = (id: number) => encodeConfChange({ type: 'addLearner', nodeId: id, storageId: `disk-${id}` });

/** Entries compared by what Raft sees; a produced batch's baseOffset and epoch are the log's to stamp. */
function normalize(e: Entry): { index: number; term: number; type: string; data: string } {
  let data = Buffer.from(e.data);
  if (e.type === 'normal' && data.length > 0) {
    data = Buffer.from(data);
    data.fill(0, 0, 8);
    data.writeInt32BE(0, 12);
  }
  return { index: e.index, term: e.term, type: e.type, data: data.toString('hex') };
}

test('entry codec: config and no-op entries are control batches, produced batches stay as they are', () => {
  const noop = encodeEntry({ index: 5, term: 2, type: 'normal', data: new Uint8Array(0) });
  const conf = encodeEntry({ index: 6, term: 2, type: 'config', data: configData(4) });
  for (const b of [noop, conf]) {
    assert.ok(isControlBatch(readBatchHeader(b, 0).attributes), 'control bit set');
    assert.ok(isRunnelControlBatch(b));
    // Our own decoder marks them (header attributes), so our consumers can skip them.
    const [decoded] = decodeBatches(b);
    assert.ok(isControlBatch(decoded.header.attributes));
    assert.equal(decoded.records.length, 1);
    assert.deepEqual([...decoded.records[0].key!], [0, 0, 0x52, b === noop ? 0 : 1]);
  }
  assert.deepEqual(normalize(decodeEntry(5, 2, noop)), normalize({ index: 5, term: 2, type: 'normal', data: new Uint8Array(0) }));
  assert.deepEqual(normalize(decodeEntry(6, 2, conf)), normalize({ index: 6, term: 2, type: 'config', data: configData(4) }));
  // Deterministic bytes: every replica writes the same control batch for the same entry.
  assert.deepEqual(encodeEntry({ index: 6, term: 2, type: 'config', data: configData(4) }), conf);
  const batch = produced(1);
  assert.deepEqual(encodeEntry({ index: 7, term: 2, type: 'normal', data: batch }), batch);
  assert.equal(decodeEntry(7, 2, batch).type, 'normal');
  // A client must not be able to smuggle in a membership change.
  assert.throws(() => encodeEntry({ index: 8, term: 2, type: 'normal', data: conf }), EntryCodecError);
  assert.throws(() => encodeEntry({ index: 8, term: 2, type: 'normal', data: Buffer.from('not a batch') }), EntryCodecError);
  // A Kafka transaction marker is a control batch too, but not ours: it stays a normal entry.
  const commitMarker = buildRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], isControl: true });
  assert.equal(isRunnelControlBatch(commitMarker), false);
  assert.equal(decodeEntry(9, 2, commitMarker).type, 'normal');
});

test('KafkaJS 2.2.4 consumer skips Runnel control batches (its own RecordBatch decoder and Batch filter)', async () => {
  const require = createRequire(import.meta.url);
  const Decoder = require('kafkajs/src/protocol/decoder');
  const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const Batch = require('kafkajs/src/consumer/batch');
  const blob = Buffer.concat([
    encodeEntry({ index: 1, term: 1, type: 'config', data: configData(2) }),
    encodeEntry({ index: 2, term: 1, type: 'normal', data: new Uint8Array(0) }),
    produced(3, 2),
  ]);
  // Offsets as a log would stamp them: config at 0, no-op at 1, the produced batch at 2..3.
  blob.writeBigInt64BE(0n, 0);
  const second = 12 + blob.readInt32BE(8);
  blob.writeBigInt64BE(1n, second);
  blob.writeBigInt64BE(2n, second + 12 + blob.readInt32BE(second + 8));
  const decoder = new Decoder(blob);
  const messages: unknown[] = [];
  for (let k = 0; k < 3; k++) messages.push(...(await RecordBatchDecoder(decoder)).records);
  assert.equal(messages.length, 4);
  // With aborted transactions listed, KafkaJS also looks at control keys (abort = 00000000).
  for (const abortedTransactions of [[], [{ producerId: '-1', firstOffset: '0' }]]) {
    const batch = new Batch('t', '0', { partition: 0, highWatermark: '4', abortedTransactions, messages });
    assert.deepEqual(
      batch.messages.map((m: { offset: string }) => m.offset),
      ['2', '3'],
    );
    assert.equal(batch.messages[0].value.toString(), 'value 3 0');
  }
});

/** Applies the same random script to MemoryStorage and to each RaftLogStorage, comparing after each step. */
async function compareWithMemoryStorage(
  seed: number,
  make: () => RaftLogStorage,
  reopen: ((s: RaftLogStorage) => Promise<RaftLogStorage>) | null,
): Promise<number> {
  const rng = new Rng(seed);
  const mem = new MemoryStorage('disk');
  let sto = make();
  let term = 1;
  let commit = 0;
  let vote = 0;
  let reopens = 0;
  const check = (label: string) => {
    assert.equal(sto.firstIndex(), mem.firstIndex(), `${label}: firstIndex`);
    assert.equal(sto.lastIndex(), mem.lastIndex(), `${label}: lastIndex`);
    for (let i = mem.firstIndex() - 1; i <= mem.lastIndex() + 1; i++) assert.equal(sto.term(i), mem.term(i), `${label}: term(${i})`);
    if (mem.lastIndex() >= mem.firstIndex()) {
      const lo = rng.int(mem.firstIndex(), mem.lastIndex() + 1);
      const hi = rng.int(lo, mem.lastIndex() + 2);
      const maxBytes = rng.pick([0, 50, 200, 1000, Number.MAX_SAFE_INTEGER]);
      if (hi > lo) {
        assert.deepEqual(
          sto.entries(lo, hi, maxBytes).map(normalize),
          mem.entries(lo, hi, maxBytes).map(normalize),
          `${label}: entries(${lo}, ${hi}, ${maxBytes})`,
        );
      }
    }
    assert.deepEqual(sto.initialState().hardState, mem.initialState().hardState, `${label}: hard state`);
  };
  for (let step = 0; step < 120; step++) {
    const roll = rng.int(0, 100);
    if (roll < 70) {
      // Raft §5.3: append at any index after the commit index; a conflict replaces the suffix.
      const at = rng.int(Math.max(commit + 1, mem.lastIndex() - 3), mem.lastIndex() + 2);
      const before = term;
      if (at <= mem.lastIndex()) term += 1;
      else if (rng.int(0, 8) === 0) term += 1;
      if (term !== before) {
        // Raft §5.1: a node stores entries of a term only once its current term is at least that
        // (recovery treats entries above the stored term as never acknowledged, B10).
        // A new term starts without a vote (§5.2: one vote per term, the store refuses a second).
        vote = 0;
        mem.setHardState({ ...mem.initialState().hardState, term, vote });
        sto.setHardState({ ...sto.initialState().hardState, term, vote });
      }
      const n = rng.int(1, 5);
      const ents: Entry[] = [];
      for (let k = 0; k < n; k++) {
        const kind = rng.int(0, 10);
        const data = kind === 0 ? configData(10 + k) : kind === 1 ? new Uint8Array(0) : produced(seed * 1000 + step * 10 + k, rng.int(1, 4));
        ents.push({ index: at + k, term, type: kind === 0 ? 'config' : 'normal', data });
      }
      mem.append(ents);
      sto.append(ents);
    } else if (roll < 90) {
      if (mem.lastIndex() > commit) commit = rng.int(commit + 1, mem.lastIndex() + 1);
      if (vote === 0) vote = rng.int(0, 4);
      const hs = { term, vote, commit };
      mem.setHardState(hs);
      sto.setHardState(hs);
    } else if (reopen !== null) {
      await sto.sync();
      sto = await reopen(sto);
      reopens++;
    }
    check(`seed ${seed} step ${step}`);
  }
  await sto.close();
  return reopens;
}

test('entries/term/firstIndex/lastIndex/hard state agree with MemoryStorage for the same appends and truncations', async (t) => {
  for (const seed of [11, 12, 13]) {
    const dir = tempDir(t);
    const reopens = await compareWithMemoryStorage(
      seed,
      () => RaftLogStorage.open(dir, config, { storageId: 'disk' }),
      async (s) => {
        await s.close();
        return RaftLogStorage.open(dir, config, { storageId: 'disk' });
      },
    );
    assert.ok(reopens > 0, `seed ${seed} reopened`);
  }
  for (const seed of [21, 22, 23, 24]) await compareWithMemoryStorage(seed, () => RaftLogStorage.inMemory('disk'), null);
});

test('restart: the snapshot is the commit checkpoint and carries the configuration, so the core scans only the tail', async (t) => {
  const dir = tempDir(t);
  const sto = RaftLogStorage.open(dir, config, { storageId: 'disk-1' });
  sto.bootstrap({
    voters: [
      { id: 1, storageId: 'disk-1' },
      { id: 2, storageId: 'disk-2' },
      { id: 3, storageId: 'disk-3' },
    ],
    learners: [],
  });
  const ents: Entry[] = [];
  for (let i = 4; i < 40; i++) ents.push({ index: i, term: 2, type: i === 20 ? 'config' : 'normal', data: i === 20 ? configData(4) : produced(i) });
  sto.append(ents);
  sto.setHardState({ term: 2, vote: 1, commit: 30 });
  sto.append([{ index: 40, term: 2, type: 'config', data: configData(5) }]);
  await sto.close();
  const again = RaftLogStorage.open(dir, config, { storageId: 'disk-1' });
  const snap = again.snapshot();
  assert.equal(snap.index, 30);
  assert.equal(snap.term, 2);
  assert.deepEqual(
    snap.confState.learners.map((m) => m.id),
    [4],
    'config entry 20 is in the checkpoint',
  );
  assert.deepEqual(
    again.confStateAt(40).learners.map((m) => m.id),
    [4, 5],
    'uncommitted config entry 40 found by the tail scan',
  );
  assert.equal(decodeSnapshotData(snap.data).offset, again.offsetAfter(30));
  // The Raft core starts from it: configuration, commit and last index as stored.
  const node = new RaftNode({ id: 1 }, again, new Rng(1));
  assert.equal(node.status().commit, 30);
  assert.equal(node.status().lastIndex, 40);
  assert.deepEqual(
    node.status().config.learners.map((m) => m.id),
    [4, 5],
  );
  await again.close();
  // issue 9 item 2: a raft.state of another disk (a copied directory) is not this replica's
  // state: it starts empty under a new identity of this disk instead of acting as disk-1.
  const foreign = RaftLogStorage.open(dir, config, { storageId: 'other-disk' });
  assert.match(foreign.lostReason ?? '', /belongs to storage disk-1/);
  assert.ok(foreign.storageId.startsWith('other-disk/'));
  assert.equal(foreign.lastIndex(), 0);
  await foreign.close();
});

// ---------------------------------------------------------------------------------
// A 3-node group in one process: RaftNode + RaftLogStorage + an in-memory message loop.

interface Peer {
  id: number;
  dir: string;
  storage: RaftLogStorage;
  node: RaftNode;
}

async function processReady(p: Peer, outbox: Message[]): Promise<void> {
  // Bounded: each Ready is advanced; a healthy core settles within a few rounds.
  for (let k = 0; k < 100 && p.node.hasReady(); k++) {
    const rd = p.node.ready();
    if (rd.snapshot !== null) p.storage.applySnapshot(rd.snapshot);
    p.storage.append(rd.entries);
    if (rd.hardState !== null) p.storage.setHardState(rd.hardState);
    await p.storage.sync();
    for (const m of rd.messages) {
      // The host sends the log-start snapshot, never the restart point (raft-log-storage.ts).
      const out = structuredClone(m);
      if (out.type === 'snap') out.snapshot = p.storage.logStartSnapshot();
      outbox.push(out);
    }
    p.node.advance(rd);
  }
}

async function runRounds(peers: Peer[], rounds: number, cut: Set<number> = new Set()): Promise<void> {
  let inbox: Message[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const p of peers) p.node.tick();
    // Deliver until quiet: a few message hops per tick, as a fast network would.
    for (let hop = 0; hop < 8; hop++) {
      const outbox: Message[] = [];
      for (const m of inbox) {
        if (cut.has(m.to) || cut.has(m.from)) continue;
        peers.find((p) => p.id === m.to)?.node.step(m);
      }
      for (const p of peers) await processReady(p, outbox);
      inbox = outbox;
      if (inbox.length === 0) break;
    }
  }
}

function startGroup(t: { after(fn: () => void): void }): Peer[] {
  const members = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));
  return members.map((m) => {
    const dir = tempDir(t);
    const storage = RaftLogStorage.open(dir, config, { storageId: m.storageId });
    storage.bootstrap({ voters: members, learners: [] });
    return { id: m.id, dir, storage, node: new RaftNode({ id: m.id }, storage, new Rng(m.id)) };
  });
}

function logFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort())
    out.set(name, readFileSync(join(dir, name)));
  return out;
}

test('a 3-node group commits RecordBatches and the three partition logs are byte-identical', async (t) => {
  const peers = startGroup(t);
  peers[0].node.campaign();
  await runRounds(peers, 5);
  const leader = peers.find((p) => p.node.state === 'leader');
  assert.ok(leader !== undefined, 'a leader is elected');
  let proposed = 0;
  for (let round = 0; round < 40; round++) {
    for (let k = 0; k < 3; k++) assert.equal(leader.node.propose(produced(proposed++, 1 + (proposed % 3))).ok, true);
    await runRounds(peers, 1);
  }
  await runRounds(peers, 5);
  const last = leader.node.lastIndex;
  for (const p of peers) assert.equal(p.node.commit, last, `node ${p.id} committed everything`);
  // High watermark = the offset after the committed entry; every produced record is below it.
  const hw = leader.storage.offsetAfter(leader.node.commit);
  assert.equal(hw, leader.storage.log.logEndOffset);
  const reference = logFiles(leader.dir);
  assert.ok(reference.size >= 2, `several segments (${reference.size})`);
  for (const p of peers) {
    const files = logFiles(p.dir);
    assert.deepEqual([...files.keys()], [...reference.keys()], `node ${p.id}: same segment files`);
    for (const [name, bytes] of reference) assert.ok(files.get(name)!.equals(bytes), `node ${p.id}: ${name} byte-identical`);
  }
  // Consumers see the produced records only: config entries and the leader's no-op are control batches.
  const read = leader.storage.log.read(0, 1 << 20, hw);
  const batches = decodeBatches(read.records);
  const data = batches.filter((b) => !isControlBatch(b.header.attributes));
  assert.equal(data.length, proposed);
  assert.equal(batches.length - data.length, 4, 'three bootstrap config entries and one no-op');
  for (const p of peers) await p.storage.close();
});

test("a follower behind the leader's log start is caught up by InstallSnapshot carrying the log start offset", async (t) => {
  const peers = startGroup(t);
  peers[0].node.campaign();
  await runRounds(peers, 5);
  const leader = peers[0];
  assert.equal(leader.node.state, 'leader');
  const lagging = peers[2];
  const cut = new Set([lagging.id]);
  for (let i = 0; i < 30; i++) {
    leader.node.propose(produced(i));
    await runRounds(peers, 1, cut);
  }
  await runRounds(peers, 3, cut);
  assert.ok(lagging.node.lastIndex < 10);
  // DeleteRecords on the two up-to-date replicas moves the first Raft index past the laggard.
  const start = leader.storage.offsetAfter(20);
  for (const p of peers.slice(0, 2)) p.storage.log.deleteRecordsBefore(start);
  assert.equal(leader.storage.firstIndex(), 21);
  await runRounds(peers, 30);
  assert.equal(lagging.node.commit, leader.node.commit);
  assert.equal(lagging.storage.firstIndex(), 21, "the follower restarts at the leader's log start, not at its commit point");
  assert.equal(lagging.storage.log.logStartOffset, start);
  // From the log start on, the follower holds the same batches, byte for byte.
  const hw = leader.storage.offsetAfter(leader.node.commit);
  assert.ok(lagging.storage.log.read(start, 1 << 20, hw).records.equals(leader.storage.log.read(start, 1 << 20, hw).records));
  for (const p of peers) await p.storage.close();
});

test("a SnapshotState rides in the log-start snapshot and is installed before the follower's log restarts", async (t) => {
  // issue 9: a __consumer_offsets replica that catches up by snapshot must get the groups' state with it.
  const peers = startGroup(t);
  const installs: Array<{ state: string | undefined; offset: number; logStartAtInstall: number; logEndAtInstall: number }> = [];
  for (const p of peers) {
    p.storage.attachState({
      capture: () => `state of node ${p.id} at ${p.storage.log.logEndOffset}`,
      install: (state, offset) =>
        installs.push({ state, offset, logStartAtInstall: p.storage.log.logStartOffset, logEndAtInstall: p.storage.log.logEndOffset }),
    });
  }
  peers[0].node.campaign();
  await runRounds(peers, 5);
  const [leader, , lagging] = peers;
  const cut = new Set([lagging.id]);
  for (let i = 0; i < 30; i++) {
    leader.node.propose(produced(i));
    await runRounds(peers, 1, cut);
  }
  await runRounds(peers, 3, cut);
  const laggingEnd = lagging.storage.log.logEndOffset;
  const start = leader.storage.offsetAfter(20);
  for (const p of peers.slice(0, 2)) p.storage.log.deleteRecordsBefore(start);
  await runRounds(peers, 30);
  assert.equal(lagging.storage.log.logStartOffset, start, 'the follower caught up by snapshot');
  assert.ok(installs.length >= 1, "the follower installed the sender's state");
  const install = installs[0];
  assert.equal(install.offset, start);
  assert.match(install.state!, /^state of node 1 at \d+$/);
  assert.deepEqual([install.logStartAtInstall, install.logEndAtInstall], [0, laggingEnd], 'installed while the old log was still in place');
  // Without an attached state the snapshot carries none.
  assert.equal(decodeSnapshotData(RaftLogStorage.inMemory('x').logStartSnapshot().data).state, undefined);
  for (const p of peers) await p.storage.close();
});

test('entries() answers the same from the recent-entries cache as from the log, across eviction and truncation', (t) => {
  const dir = tempDir(t);
  const s = RaftLogStorage.open(dir, logConfig({ segmentBytes: 1 << 24, indexIntervalBytes: 4096, retentionMs: -1, retentionBytes: -1 }), {
    storageId: 'disk-1',
  });
  // About 12 MiB of 64 KiB batches: more than the cache keeps, so the oldest are read from disk.
  const big = (i: number) => buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(64 * 1024, i % 251), timestamp: i }] });
  const ents: Entry[] = [];
  for (let i = 1; i <= 190; i++) ents.push({ index: i, term: 1, type: i % 50 === 0 ? 'config' : 'normal', data: i % 50 === 0 ? configData(i) : big(i) });
  s.append(ents);
  // Raft §5.3: a conflicting suffix replaces the cached tail too.
  s.setHardState({ term: 2, vote: 0, commit: 0 });
  s.append([{ index: 180, term: 2, type: 'normal', data: big(1000) }]);
  const fresh = RaftLogStorage.open(dir, config, { storageId: 'disk-1' });
  const view = (e: Entry) =>
    `${e.index}/${e.term}/${e.type}/${Buffer.from(e.data).toString('base64').length}/${Buffer.from(e.data).subarray(-64).toString('hex')}`;
  for (const [lo, hi] of [
    [1, 181],
    [5, 40],
    [150, 181],
    [180, 181],
    [100, 101],
  ]) {
    // `fresh` has no cache: it reads every entry from the segment files.
    assert.deepEqual(s.entries(lo, hi, Number.MAX_SAFE_INTEGER).map(view), fresh.entries(lo, hi, Number.MAX_SAFE_INTEGER).map(view), `entries(${lo}, ${hi})`);
    assert.equal(s.entries(lo, hi, 1).length, 1, 'at least one entry even over maxBytes');
  }
  assert.equal(s.lastIndex(), 180);
});

test('issue 9 item 1: the founding entries name the group they found; foundingGroup reads it back from entry 1', (t) => {
  const members = {
    voters: [
      { id: 1, storageId: 'disk-1' },
      { id: 2, storageId: 'disk-2' },
    ],
    learners: [],
  };
  const group = 'orders-0@0123456789abcdef0123456789abcdef';
  const named = RaftLogStorage.open(tempDir(t), config, { storageId: 'disk-1' });
  assert.equal(foundingGroup(named.log), undefined, 'an empty log cannot tell');
  named.bootstrap(members, group);
  assert.equal(foundingGroup(named.log), group);
  assert.deepEqual(named.confStateAt(2), members, 'the context changes nothing for Raft');

  // Without a context (the metadata group, and partition groups founded before topic ids) the
  // entries keep the bytes they always had.
  const plain = RaftLogStorage.inMemory('disk-1');
  plain.bootstrap(members);
  assert.equal(foundingGroup(plain.log), null);
  assert.equal(Buffer.from(plain.entries(1, 2, Infinity)[0].data).toString(), '{"type":"addVoter","nodeId":1,"storageId":"disk-1"}');
});

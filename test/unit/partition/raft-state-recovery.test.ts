// Recovery of a partition's Raft state with real files (issue 9 items 3 and 5):
// - a torn tail (data past the last sync point) is cut as before and the replica stays itself;
// - damage to synced data (at or below the stored commit index, or below the checkpoint's
//   recovery point) is not a torn tail: the replica restarts as a new member and repairs from
//   its peers;
// - the stored commit index never names entries the log has not made durable, which is what
//   makes "at or below the stored commit" mean "synced";
// - a stored commit below the log start (retention ran past an unsynced commit) is raised at open.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RaftLogStorage, encodeSnapshotData } from '../../../src/partition/raft-log-storage.ts';
import { FileRaftStateStore, RAFT_STATE_FILE, SLOT_BYTES } from '../../../src/partition/raft-state-store.ts';
import { SYNCED_MARK_FILE } from '../../../src/storage/synced-mark.ts';
import { RaftNode } from '../../../src/raft/node.ts';
import { Rng } from '../../../src/raft/rng.ts';
import { logConfig, type LogConfig } from '../../../src/storage/log-config.ts';
import type { PartitionLog } from '../../../src/storage/partition-log.ts';
import { LogDamagedError } from '../../../src/storage/errors.ts';
import { MemoryLogger } from '../storage/helpers.ts';
import { entries, produced, tempDir } from './raft-log-fixtures.ts';

const NODE = 'disk-1';
const members = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));

/** A founded group holding entries 1..last (1–3 bootstrap config, then term 2), all synced, commit stored. */
async function groupWithEntries(dir: string, config: LogConfig, last: number, commit: number, hardStateTerm = 2): Promise<RaftLogStorage> {
  const sto = RaftLogStorage.open(dir, config, { storageId: NODE });
  sto.bootstrap({ voters: members, learners: [] });
  sto.append(entries(4, last, 2));
  await sto.sync();
  sto.setHardState({ term: hardStateTerm, vote: 1, commit });
  await sto.sync();
  await (sto.log as PartitionLog).syncedMarkSettled;
  return sto;
}

/** Where entry `raftIndex` (counting from 1 at the first byte of the first segment) sits on disk. */
function locate(dir: string, raftIndex: number): { path: string; position: number; size: number } {
  let index = 0;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort()) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    // Bounded by the file size: every step moves past one whole batch.
    for (let position = 0; position + 12 <= bytes.length; ) {
      const size = 12 + bytes.readInt32BE(position + 8);
      if (++index === raftIndex) return { path, position, size };
      position += size;
    }
  }
  throw new Error(`entry ${raftIndex} not found in ${dir}`);
}

/** Flips one bit in the records of entry `raftIndex`: its CRC-32C no longer matches. */
function flipBit(dir: string, raftIndex: number): { path: string; position: number } {
  const at = locate(dir, raftIndex);
  const bytes = readFileSync(at.path);
  bytes[at.position + at.size - 5] ^= 0x10;
  writeFileSync(at.path, bytes);
  return at;
}

const oneSegment = logConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 128, retentionMs: -1, retentionBytes: -1 });
const smallSegments = logConfig({ segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1, retentionBytes: -1 });

test('issue 9 item 3: a bit flip in an entry at or below the stored commit is damage: the replica restarts empty as a new member', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30);
  void crashed; // abandoned like a killed process: never closed
  // Entry 12 is in the active segment, which recovery CRC-checks; it was synced and committed.
  const damaged = flipBit(dir, 12);
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.ok(again.storageId.startsWith(`${NODE}/`), `not its old self (${again.storageId})`);
  assert.equal(again.lastIndex(), 0, 'it starts empty and repairs from its peers');
  assert.deepEqual(again.getHardState(), { term: 0, vote: 0, commit: 0 }, 'no memory of a vote');
  const damage = logger.find('damage in synced log data');
  assert.equal(damage.length, 1, 'the damage is logged as an error');
  assert.equal((damage[0].obj as { path: string }).path, damaged.path);
  assert.equal((damage[0].obj as { position: number }).position, damaged.position);
  assert.equal(logger.find('recovery truncated a torn tail').length, 0, 'synced data is never a torn tail');
  // The Raft core starts from it with no configuration: it cannot campaign or count as a voter.
  const node = new RaftNode({ id: 1 }, again, new Rng(1));
  assert.equal(node.isVoter(), false);
  await again.close();
  // The new identity survives a restart.
  const reopened = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true });
  assert.equal(reopened.storageId, again.storageId);
  await reopened.close();
});

test('issue 9 item 3: damage in a sealed synced segment (its headers no longer walk) also makes it a new member', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, smallSegments, 40, 40);
  void crashed;
  const at = locate(dir, 10);
  assert.notEqual(at.path, locate(dir, 40).path, 'entry 10 is in a sealed segment');
  // A broken length field, and no index, so opening must walk the segment.
  const bytes = readFileSync(at.path);
  bytes.writeInt32BE(3, at.position + 8);
  writeFileSync(at.path, bytes);
  unlinkSync(at.path.replace(/\.log$/, '.index'));
  const again = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, known: true });
  assert.ok(again.storageId.startsWith(`${NODE}/`));
  assert.equal(again.lastIndex(), 0);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.log')).length, 1, 'every old segment is gone, the later ones too');
  await again.close();
});

test('issue 9 item 3: a torn tail past the stored commit is still cut, and the replica stays itself', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 24, 20);
  // Entries 25..30 were written, never synced: a power loss may tear them.
  crashed.append(entries(25, 30, 2));
  const at = locate(dir, 25);
  // The write of entries 25.. never completed: half of entry 25, nothing after it.
  truncateSync(at.path, at.position + (at.size >> 1));
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.equal(again.storageId, NODE);
  assert.equal(again.lastIndex(), 24);
  assert.equal(again.getHardState().commit, 20);
  assert.equal(logger.find('recovery truncated a torn tail').length, 1);
  assert.equal(logger.find('damage in synced log data').length, 0);
  await again.close();
});

test('issue 9 item 3: the stored commit never names entries the log has not made durable', async (t) => {
  const dir = tempDir(t);
  const sto = await groupWithEntries(dir, oneSegment, 10, 10);
  // A follower learns commit 20 in the same round as entries 11..20: written before their fsync.
  sto.append(entries(11, 20, 2));
  sto.setHardState({ term: 2, vote: 1, commit: 20 });
  const stored = () => {
    const store = new FileRaftStateStore(dir);
    const state = store.load();
    store.close();
    return state!;
  };
  assert.equal(stored().hardState.commit, 10, 'a power loss now may lose entries 11..20, so the stored commit stays at 10');
  assert.equal(sto.getHardState().commit, 20, 'the core sees the commit it set');
  await sto.sync();
  sto.setHardState({ term: 2, vote: 1, commit: 20 });
  assert.equal(stored().hardState.commit, 20, 'once they are durable it moves');
  await sto.close();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE });
  assert.equal(again.getHardState().commit, 20);
  await again.close();
});

test('issue 9 item 5: a stored commit below the log start (retention passed an unsynced commit) is raised at open', async (t) => {
  const dir = tempDir(t);
  const config = logConfig({ segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1, retentionBytes: 2048 });
  const sto = await groupWithEntries(dir, config, 60, 10);
  // The last fsynced raft.state says commit 10.
  const durable = readFileSync(join(dir, RAFT_STATE_FILE));
  // A commit-only hard state is written but not fsynced, and retention (bounded by the
  // in-memory commit, as the high watermark was) deletes segments past entry 10.
  sto.setHardState({ term: 2, vote: 1, commit: 60 });
  const deleted = sto.log.applyRetention(Date.now(), sto.offsetAfter(60));
  assert.ok(deleted.deletedSegments > 0);
  const firstIndex = sto.firstIndex();
  assert.ok(firstIndex - 1 > 10, `the log now starts at ${firstIndex}`);
  // Power loss: the unsynced write is gone, the deletions are not.
  writeFileSync(join(dir, RAFT_STATE_FILE), durable);
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, config, { storageId: NODE, logger });
  assert.equal(again.storageId, NODE, 'nothing is lost: it stays itself');
  assert.equal(again.getHardState().commit, firstIndex - 1, 'raised to the log start - 1');
  assert.equal(logger.find('raft commit index below the log start; raised').length, 1, 'logged once');
  const node = new RaftNode({ id: 1 }, again, new Rng(1));
  assert.equal(node.status().commit, firstIndex - 1);
  assert.equal(node.status().lastIndex, 60);
  await again.close();
  assert.ok(statSync(join(dir, RAFT_STATE_FILE)).size > 0);
});

test('issue 9 item 5: retention is bounded by the commit the durable Raft state records, not only the high watermark', async (t) => {
  const dir = tempDir(t);
  const sto = await groupWithEntries(dir, smallSegments, 60, 10);
  sto.setHardState({ term: 2, vote: 1, commit: 60 });
  const highWatermark = sto.offsetAfter(60);
  assert.equal(sto.retentionBoundOffset(highWatermark), sto.offsetAfter(10), 'commit 60 is not durable yet');
  await sto.sync();
  assert.equal(sto.retentionBoundOffset(highWatermark), highWatermark);
  await sto.close();
});

/** Sets the term (partitionLeaderEpoch, bytes 12..15 of the batch, not covered by its CRC-32C) of entry `raftIndex` with `xor`. */
function flipTerm(dir: string, raftIndex: number, xor: number): { path: string; position: number; term: number } {
  const at = locate(dir, raftIndex);
  const bytes = readFileSync(at.path);
  const term = bytes.readInt32BE(at.position + 12) ^ xor;
  bytes.writeInt32BE(term, at.position + 12);
  writeFileSync(at.path, bytes);
  return { ...at, term };
}

/** Opens `dir` again as the restarted replica; it must have found damage at `at` and become a new member. */
function assertLostAt(dir: string, config: LogConfig, at: { path: string; position: number }): Promise<void> {
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, config, { storageId: NODE, known: true, logger });
  assert.ok(again.storageId.startsWith(`${NODE}/`), `not its old self (${again.storageId})`);
  assert.equal(again.lastIndex(), 0, 'it starts empty and repairs from its peers');
  const damage = logger.find('damage in synced log data');
  assert.equal(damage.length, 1, 'the damage is logged once');
  assert.deepEqual(
    { path: (damage[0].obj as { path: string }).path, position: (damage[0].obj as { position: number }).position },
    { path: at.path, position: at.position },
  );
  assert.equal(logger.find('recovery truncated a torn tail').length, 0, 'synced data is never a torn tail');
  // It takes entries of its new terms: no crash loop on a term it never had (B10).
  again.append([{ index: 1, term: 1, type: 'normal', data: produced(1) }]);
  return again.close();
}

// B10 (docs/reliability.md): a Raft entry's term is its batch's partitionLeaderEpoch, which the
// batch CRC-32C does not cover. Recovery checks the terms' ranges (Raft §5.3: terms never
// decrease along a log; a leader's term is at most the node's current term; the log rolls a
// segment per term) and the synced mark's CRC-covered term.
test("B10: a high-bit flip of a synced entry's term (above the hard-state term) is damage, not a crash", async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30);
  void crashed;
  await assertLostAt(dir, oneSegment, flipTerm(dir, 12, 0x400));
});

test("B10: a high-bit flip of the last entry's term (every later append refused before) is damage", async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30);
  void crashed;
  await assertLostAt(dir, oneSegment, flipTerm(dir, 30, 0x400));
});

test('B10: a low-bit flip to a plausible term (below the hard-state term, within the segment) is damage', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30, 5);
  void crashed;
  // 2 -> 3: still below the hard-state term 5 and above the term before it; entry 13 has term 2 again.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 12, 1));
});

test('B10: a low-bit flip of the last entry to a plausible term is damage (one term per segment)', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30, 5);
  void crashed;
  await assertLostAt(dir, oneSegment, flipTerm(dir, 30, 1));
});

test("B10: a flipped term of a one-entry sealed segment disagrees with the next sidecar's CRC-covered prevTerm", async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 30, 5);
  // A leader of term 3 wrote one entry (31) and was deposed: entry 32 of term 4 rolls a segment
  // whose sidecar says prevTerm 3.
  crashed.append([
    { index: 31, term: 3, type: 'normal', data: produced(31) },
    { index: 32, term: 4, type: 'normal', data: produced(32) },
  ]);
  await crashed.sync();
  await (crashed.log as PartitionLog).syncedMarkSettled;
  assert.notEqual(locate(dir, 31).path, locate(dir, 32).path);
  // 3 -> 2: alone in its segment, not below the term before it, below the hard-state term; only
  // the next sidecar's prevTerm (3) tells.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 31, 1));
});

/**
 * Entries 1..30 (term 2, hard-state term 5, `commit` stored), then entry 31 of term 4 alone in
 * the segment its term rolled, synced; `markBefore` is the synced mark as it was before entry 31.
 */
async function loneEntryAfterRoll(dir: string, commit: number): Promise<{ sto: RaftLogStorage; markBefore: Buffer }> {
  const sto = await groupWithEntries(dir, oneSegment, 30, commit, 5);
  const markBefore = readFileSync(join(dir, SYNCED_MARK_FILE));
  sto.append([{ index: 31, term: 4, type: 'normal', data: produced(31) }]);
  await sto.sync();
  await (sto.log as PartitionLog).syncedMarkSettled;
  return { sto, markBefore };
}

test("B10: a flip of a one-entry segment's term to a plausible one is caught by the synced mark's term", async (t) => {
  const dir = tempDir(t);
  await loneEntryAfterRoll(dir, 30);
  // 4 -> 5: at most the hard-state term, above the prevTerm 2, alone in its segment.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 31, 1));
});

// issue 9 item 3 (docs/storage.md, "A segment's own term"): the window the synced mark leaves. A
// segment holds one term, and its sidecar (CRC-covered, fsynced before the .log exists) records
// that term when the entry that rolls it is known; open checks a lone batch against it.
test('issue 9 item 3: a flipped term in the lone batch of a new segment, synced but not yet under the synced mark, is damage', async (t) => {
  const dir = tempDir(t);
  const { markBefore } = await loneEntryAfterRoll(dir, 20);
  assert.notEqual(locate(dir, 30).path, locate(dir, 31).path, 'entry 31 is alone in a new segment');
  // As if the power went after entry 31 was synced and acknowledged but before the mark said so.
  writeFileSync(join(dir, SYNCED_MARK_FILE), markBefore);
  // 4 -> 5: at most the hard-state term, above the term before the segment, alone in it, above the
  // stored commit: only the sidecar's own term tells.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 31, 1));
});

test("issue 9 item 3: after a snapshot install the first entry fixes the new segment's term; a flip of it is damage", async (t) => {
  const dir = tempDir(t);
  const sto = RaftLogStorage.open(dir, oneSegment, { storageId: NODE });
  sto.bootstrap({ voters: members, learners: [] });
  sto.setHardState({ term: 7, vote: 1, commit: 0 });
  await sto.sync();
  // A leader's snapshot up to entry 100 of term 4: the log restarts as one empty segment whose
  // entries' term nobody knows yet.
  sto.applySnapshot({ index: 100, term: 4, confState: { voters: members, learners: [] }, data: encodeSnapshotData({ offset: 500, logStartOffset: 500 }) });
  sto.append([{ index: 101, term: 6, type: 'normal', data: produced(101) }]);
  await sto.sync();
  await (sto.log as PartitionLog).syncedMarkSettled;
  unlinkSync(join(dir, SYNCED_MARK_FILE));
  // 6 -> 7: the stored current term, above the snapshot's term 4.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 1, 1));
});

test('issue 9 item 3: an empty segment takes the term of its first entry, whatever term it was made with', async (t) => {
  const dir = tempDir(t);
  const { markBefore } = await loneEntryAfterRoll(dir, 20);
  // The power went after the roll made the segment (term 4) but before entry 31's bytes reached it.
  const rolled = locate(dir, 31).path;
  truncateSync(rolled, 0);
  writeFileSync(join(dir, SYNCED_MARK_FILE), markBefore);
  const sto = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true });
  assert.equal(sto.lastIndex(), 30);
  // A leader of term 6 sends entry 31: it goes into the empty segment made for term 4.
  sto.setHardState({ term: 6, vote: 2, commit: 20 });
  sto.append([{ index: 31, term: 6, type: 'normal', data: produced(131) }]);
  await sto.sync();
  await sto.close();
  assert.equal(locate(dir, 31).path, rolled);
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.equal(again.storageId, NODE, 'no false damage: the segment took term 6 before its entry was written');
  assert.equal(logger.find('damage in synced log data').length, 0);
  assert.equal(again.lastIndex(), 31);
  assert.equal(again.term(31), 6);
  await again.close();
});

test('B10: a flipped term in a sealed segment loaded without a CRC check is damage', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, smallSegments, 40, 40);
  void crashed;
  // The first entry of a sealed segment below the recovery point (loaded without a CRC check;
  // open reads its header). Entries in the middle of one are the scrub's (B6).
  const first = [...Array(30).keys()].map((k) => k + 5).find((e) => locate(dir, e).position === 0);
  assert.ok(first !== undefined && locate(dir, first).path !== locate(dir, 40).path);
  const at = flipTerm(dir, first, 0x4000);
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, known: true, logger });
  assert.ok(again.storageId.startsWith(`${NODE}/`), 'lost state, not a crash loop');
  const damage = logger.find('damage in synced log data');
  assert.equal(damage.length, 1);
  assert.equal((damage[0].obj as { path: string }).path, at.path);
  await again.close();
});

// B7 (docs/reliability.md): the stored commit lags what the replica acknowledged; the synced
// mark (written after each sync round, off the ack path) says how far the log was synced.
test('B7: a bit flip in synced entries above the stored commit is damage, not a torn tail', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  // Entry 30 is the last one: nothing valid follows it, only the synced mark tells.
  await assertLostAt(dir, oneSegment, flipBit(dir, 30));
});

test('B7: a bad batch with valid batches after it is damage even past the synced mark', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  // As if the mark had not been written yet: only the stored commit (20) is known to be synced.
  unlinkSync(join(dir, SYNCED_MARK_FILE));
  await assertLostAt(dir, oneSegment, flipBit(dir, 25));
});

test('B7: a whole last batch with a flipped bit is damage even past the synced mark (a power loss cuts batches short, never changes a whole one)', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  // As if the power went after entry 30 was synced and acknowledged but before the mark said so.
  unlinkSync(join(dir, SYNCED_MARK_FILE));
  await assertLostAt(dir, oneSegment, flipBit(dir, 30));
});

test('B7: a last batch cut short by the end of the file is a torn tail, past the synced mark', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  unlinkSync(join(dir, SYNCED_MARK_FILE));
  const at = locate(dir, 30);
  truncateSync(at.path, at.position + (at.size >> 1));
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.equal(again.storageId, NODE);
  assert.equal(again.lastIndex(), 29);
  assert.equal(logger.find('damage in synced log data').length, 0);
  await again.close();
});

test('B7: a truncation lowers the synced mark first: entries appended after it and torn are a torn tail', async (t) => {
  const dir = tempDir(t);
  const sto = await groupWithEntries(dir, oneSegment, 30, 20);
  sto.setHardState({ term: 3, vote: 2, commit: 20 });
  await sto.sync();
  // A new leader's entries replace 26..30 (Raft §5.3); the replacements are not synced yet.
  sto.append(entries(26, 30, 3));
  const at = locate(dir, 27);
  truncateSync(at.path, at.position + (at.size >> 1));
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.equal(again.storageId, NODE);
  assert.equal(again.lastIndex(), 26);
  assert.equal(logger.find('damage in synced log data').length, 0);
  await again.close();
});

test('B10: synced entries of a term the durable state does not reach were never acknowledged: cut, the replica stays itself', async (t) => {
  const dir = tempDir(t);
  const sto = await groupWithEntries(dir, oneSegment, 30, 20);
  // A new leader's entries of term 3 reached the disk (and the synced mark) but the power went
  // before raft.state with term 3 did: Raft answers only once the term is durable (§5.1), so
  // nothing of them was acknowledged. Every replica may be in this state after a power loss of all.
  sto.append(entries(31, 35, 3));
  await (sto.log as PartitionLog).flush();
  await (sto.log as PartitionLog).syncedMarkSettled;
  for (let restart = 0; restart < 2; restart++) {
    const logger = new MemoryLogger();
    const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
    assert.equal(again.storageId, NODE, 'not a lost replica');
    assert.equal(again.lastIndex(), 30);
    assert.equal(logger.find('damage in synced log data').length, 0);
    assert.equal(logger.find('recovery truncated a torn tail').length, restart === 0 ? 1 : 0);
    await again.close();
  }
});

test('B10: with the newer raft.state slot unreadable there is no term bound: entries of its term are kept', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  // The founding wrote term 1, setHardState term 2 (entries 4..30 of term 2 acknowledged): flip
  // a bit in the slot load takes. Before B12 the slots alternated and load fell back to term 1
  // (hence no term bound from a store with an unreadable slot); term changes are now written
  // to both slots, so the other one holds term 2.
  const path = join(dir, RAFT_STATE_FILE);
  const bytes = readFileSync(path);
  const sequence = (slot: number) => (bytes.length >= (slot + 1) * SLOT_BYTES ? Number(bytes.readBigInt64BE(slot * SLOT_BYTES + 8)) : -1);
  const newer = sequence(1) > sequence(0) ? 1 : 0; // on a tie load takes slot 0
  bytes[newer * SLOT_BYTES + 40] ^= 0x20;
  writeFileSync(path, bytes);
  const logger = new MemoryLogger();
  const again = RaftLogStorage.open(dir, oneSegment, { storageId: NODE, known: true, logger });
  assert.equal(again.getHardState().term, 2, "the other slot's copy of the durable term (B12)");
  assert.equal(again.lastIndex(), 30, 'a term bound of 1 would have cut entries it acknowledged');
  assert.equal(logger.find('recovery truncated a torn tail').length, 0);
  await again.close();
});

test("B10: a high-bit flip of the last entry above the stored commit: the synced mark's term says it was flipped, not unacknowledged", async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
  // Term 2 + 1024 is above the stored term 2 like entries a power loss left unacknowledged, but
  // the mark covers entry 30 with term 2.
  await assertLostAt(dir, oneSegment, flipTerm(dir, 30, 0x400));
});

test('B10: a flipped term in the middle of a trusted sealed segment (not read at open) never reaches a follower', async (t) => {
  const dir = tempDir(t);
  const crashed = await groupWithEntries(dir, smallSegments, 40, 40);
  void crashed;
  const last = locate(dir, 40).path;
  // An entry neither first in its segment nor in the tail after the segment's last index entry.
  const middle = [...Array(30).keys()]
    .map((k) => k + 5)
    .find((e) => {
      const at = locate(dir, e);
      return at.position > 0 && at.path !== last && locate(dir, e + 1).path === at.path;
    });
  assert.ok(middle !== undefined);
  flipTerm(dir, middle, 0x4000);
  const again = RaftLogStorage.open(dir, smallSegments, { storageId: NODE, known: true });
  // The entry's term is the one the log knows (Raft §5.3 log matching), not the flipped header's.
  assert.equal(again.term(middle), 2);
  // The segment was opened trusted and is not scrubbed yet: the read checks each batch first and
  // finds the header's term out of place (B6), so the flipped batch is never sent.
  assert.throws(() => again.entries(middle, middle + 1, Infinity), LogDamagedError);
  await again.close();
});

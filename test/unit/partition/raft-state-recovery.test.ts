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
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { FileRaftStateStore, RAFT_STATE_FILE } from '../../../src/partition/raft-state-store.ts';
import { RaftNode } from '../../../src/raft/node.ts';
import { Rng } from '../../../src/raft/rng.ts';
import { logConfig, type LogConfig } from '../../../src/storage/log-config.ts';
import { MemoryLogger } from '../storage/helpers.ts';
import { entries, tempDir } from './raft-log-fixtures.ts';

const NODE = 'disk-1';
const members = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));

/** A founded group holding entries 1..last (1–3 bootstrap config, then term 2), all synced, commit stored. */
async function groupWithEntries(dir: string, config: LogConfig, last: number, commit: number): Promise<RaftLogStorage> {
  const sto = RaftLogStorage.open(dir, config, { storageId: NODE });
  sto.bootstrap({ voters: members, learners: [] });
  sto.append(entries(4, last, 2));
  await sto.sync();
  sto.setHardState({ term: 2, vote: 1, commit });
  await sto.sync();
  return sto;
}

/** Where entry `raftIndex` (counting from 1 at the first byte of the first segment) sits on disk. */
function locate(dir: string, raftIndex: number): { path: string; position: number; size: number } {
  let index = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    // Bounded by the file size: every step moves past one whole batch.
    for (let position = 0; position + 12 <= bytes.length;) {
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
  const crashed = await groupWithEntries(dir, oneSegment, 30, 20);
  void crashed;
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

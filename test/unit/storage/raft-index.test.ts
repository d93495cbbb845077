// Raft index translation in the segment log (docs/storage.md, "Raft index translation"):
// one batch = one Raft entry, entry term = partitionLeaderEpoch, Raft indexes count
// batches while offsets count records. Every check runs against a plain model.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync, unlinkSync, statSync, writeFileSync } from 'node:fs';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import { join } from 'node:path';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { decodeRaftSidecar } from '../../../src/storage/raft-sidecar.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import type { RaftIndexedLog } from '../../../src/storage/log.ts';
import { readBatchHeader } from '../../../src/protocol/record-batch.ts';
import { Rng } from '../../../src/raft/rng.ts';
import { MemoryLogger, makeBatch, smallConfig, tempDir } from './helpers.ts';

interface ModelBatch {
  term: number;
  baseOffset: number;
  lastOffset: number;
  seed: number;
}

/** The expected Raft view: entries[k] has Raft index k + 1 (nothing here resets the numbering). */
class Model {
  entries: ModelBatch[] = [];
  startOffset = 0;
  get end(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? 0 : last.lastOffset + 1;
  }
  get first(): number {
    const k = this.entries.findIndex((b) => b.lastOffset >= this.startOffset);
    return k < 0 ? this.entries.length + 1 : k + 1;
  }
  get last(): number {
    return this.entries.length;
  }
  termAt(i: number): number {
    return i === 0 ? 0 : this.entries[i - 1].term;
  }
}

function check(log: RaftIndexedLog, model: Model, rng: Rng, label: string): void {
  assert.equal(log.lastRaftIndex, model.last, `${label}: lastRaftIndex`);
  assert.equal(log.firstRaftIndex, model.first, `${label}: firstRaftIndex`);
  assert.equal(log.logEndOffset, model.end, `${label}: logEndOffset`);
  if (model.first >= 2) assert.equal(log.termAtRaftIndex(model.first - 2), undefined, `${label}: below first - 1`);
  assert.equal(log.termAtRaftIndex(model.last + 1), undefined, `${label}: past the end`);
  for (let i = model.first - 1; i <= model.last; i++) {
    assert.equal(log.termAtRaftIndex(i), model.termAt(i), `${label}: term of ${i}`);
    const after = i === model.last ? model.end : model.entries[i].baseOffset;
    assert.equal(log.offsetAfterRaftIndex(i), after, `${label}: offsetAfterRaftIndex(${i})`);
  }
  for (let i = model.first; i <= model.last; i++) {
    const b = model.entries[i - 1];
    for (const offset of [b.baseOffset, b.lastOffset]) {
      if (offset >= log.logStartOffset) assert.equal(log.raftIndexOf(offset), i, `${label}: raftIndexOf(${offset})`);
    }
  }
  if (model.last >= model.first) {
    // A random window and byte budget: the answer is a prefix of the window, never empty.
    const lo = rng.int(model.first, model.last + 1);
    const hi = rng.int(lo + 1, model.last + 2);
    const maxBytes = rng.int(0, 3000);
    const got = log.entries(lo, hi, maxBytes);
    assert.ok(got.length >= 1 && got.length <= hi - lo, `${label}: entries(${lo}, ${hi}) returned ${got.length}`);
    let bytes = 0;
    got.forEach((e, k) => {
      const m = model.entries[lo + k - 1];
      assert.equal(e.index, lo + k);
      assert.equal(e.term, m.term);
      assert.equal(e.baseOffset, m.baseOffset);
      assert.equal(e.lastOffset, m.lastOffset);
      const h = readBatchHeader(e.batch, 0);
      assert.equal(h.baseOffset, m.baseOffset);
      assert.equal(h.partitionLeaderEpoch, m.term, 'the entry term is the batch partitionLeaderEpoch');
      assert.equal(e.batch.length, 12 + h.batchLength);
      bytes += e.batch.length;
    });
    if (got.length > 1) assert.ok(bytes <= maxBytes, `${label}: ${bytes} bytes within ${maxBytes}`);
    if (got.length < hi - lo) {
      const next = log.entryAt(lo + got.length).batch.length;
      assert.ok(bytes + next > maxBytes, `${label}: stopped early only for the byte budget`);
    }
    const one = log.entryAt(hi - 1);
    assert.equal(one.index, hi - 1);
    assert.equal(one.baseOffset, model.entries[hi - 2].baseOffset);
  }
}

/** A random script of appends, term changes, Raft truncations and log-start moves. */
async function runScript(seed: number, open: () => RaftIndexedLog, reopen: ((log: RaftIndexedLog) => Promise<RaftIndexedLog>) | null): Promise<void> {
  const rng = new Rng(seed);
  const model = new Model();
  let log = open();
  let term = 1;
  for (let step = 0; step < 160; step++) {
    const roll = rng.int(0, 100);
    if (roll < 65) {
      if (rng.int(0, 10) === 0) term += rng.int(1, 3);
      const count = rng.int(1, 6);
      const batchSeed = step * 1000 + seed;
      const r = log.append(makeBatch(batchSeed, count, rng.int(5, 120)), term);
      model.entries.push({ term, baseOffset: r.baseOffset, lastOffset: r.lastOffset, seed: batchSeed });
    } else if (roll < 80) {
      // Raft §5.3: a conflicting suffix is removed from entry i onwards; later entries
      // may carry any term >= the term now at the end of the log.
      // The entry holding a log start that DeleteRecords put inside it is committed, so
      // Raft never truncates it (the logs refuse to): pick an entry at or after the start.
      const lowest = model.first + (model.last >= model.first && model.entries[model.first - 1].baseOffset < model.startOffset ? 1 : 0);
      if (model.last >= lowest) {
        const i = rng.int(Math.max(lowest, model.last - 6), model.last + 1);
        log.truncateToRaftIndex(i);
        model.entries.length = i - 1;
        term = Math.max(model.termAt(i - 1), 1);
      }
    } else if (roll < 88) {
      // DeleteRecords may move the log start inside a batch; that batch stays the first entry.
      const target = rng.int(model.startOffset, Math.min(model.end, model.startOffset + 25) + 1);
      log.deleteRecordsBefore(target);
      model.startOffset = Math.max(model.startOffset, target);
    } else if (roll < 94 && reopen !== null) {
      log = await reopen(log);
    }
    check(log, model, rng, `seed ${seed} step ${step}`);
  }
  await log.close();
}

test('translation agrees with the model across segment rolls, truncations, log-start moves and reopening (PartitionLog)', async (t) => {
  for (const seed of [1, 2, 3]) {
    const dir = tempDir(t);
    const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
    let reopens = 0;
    await runScript(
      seed,
      () => PartitionLog.open(dir, config),
      async (log) => {
        // Alternate a clean close (indexes trusted) with an abandoned log (the process
        // died: recovery rebuilds the tail's Raft numbering from the sidecar header).
        if (reopens++ % 2 === 0) await log.close();
        return PartitionLog.open(dir, config);
      },
    );
    assert.ok(reopens >= 2, `seed ${seed} reopened ${reopens} times`);
    assert.ok(readdirSync(dir).filter((n) => n.endsWith('.raft')).length >= 1);
  }
});

test('translation agrees with the model (MemoryLog)', async () => {
  for (const seed of [1, 2, 3, 4, 5]) await runScript(seed, () => new MemoryLog(), null);
});

test('each segment records the Raft index of its first batch; the sidecar header is fixed at creation', async (t) => {
  const dir = tempDir(t);
  const log = PartitionLog.open(dir, smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 }));
  for (let i = 0; i < 40; i++) log.append(makeBatch(i, 1 + (i % 3), 60), i < 20 ? 1 : 2);
  const bases = readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
  assert.ok(bases.length >= 4);
  let expected = 1;
  for (const name of bases) {
    const raft = readFileSync(join(dir, name.replace('.log', '.raft')));
    const firstRaftIndex = Number(raft.readBigInt64BE(8));
    // The entry count of a segment is the number of batches in its .log.
    assert.equal(firstRaftIndex, expected, name);
    const data = readFileSync(join(dir, name));
    let batches = 0;
    for (let at = 0; at < data.length; at += 12 + data.readInt32BE(at + 8)) batches++;
    expected += batches;
  }
  assert.equal(log.lastRaftIndex, 40);
  // A term change rolls the segment: the segment holding entry 21 starts with it.
  const termTwo = bases.find((n) => Number(readFileSync(join(dir, n.replace('.log', '.raft'))).readBigInt64BE(8)) === 21);
  assert.ok(termTwo !== undefined, 'a segment starts at the first entry of term 2');
  assert.equal(readFileSync(join(dir, termTwo.replace('.log', '.raft'))).readInt32BE(16), 1, 'prevTerm is the term of entry 20');
  await log.close();
});

// issue 9 item 3 (docs/storage.md, "`.raft`"): version 2 records each segment's one term; a
// version 1 sidecar (written before) stays readable, and its segment keeps the checks it had.
test("issue 9 item 3: each sidecar records its segment's term; version 1 sidecars stay readable and extendable", async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 40; i++) log.append(makeBatch(i, 1 + (i % 3), 60), i < 20 ? 1 : 2);
  await log.close();
  const sidecars = readdirSync(dir)
    .filter((n) => n.endsWith('.raft'))
    .sort();
  for (const name of sidecars) {
    const raft = readFileSync(join(dir, name));
    assert.equal(raft.readUInt16BE(4), 3, `${name}: version 3`);
    // The first segment came with the log, before any entry: a log that is not a Raft log leaves its term unknown (-1).
    const first = Number(raft.readBigInt64BE(8));
    assert.equal(raft.readInt32BE(20), first === 1 ? -1 : first <= 20 ? 1 : 2, `${name}: the term of its entries`);
    // Rewrite it as version 1: no term (nor Raft-only count and trailer, issue 12), the CRC over
    // bytes 0..19 at 20, the entries from 24.
    const decoded = decodeRaftSidecar(raft);
    assert.ok(typeof decoded !== 'string');
    const v1 = Buffer.concat([raft.subarray(0, 24), decoded.entries]);
    v1.writeUInt16BE(1, 4);
    v1.writeUInt32BE(crc32c(v1, 0, 20), 20);
    writeFileSync(join(dir, name), v1);
  }
  const logger = new MemoryLogger();
  const again = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('raft sidecar rebuilt').length, 0);
  assert.equal(logger.find('index rebuilt').length, 0, 'the version 1 entries are read where they are');
  assert.equal(again.lastRaftIndex, 40);
  assert.equal(again.termAtRaftIndex(20), 1);
  assert.equal(again.termAtRaftIndex(21), 2);
  // Open rewrote the version 1 sidecars as version 3 (issue 12: they lacked the Raft-only count);
  // the active segment takes more batches and is sealed with its entries after its header.
  for (let i = 40; i < 60; i++) again.append(makeBatch(i, 2, 60), 2);
  await again.close();
  const third = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('index rebuilt').length, 0);
  assert.equal(third.lastRaftIndex, 60);
  for (let i = 1; i <= 60; i++) assert.equal(third.raftIndexOf(third.offsetAfterRaftIndex(i - 1)), i, `entry ${i}`);
  await third.close();
});

test('retention moves the first Raft index to the first remaining segment and keeps the term before it', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024, retentionMs: 10_000 });
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 30; i++) log.append(makeBatch(i, 2, 60, i < 15 ? 1000 : 100_000), i < 10 ? 3 : 4);
  assert.equal(log.firstRaftIndex, 1);
  const result = log.applyRetention(50_000);
  assert.ok(result.deletedSegments > 0);
  const first = log.firstRaftIndex;
  assert.ok(first > 1 && first <= 16, `first ${first}`);
  assert.equal(log.raftIndexOf(log.logStartOffset), first);
  assert.equal(log.termAtRaftIndex(first - 1), first - 1 <= 10 ? 3 : 4);
  assert.equal(log.termAtRaftIndex(first - 2), undefined, 'entries before the snapshot point are gone');
  assert.equal(log.offsetAfterRaftIndex(first - 1), log.logStartOffset);
  await log.close();
  const again = PartitionLog.open(dir, config);
  assert.equal(again.firstRaftIndex, first);
  assert.equal(again.lastRaftIndex, 30);
  assert.equal(again.termAtRaftIndex(first - 1), first - 1 <= 10 ? 3 : 4);
  // Everything expired: the log keeps its end, and the Raft numbering continues.
  again.applyRetention(10_000_000);
  assert.equal(again.firstRaftIndex, 31);
  assert.equal(again.lastRaftIndex, 30);
  assert.equal(again.termAtRaftIndex(30), 4);
  assert.equal(again.append(makeBatch(99, 1), 5).baseOffset, 60);
  assert.equal(again.lastRaftIndex, 31);
  await again.close();
});

test('recovery after a torn tail: the surviving batches keep their Raft indexes and numbering continues', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 25; i++) log.append(makeBatch(i, 2, 50), 1 + Math.floor(i / 10));
  await log.flush();
  const terms = Array.from({ length: 25 }, (_, k) => log.termAtRaftIndex(k + 1));
  // The process dies (no close) and the last batch is torn.
  const last = join(
    dir,
    readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort()
      .at(-1)!,
  );
  truncateSync(last, statSync(last).size - 7);
  const logger = new MemoryLogger();
  const again = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('recovery truncated a torn tail').length, 1);
  assert.equal(again.lastRaftIndex, 24);
  for (let i = 1; i <= 24; i++) assert.equal(again.termAtRaftIndex(i), terms[i - 1], `term of ${i}`);
  const next = again.append(makeBatch(100, 1), 3);
  assert.equal(again.lastRaftIndex, 25);
  assert.equal(again.raftIndexOf(next.baseOffset), 25);
  assert.equal(again.entryAt(25).baseOffset, next.baseOffset);
  await again.close();
  void log;
});

test("a lost sidecar of a later segment is rebuilt from the one before; the first segment's is required", async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 30; i++) log.append(makeBatch(i, 2, 60), 1);
  await log.close();
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.raft'))
    .sort();
  unlinkSync(join(dir, names[2]));
  const logger = new MemoryLogger();
  const again = PartitionLog.open(dir, config, logger);
  assert.equal(logger.find('raft sidecar rebuilt').length, 1);
  for (let i = 1; i <= 30; i++) assert.equal(again.entryAt(i).index, i);
  assert.equal(again.lastRaftIndex, 30);
  again.deleteRecordsBefore(again.offsetAfterRaftIndex(10));
  again.applyRetention(0);
  assert.equal(again.firstRaftIndex, 11);
  await again.close();
  // Retention removed the segments before: the numbering of the head cannot be derived.
  const head = readdirSync(dir)
    .filter((n) => n.endsWith('.raft'))
    .sort()[0];
  assert.notEqual(head, names[0]);
  unlinkSync(join(dir, head));
  assert.throws(() => PartitionLog.open(dir, config), /LogCorruptionError|Raft index is unreadable/);
});

test('resetTo restarts the log empty at an offset and Raft index (InstallSnapshot); survives reopening', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024 });
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 12; i++) log.append(makeBatch(i, 2, 60), 1);
  log.resetTo({ offset: 500, raftIndex: 77, prevTerm: 4 });
  assert.equal(log.logStartOffset, 500);
  assert.equal(log.logEndOffset, 500);
  assert.equal(log.firstRaftIndex, 77);
  assert.equal(log.lastRaftIndex, 76);
  assert.equal(log.termAtRaftIndex(76), 4);
  assert.equal(log.offsetAfterRaftIndex(76), 500);
  assert.throws(() => log.append(makeBatch(1, 1), 3), /term 3/);
  log.append(makeBatch(1, 3), 5);
  await log.close();
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.log')),
    ['00000000000000000500.log'],
  );
  const again = PartitionLog.open(dir, config);
  assert.equal(again.firstRaftIndex, 77);
  assert.equal(again.lastRaftIndex, 77);
  assert.equal(again.termAtRaftIndex(76), 4);
  assert.equal(again.termAtRaftIndex(77), 5);
  await again.close();
});

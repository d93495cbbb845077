// Issue 12, "Kafka offsets are contiguous" (docs/storage.md, "Kafka offsets"): Kafka offset =
// log offset - Raft-only batches below it. The translator itself, and the log that keeps it:
// append, truncation, retention, reset (InstallSnapshot), reopen from the sidecars' Raft-only
// count and trailer, and a sidecar written before them (version 1: rebuilt by a header walk).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffsetTranslator, isRaftOnlyBatch } from '../../../src/storage/offset-translator.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import type { RaftIndexedLog } from '../../../src/storage/log.ts';
import { buildRecordBatch } from '../../../src/protocol/record-batch.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import { decodeRaftSidecar } from '../../../src/storage/raft-sidecar.ts';
import { countingFs, makeBatch, smallConfig, tempDir } from './helpers.ts';
import { nodeFs, setStorageFs } from '../../../src/storage/fs.ts';

/** A batch like a Raft no-op or configuration entry: a control batch with no producer. */
function raftOnly(): Buffer {
  return buildRecordBatch({ records: [{ key: Buffer.from([0, 0, 0x52, 0x00]), value: Buffer.alloc(0), timestamp: 0 }], isControl: true });
}

test('issue 12: the translator maps log offsets to Kafka offsets and back around Raft-only batches', () => {
  const t = new OffsetTranslator();
  assert.equal(t.isIdentity, true);
  assert.equal(t.toKafka(7), 7);
  assert.equal(t.toLog(7), 7);
  // Log: 0..3 Raft-only (founding + no-op), 4..5 records, 6 Raft-only (a new leader's no-op), 7.. records.
  for (const o of [0, 1, 2, 3, 6]) t.add(o);
  assert.deepEqual(
    [4, 5, 7, 8].map((o) => t.toKafka(o)),
    [0, 1, 2, 3],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((k) => t.toLog(k)),
    [4, 5, 7, 8],
  );
  // A Raft-only batch's offset translates to the next record's Kafka offset.
  assert.equal(t.toKafka(6), 2);
  assert.equal(t.toKafka(0), 0);
  assert.equal(t.deltaAt(7), 5);
  assert.throws(() => t.add(5), /raft-only batch at 5 after 6/);
  // Truncation (Raft §5.3) drops the holes at and above the cut.
  t.truncate(6);
  assert.equal(t.toKafka(7), 3);
  assert.equal(t.toLog(2), 6);
  t.add(6);
  // Retention: the holes below the new start move into the base; translation is unchanged.
  t.dropBelow(5);
  assert.deepEqual(
    [5, 7, 8].map((o) => t.toKafka(o)),
    [1, 2, 3],
  );
  assert.deepEqual(
    [1, 2, 3].map((k) => t.toLog(k)),
    [5, 7, 8],
  );
  // A snapshot install restarts with the sender's base.
  t.reset(5);
  assert.equal(t.toKafka(9), 4);
  assert.equal(t.toLog(4), 9);
});

test('issue 12: toLog and toKafka agree with a plain model on random logs', () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let run = 0; run < 50; run++) {
    const t = new OffsetTranslator();
    const kinds: boolean[] = [];
    for (let o = 0; o < 200; o++) {
      const hole = next() % 4 === 0;
      kinds.push(hole);
      if (hole) t.add(o);
    }
    let kafka = 0;
    for (let o = 0; o < kinds.length; o++) {
      assert.equal(t.toKafka(o), kafka, `run ${run}: toKafka(${o})`);
      if (!kinds[o]) {
        assert.equal(t.toLog(kafka), o, `run ${run}: toLog(${kafka})`);
        kafka++;
      }
    }
  }
});

/** The Kafka offset of every user batch's base, in order. */
function kafkaBases(log: RaftIndexedLog): number[] {
  const out: number[] = [];
  for (let i = log.firstRaftIndex; i <= log.lastRaftIndex; i++) {
    const e = log.entryAt(i);
    if (!isRaftOnlyBatch(e.batch)) out.push(log.kafkaOffsets.toKafka(e.baseOffset));
  }
  return out;
}

/** Appends the founding entries, a no-op, records, and a later no-op in a new term, as a replica does. */
function fill(log: RaftIndexedLog): void {
  for (let i = 0; i < 3; i++) log.append(raftOnly(), 1);
  log.append(raftOnly(), 2);
  for (let i = 0; i < 10; i++) log.append(makeBatch(i, 2, 60), 2);
  log.append(raftOnly(), 3);
  for (let i = 10; i < 20; i++) log.append(makeBatch(i, 2, 60), 3);
}

const EXPECTED_BASES = Array.from({ length: 20 }, (_, i) => 2 * i);

test('issue 12: PartitionLog and MemoryLog count Kafka offsets over user batches only; truncation drops the holes it removes', async (t) => {
  const file = PartitionLog.open(tempDir(t), smallConfig({ segmentBytes: 1024 }));
  const memory = new MemoryLog();
  for (const log of [file, memory]) {
    fill(log);
    assert.deepEqual(kafkaBases(log), EXPECTED_BASES);
    assert.equal(log.kafkaOffsets.toKafka(log.logEndOffset), 40);
    assert.equal(log.kafkaOffsets.toLog(20), 4 + 20 + 1, 'Kafka 20 lies after the term-3 no-op');
    // Raft replaces the suffix from the term-3 no-op on (Raft §5.3), then a term-4 leader writes.
    log.truncateToRaftIndex(15);
    assert.equal(log.kafkaOffsets.toKafka(log.logEndOffset), 20);
    log.append(makeBatch(99, 2, 60), 4);
    assert.equal(log.kafkaOffsets.toKafka(log.logEndOffset - 2), 20, 'no hole remains where the truncated no-op was');
  }
  await file.close();
});

test('issue 12: a reopened log has the same Kafka offsets (sidecar count and trailer), also after retention deleted the head', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024 });
  const log = PartitionLog.open(dir, config);
  fill(log);
  assert.ok(log.segmentCount > 3, 'several segments');
  await log.close();
  const again = PartitionLog.open(dir, config);
  assert.deepEqual(kafkaBases(again), EXPECTED_BASES);
  // Retention deletes the head segments, founding entries and no-ops with them: the head
  // segment's sidecar count keeps the translation.
  again.deleteRecordsBefore(again.kafkaOffsets.toLog(30));
  assert.ok(again.logStartOffset > 15);
  const kept = kafkaBases(again);
  assert.deepEqual(kept, EXPECTED_BASES.slice(EXPECTED_BASES.length - kept.length));
  await again.close();
  const third = PartitionLog.open(dir, config);
  assert.deepEqual(kafkaBases(third), kept);
  assert.equal(third.kafkaOffsets.toKafka(third.logEndOffset), 40);
  await third.close();
});

test('issue 12: an unclean shutdown rebuilds the Kafka offsets from the trailer plus the scanned tail', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024 });
  const log = PartitionLog.open(dir, config);
  fill(log);
  log.append(raftOnly(), 4);
  log.append(makeBatch(50, 2, 60), 4);
  log.flushSync();
  // No close: the checkpoint says unclean, the active segment is scanned.
  const again = PartitionLog.open(dir, config);
  assert.deepEqual(kafkaBases(again), [...EXPECTED_BASES, 40]);
  await again.close();
  await log.close().catch(() => undefined);
});

test('issue 12: resetTo (InstallSnapshot) carries the translation base; it survives reopening', async (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 1024 });
  const log = PartitionLog.open(dir, config);
  fill(log);
  // The sender's log start is log offset 30 with 5 Raft-only batches below it: Kafka offset 25.
  log.resetTo({ offset: 30, raftIndex: 31, prevTerm: 3, raftOnlyBefore: 5 });
  assert.equal(log.kafkaOffsets.toKafka(30), 25);
  log.append(makeBatch(1, 2, 60), 3);
  await log.close();
  const again = PartitionLog.open(dir, config);
  assert.equal(again.kafkaOffsets.toKafka(again.logStartOffset), 25);
  assert.equal(again.kafkaOffsets.toKafka(again.logEndOffset), 27);
  await again.close();
  const memory = new MemoryLog();
  memory.resetTo({ offset: 30, raftIndex: 31, prevTerm: 3, raftOnlyBefore: 5 });
  assert.equal(memory.kafkaOffsets.toKafka(30), 25);
});

/**
 * Rewrites a sidecar as an older broker wrote it, without the Raft-only count and trailer:
 * version 1 (no term either) or version 2 (the segment's term).
 */
function downgradeSidecar(path: string, version: 1 | 2): void {
  const decoded = decodeRaftSidecar(readFileSync(path));
  assert.ok(typeof decoded !== 'string');
  const header = Buffer.alloc(version === 1 ? 24 : 28);
  header.writeUInt32BE(0x524e5249, 0);
  header.writeUInt16BE(version, 4);
  header.writeBigInt64BE(BigInt(decoded.header.firstRaftIndex), 8);
  header.writeInt32BE(decoded.header.prevTerm, 16);
  if (version === 2) header.writeInt32BE(decoded.header.term ?? -1, 20);
  header.writeUInt32BE(crc32c(header, 0, header.length - 4), header.length - 4);
  writeFileSync(path, Buffer.concat([header, decoded.entries]));
}

for (const version of [1, 2] as const)
  test(`issue 12: sidecars written before the Raft-only count (version ${version}) are rebuilt by a header walk and rewritten once`, async (t) => {
    const dir = tempDir(t);
    const config = smallConfig({ segmentBytes: 1024 });
    const log = PartitionLog.open(dir, config);
    fill(log);
    await log.close();
    const sidecars = readdirSync(dir)
      .filter((n) => n.endsWith('.raft'))
      .sort();
    const terms = new Map<string, number | undefined>();
    for (const name of sidecars) {
      const decoded = decodeRaftSidecar(readFileSync(join(dir, name)));
      assert.ok(typeof decoded !== 'string');
      terms.set(name, decoded.header.term);
      downgradeSidecar(join(dir, name), version);
    }
    const again = PartitionLog.open(dir, config);
    assert.deepEqual(kafkaBases(again), EXPECTED_BASES);
    await again.close();
    for (const name of sidecars) {
      const decoded = decodeRaftSidecar(readFileSync(join(dir, name)));
      assert.ok(typeof decoded !== 'string');
      assert.equal(decoded.headerBytes, 36, `${name} is version 3 now`);
      if (version === 2) assert.equal(decoded.header.term, terms.get(name), `${name} keeps its term`);
      assert.notEqual(decoded.raftOnly, null, `${name} has its trailer`);
    }
    const third = PartitionLog.open(dir, config);
    assert.deepEqual(kafkaBases(third), EXPECTED_BASES);
    await third.close();
  });

test('issue 12: a clean reopen reads the Kafka offsets from the sidecars, not the segments (the open cost of a restart stays)', async (t) => {
  const dir = tempDir(t);
  // 64 KiB segments with a 4 KiB index interval: each sealed segment has index entries, and a
  // header walk of a whole segment would read all of it.
  const config = smallConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 4096 });
  const log = PartitionLog.open(dir, config);
  for (let term = 1; term <= 4; term++) {
    log.append(raftOnly(), term);
    for (let i = 0; i < 200; i++) log.append(makeBatch(i, 2, 200), term);
  }
  const expected = kafkaBases(log);
  await log.close();
  assert.ok(readdirSync(dir).filter((n) => n.endsWith('.log')).length >= 4, 'several segments');
  const counting = countingFs();
  setStorageFs(counting.fs);
  let again: PartitionLog;
  try {
    again = PartitionLog.open(dir, config);
  } finally {
    setStorageFs(nodeFs);
  }
  // Per segment: its first header and the tail after its last index entry, in 4 KiB windows.
  const segments = again.segmentCount;
  assert.ok(counting.logBytesRead() <= segments * 3 * 4096, `read ${counting.logBytesRead()} bytes of ${segments} segments`);
  assert.deepEqual(kafkaBases(again), expected);
  await again.close();
});

// Loading the idempotent-producer state (KIP-98) at open without stalling the event loop, from the
// last producer snapshot and the log after it (issue 9, "Everything that grows is bounded":
// producer state).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_HEADER_BYTES, buildRecordBatch, readBatchHeader } from '../../../src/protocol/record-batch.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { SNAPSHOTS_KEPT } from '../../../src/storage/snapshot-files.ts';
import type { Log } from '../../../src/storage/log.ts';
import { Partition } from '../../../src/partition/partition.ts';
import { LoadQueue } from '../../../src/partition/load-queue.ts';
import { ProducerStateTable, type SequenceCheck } from '../../../src/partition/producer-state.ts';
import { decodeProducerSnapshot } from '../../../src/partition/producer-snapshot.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';
import { MemoryLogger, countingFs, smallConfig, tempDir } from '../storage/helpers.ts';
import { nodeFs, setStorageFs } from '../../../src/storage/fs.ts';

/** Counts the bytes `read` returns and `readHeaders` reads, which is what loading producer state costs. */
function counting(log: Log): { log: Log; bytes: () => number } {
  let bytes = 0;
  const wrapped = new Proxy(log, {
    get(target, prop) {
      if (prop === 'read') {
        return (offset: number, maxBytes: number, maxOffsetExclusive: number) => {
          const r = target.read(offset, maxBytes, maxOffsetExclusive);
          bytes += r.records.length;
          return r;
        };
      }
      if (prop === 'readHeaders') {
        return (offset: number, maxBytes: number, maxOffsetExclusive: number) => {
          const r = target.readHeaders(offset, maxBytes, maxOffsetExclusive);
          bytes += r.bytesRead;
          return r;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { log: wrapped, bytes: () => bytes };
}

function idempotent(producerId: number, baseSequence: number, records: number, valueBytes = 200): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({ value: Buffer.alloc(valueBytes, 0x61 + i), timestamp: 1_700_000_000_000 + baseSequence + i })),
    producerId,
    producerEpoch: 0,
    baseSequence,
  });
}

test('issue 9 producer state: opening a partition reads no more than one chunk of its log before the event loop runs again', (t) => {
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 64 * 1024, flush: { mode: 'none', intervalMs: 1000 } });
  const log = PartitionLog.open(dir, config);
  let seq = 0;
  // About 2 MiB of idempotent batches from four producers.
  for (let i = 0; i < 2600; i++) {
    const batch = idempotent(1 + (i % 4), seq, 4);
    if (i % 4 === 3) seq += 4;
    log.append(batch, 0);
  }
  assert.ok(log.sizeBytes > 2 * 1024 * 1024, `the log holds ${log.sizeBytes} bytes`);
  const counted = counting(log);
  new Partition('t', 0, counted.log, 'none');
  // 1 MiB is the load chunk: one turn of the event loop may read that much, not the whole log.
  assert.ok(counted.bytes() <= 1024 * 1024, `the constructor read ${counted.bytes()} bytes of the log synchronously`);
});

// ---------------------------------------------------------------- helpers for the tests below

const cfg = (segmentBytes: number, retentionMs = -1) => smallConfig({ segmentBytes, retentionMs, flush: { mode: 'none', intervalMs: 1000 } });

function batchOf(producerId: number, producerEpoch: number, baseSequence: number, records: number, timestamp: number): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: records }, (_, i) => ({ value: `p${producerId}-e${producerEpoch}-s${baseSequence + i}`, timestamp: timestamp + i })),
    producerId,
    producerEpoch,
    baseSequence,
  });
}

/** The oracle: a fresh table fed every producer batch from the log start to the end. */
function scan(log: Log): ProducerStateTable {
  const table = new ProducerStateTable();
  let offset = log.logStartOffset;
  // Each read returns at least one batch while offset < end.
  while (offset < log.logEndOffset) {
    const { records, nextOffset } = log.read(offset, 1 << 20, log.logEndOffset);
    for (let at = 0; at < records.length; ) {
      const h = readBatchHeader(records, at);
      if (h.producerId >= 0 && h.baseOffset + h.lastOffsetDelta >= offset) table.record(h, h.baseOffset);
      at += 12 + h.batchLength;
    }
    offset = nextOffset;
  }
  return table;
}

const PIDS = [1, 2, 3, 4, 5, 6];

function stateOf(source: { producerEntry(pid: number): unknown } | ProducerStateTable): unknown[] {
  return PIDS.map((pid) => (source instanceof ProducerStateTable ? source.entry(pid) : source.producerEntry(pid)) ?? null);
}

async function open(
  dir: string,
  segmentBytes: number,
  logger?: MemoryLogger,
  retentionMs = -1,
): Promise<{ log: PartitionLog; partition: Partition; bytesRead: () => number }> {
  const log = PartitionLog.open(dir, cfg(segmentBytes, retentionMs), logger);
  const counted = counting(log);
  const partition = new Partition('t', 0, counted.log, 'none', { logger });
  await partition.producerState.loading;
  return { log, partition, bytesRead: counted.bytes };
}

/** Check, then append what is new, as the produce handler does. */
function produce(partition: Partition, batch: Buffer): SequenceCheck | { kind: 'appended'; baseOffset: number } {
  const check = partition.checkProducerBatches([batch]);
  if (check.kind !== 'append') return check;
  return { kind: 'appended', baseOffset: partition.append([batch], 0).baseOffset };
}

function snapshotsIn(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.snapshot'))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}

/** Appends `count` idempotent batches round-robin over PIDS, recording them in `model` too. */
function fill(partition: Partition, model: ProducerStateTable, count: number, next: Map<number, number>, ts = { now: 1_700_000_000_000 }): void {
  for (let i = 0; i < count; i++) {
    const pid = PIDS[i % PIDS.length];
    const seq = next.get(pid) ?? 0;
    ts.now += 10;
    const batch = batchOf(pid, 0, seq, 2, ts.now);
    const r = produce(partition, batch);
    assert.equal(r.kind, 'appended');
    model.record(readBatchHeader(batch, 0), (r as { baseOffset: number }).baseOffset);
    next.set(pid, seq + 2);
  }
}

test('issue 9 producer state: a clean restart reads no log at all, the snapshot taken at close holds the state', async (t) => {
  const dir = tempDir(t);
  const first = await open(dir, 8192);
  const model = new ProducerStateTable();
  fill(first.partition, model, 300, new Map());
  await first.partition.close();
  assert.ok(snapshotsIn(dir).includes(first.log.logEndOffset), 'a snapshot at the log end was taken at close');
  const again = await open(dir, 8192);
  assert.deepEqual(stateOf(again.partition), stateOf(model));
  assert.equal(again.bytesRead(), 0, 'nothing of the log was read');
  await again.partition.close();
});

test('issue 9 producer state: after a crash the state comes from the snapshot taken at the last roll plus the batches after it', async (t) => {
  const dir = tempDir(t);
  const first = await open(dir, 8192);
  const model = new ProducerStateTable();
  fill(first.partition, model, 300, new Map());
  const rolls = snapshotsIn(dir);
  assert.ok(rolls.length > 0, 'segments rolled and left snapshots');
  const last = rolls[rolls.length - 1];
  const tailBytes = first.log.sizeBytes - statSync(join(dir, `${String(last).padStart(20, '0')}.log`)).size;
  // No close: the process "died" (the page cache keeps what was written, as after kill -9).
  const again = await open(dir, 8192);
  assert.deepEqual(stateOf(again.partition), stateOf(model));
  const activeBytes = again.log.sizeBytes - tailBytes;
  assert.ok(again.bytesRead() <= activeBytes, `read ${again.bytesRead()} bytes; the batches after the last snapshot take ${activeBytes}`);
  await again.partition.close();
});

test('issue 9 restart: without a producer snapshot the state is replayed from batch headers, not by reading the records', async (t) => {
  // The worst restart (kill -9 of a broker that wrote everything since it started: no roll, no
  // close, so no snapshot) replays each log from its start; the state needs only each batch's
  // 61-byte header (Kafka's FileLogInputStream reads headers lazily too).
  const dir = tempDir(t);
  const config = smallConfig({ segmentBytes: 16 * 1024 * 1024, indexIntervalBytes: 4096, flush: { mode: 'none', intervalMs: 1000 } });
  const first = new Partition('t', 0, PartitionLog.open(dir, config), 'none');
  await first.producerState.loading;
  const model = new ProducerStateTable();
  const batches = 96;
  const next = new Map<number, number>();
  for (let i = 0; i < batches; i++) {
    // Batches of about 64 KiB (the restart benchmark's), every other one idempotent.
    const pid = 1 + ((i / 2) % 3);
    const seq = next.get(pid) ?? 0;
    if (i % 2 === 0) next.set(pid, seq + 8);
    const batch =
      i % 2 === 0
        ? idempotent(pid, seq, 8, 8 * 1024)
        : buildRecordBatch({ records: Array.from({ length: 8 }, () => ({ value: Buffer.alloc(8 * 1024, 0x62) })) });
    const r = produce(first, batch);
    assert.equal(r.kind, 'appended');
    if (i % 2 === 0) model.record(readBatchHeader(batch, 0), (r as { baseOffset: number }).baseOffset);
  }
  await first.log.flush();
  // kill -9: never closed; no snapshot holds the state.
  for (const offset of snapshotsIn(dir)) rmSync(join(dir, `${String(offset).padStart(20, '0')}.snapshot`));
  const counting = countingFs();
  setStorageFs(counting.fs);
  try {
    const log = PartitionLog.open(dir, config);
    const atOpen = counting.logBytesRead();
    const again = new Partition('t', 0, log, 'none');
    await again.producerState.loading;
    const loadBytes = counting.logBytesRead() - atOpen;
    assert.deepEqual(stateOf(again), stateOf(model));
    // A header is read through a window of at most 4 KiB; the records are never read.
    assert.ok(loadBytes <= batches * 4096, `the load read ${loadBytes} bytes of a ${log.sizeBytes}-byte log for ${batches} batches`);
  } finally {
    setStorageFs(nodeFs);
  }
});

test('issue 9 producer state: a snapshot is written at each roll, and it holds the state as of the new segment start', async (t) => {
  const dir = tempDir(t);
  const { log, partition } = await open(dir, 4096);
  const model = new ProducerStateTable();
  fill(partition, model, 60, new Map());
  const snapshots = snapshotsIn(dir);
  assert.ok(snapshots.length >= 1 && snapshots.length <= SNAPSHOTS_KEPT, `${snapshots.length} snapshots kept`);
  for (const offset of snapshots) {
    const decoded = decodeProducerSnapshot(readFileSync(join(dir, `${String(offset).padStart(20, '0')}.snapshot`)), offset, 100);
    assert.ok(typeof decoded !== 'string', String(decoded));
    // The oracle for "as of offset": the log cut at that offset, scanned from the start.
    const cut = PartitionLog.open(tempDir(t), cfg(1 << 20));
    let at = 0;
    while (at < offset) {
      const { records, nextOffset } = log.read(at, 1 << 20, offset);
      for (let p = 0; p < records.length; ) {
        const size = 12 + records.readInt32BE(p + 8);
        cut.append(Buffer.from(records.subarray(p, p + size)), 0);
        p += size;
      }
      at = nextOffset;
    }
    assert.deepEqual(stateOf(decoded), stateOf(scan(cut)), `snapshot at ${offset}`);
    await cut.close();
  }
  await partition.close();
});

test('issue 9 producer state: restarts rebuild the same table the live partition had (seeded, with clean and unclean restarts)', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rng = new SeededRng(seed);
    const dir = tempDir(t);
    const segmentBytes = rng.int(2, 12) * 1024;
    let current = await open(dir, segmentBytes);
    const model = new ProducerStateTable();
    const producers = new Map<number, { epoch: number; next: number; sent: Buffer[] }>();
    let now = 1_700_000_000_000;
    for (let step = 0; step < 400; step++) {
      const r = rng.next();
      const pid = PIDS[rng.int(0, PIDS.length - 1)];
      const p = producers.get(pid) ?? { epoch: 0, next: 0, sent: [] };
      producers.set(pid, p);
      if (r < 0.6) {
        if (rng.chance(0.05)) {
          p.epoch++;
          p.next = 0;
          p.sent = [];
        }
        const n = rng.int(1, 4);
        now += rng.int(1, 1000);
        const batch = batchOf(pid, p.epoch, p.next, n, now);
        const expected = model.checkBatches([batch]);
        const got = produce(current.partition, batch);
        assert.equal(got.kind === 'appended' ? 'append' : got.kind, expected.kind, `seed ${seed} step ${step}`);
        if (got.kind === 'appended') {
          model.record(readBatchHeader(batch, 0), got.baseOffset);
          p.next += n;
          p.sent.push(batch);
        }
      } else if (r < 0.72) {
        current.partition.append([buildRecordBatch({ records: [{ value: `plain-${step}` }] })], 0);
      } else if (r < 0.85 && p.sent.length > 0) {
        // A retry of one of the producer's recent batches: answered exactly as the model answers.
        const retry = p.sent[p.sent.length - 1 - rng.int(0, Math.min(6, p.sent.length - 1))];
        assert.deepEqual(produce(current.partition, retry), model.checkBatches([retry]), `seed ${seed} step ${step}: retry`);
      } else if (r < 0.9) {
        await current.partition.close();
        current = await open(dir, segmentBytes);
        assert.deepEqual(stateOf(current.partition), stateOf(model), `seed ${seed} step ${step}: after a clean restart`);
      } else if (r < 0.95) {
        current = await open(dir, segmentBytes);
        assert.deepEqual(stateOf(current.partition), stateOf(model), `seed ${seed} step ${step}: after a crash`);
      }
    }
    // Without any snapshot the whole log is replayed, and the answer is the same.
    for (const offset of snapshotsIn(dir)) rmSync(join(dir, `${String(offset).padStart(20, '0')}.snapshot`));
    current = await open(dir, segmentBytes);
    assert.deepEqual(stateOf(current.partition), stateOf(model), `seed ${seed}: full replay`);
    assert.deepEqual(stateOf(scan(current.log)), stateOf(model), `seed ${seed}: oracle scan`);
    await current.partition.close();
  }
});

test('issue 9 producer state: a truncation below a snapshot deletes it, and the state reloads from an older one', async (t) => {
  const dir = tempDir(t);
  const { log, partition } = await open(dir, 4096);
  fill(partition, new ProducerStateTable(), 200, new Map());
  const before = snapshotsIn(dir);
  assert.ok(before.length >= 2, `snapshots ${before}`);
  const newest = before[before.length - 1];
  // Raft truncate-suffix to just below the newest snapshot.
  log.truncateTo(newest - 1);
  assert.ok(!snapshotsIn(dir).includes(newest), 'the snapshot above the new end is gone');
  assert.ok(snapshotsIn(dir).every((o) => o <= log.logEndOffset));
  const reloaded = await open(dir, 4096);
  assert.deepEqual(stateOf(reloaded.partition), stateOf(scan(reloaded.log)));
  await reloaded.partition.close();
});

test('issue 9 producer state: a corrupt snapshot is ignored, logged and deleted; the previous one (or the log start) is used', async (t) => {
  const dir = tempDir(t);
  const first = await open(dir, 4096);
  const model = new ProducerStateTable();
  fill(first.partition, model, 60, new Map());
  await first.partition.close();
  const snapshots = snapshotsIn(dir);
  const newest = snapshots[snapshots.length - 1];
  const path = join(dir, `${String(newest).padStart(20, '0')}.snapshot`);
  const bytes = readFileSync(path);
  bytes[bytes.length - 3] ^= 0xff;
  writeFileSync(path, bytes);
  const logger = new MemoryLogger();
  const again = await open(dir, 4096, logger);
  assert.deepEqual(stateOf(again.partition), stateOf(model));
  assert.equal(logger.find('producer snapshot ignored').length, 1);
  assert.match(JSON.stringify(logger.find('producer snapshot ignored')[0].obj), /CRC-32C mismatch/);
  assert.ok(!snapshotsIn(dir).includes(newest));
  assert.ok(again.bytesRead() > 0, 'the batches after the older snapshot were replayed');
  await again.partition.close();

  // Every snapshot damaged (here: renamed, so the offset inside disagrees): the whole log is replayed.
  for (const offset of snapshotsIn(dir)) {
    const from = join(dir, `${String(offset).padStart(20, '0')}.snapshot`);
    const to = join(dir, `${String(offset + 1).padStart(20, '0')}.snapshot`);
    writeFileSync(to, readFileSync(from));
    rmSync(from);
  }
  const logger2 = new MemoryLogger();
  const third = await open(dir, 4096, logger2);
  assert.deepEqual(stateOf(third.partition), stateOf(model));
  assert.ok(logger2.find('producer snapshot ignored').length >= 1);
  await third.partition.close();
});

test('issue 9 producer state: a snapshot above the log end (the log lost its tail in a crash) is never used', async (t) => {
  const dir = tempDir(t);
  const first = await open(dir, 4096);
  fill(first.partition, new ProducerStateTable(), 60, new Map());
  await first.partition.close();
  const end = first.log.logEndOffset;
  assert.ok(snapshotsIn(dir).includes(end));
  // The last segment loses its last bytes (torn tail), so the log ends below the snapshot.
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
  const last = join(dir, logs[logs.length - 1]);
  truncateSync(last, statSync(last).size - 10);
  writeFileSync(join(dir, 'partition.checkpoint'), JSON.stringify({ version: 1, logStartOffset: 0, recoveryPoint: 0, lastTerm: 0, cleanShutdown: false }));
  const again = await open(dir, 4096);
  assert.ok(again.log.logEndOffset < end);
  assert.ok(!snapshotsIn(dir).includes(end), 'deleted at open');
  assert.deepEqual(stateOf(again.partition), stateOf(scan(again.log)));
  await again.partition.close();
});

test('issue 9 producer state: loading yields to the event loop after at most a chunk of bytes (counted, not timed)', async () => {
  const log = new MemoryLog();
  const batches = 3000;
  for (let i = 0; i < batches; i++) log.append(batchOf(PIDS[i % 6], 0, Math.floor(i / 6) * 3, 3, 1_000 + i), 0);
  const counted = counting(log);
  // A memory log charges a batch its header's bytes (what replay reads).
  const perBatch = BATCH_HEADER_BYTES;
  const chunkBytes = 4 * 1024;
  const turns: number[] = [];
  const queue = new LoadQueue({
    chunkBytes,
    schedule: (run) =>
      setImmediate(() => {
        const before = counted.bytes();
        run();
        turns.push(counted.bytes() - before);
      }),
  });
  const partition = new Partition('t', 0, counted.log, 'none', { loadQueue: queue });
  assert.equal(counted.bytes(), 0, 'nothing is read in the constructor');
  assert.notEqual(partition.producerState.loading, null);
  await partition.producerState.loading;
  assert.equal(counted.bytes(), batches * perBatch, 'every batch header was replayed once');
  assert.ok(turns.length >= Math.floor((batches * perBatch) / (chunkBytes + perBatch)), `${turns.length} turns`);
  assert.ok(Math.max(...turns) <= chunkBytes + perBatch, `largest turn read ${Math.max(...turns)} bytes`);
  assert.deepEqual(stateOf(partition), stateOf(scan(log)));
});

test('issue 9 producer state: while it loads, idempotent batches are refused with a retriable error and others go through; batches appended meanwhile count once', async () => {
  const log = new MemoryLog();
  const model = new ProducerStateTable();
  const seed = new Partition('t', 0, log, 'none');
  fill(seed, model, 30, new Map());
  let release: (() => void) | null = null;
  const queue = new LoadQueue({ schedule: (run) => (release = run) });
  const partition = new Partition('t', 0, log, 'none', { loadQueue: queue });
  assert.notEqual(partition.producerState.loading, null);
  const retry = batchOf(1, 0, 0, 2, 1);
  const check = partition.checkProducerBatches([retry]);
  assert.equal(check.kind === 'error' && check.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(produce(partition, buildRecordBatch({ records: [{ value: 'plain' }] })).kind, 'appended');
  // A follower's replicated batch arrives while loading (appended without a check): the load reads it.
  const replicated = batchOf(2, 0, 10, 2, 5);
  const at = partition.append([replicated], 0).baseOffset;
  model.record(readBatchHeader(replicated, 0), at);
  release!();
  await partition.producerState.loading;
  assert.deepEqual(stateOf(partition), stateOf(model));
  assert.deepEqual(produce(partition, retry), model.checkBatches([retry]));
  assert.equal((produce(partition, retry) as SequenceCheck).kind, 'duplicate');
});

test('issue 9 producer state: producers idle for producer_id_expiration_ms are forgotten (Kafka producer.id.expiration.ms)', async () => {
  const partition = new Partition('t', 0, new MemoryLog(), 'none', { limits: { producersMax: 100, expirationMs: 60_000 } });
  produce(partition, batchOf(1, 0, 0, 1, 1_000_000));
  produce(partition, batchOf(2, 0, 0, 1, 1_050_000));
  assert.equal(partition.producerState.expire(1_059_999), 0);
  assert.equal(partition.producerState.expire(1_060_000), 1, 'producer 1 is 60 s idle');
  assert.equal(partition.producerEntry(1), undefined);
  assert.ok(partition.producerEntry(2));
  // Forgotten means unknown: it may start anywhere again, as after retention in Kafka.
  assert.equal(produce(partition, batchOf(1, 0, 77, 1, 1_070_000)).kind, 'appended');
});

test('issue 9 producer state: retention deletes snapshots below the log start; producers of deleted segments are still known', async (t) => {
  const dir = tempDir(t);
  const { log, partition } = await open(dir, 4096, undefined, 3_600_000);
  const model = new ProducerStateTable();
  const next = new Map<number, number>();
  fill(partition, model, 100, next);
  // Producer 9 writes only into the early segments.
  const early = batchOf(9, 0, 0, 1, 1_700_000_000_000);
  model.record(readBatchHeader(early, 0), (produce(partition, early) as { baseOffset: number }).baseOffset);
  fill(partition, model, 200, next);
  // Every batch is from 2023: an hour of retention deletes every segment but the active one.
  const deleted = log.applyRetention(1_800_000_000_000, log.logEndOffset);
  assert.ok(deleted.deletedSegments > 0);
  assert.ok(
    snapshotsIn(dir).every((o) => o >= log.logStartOffset),
    `snapshots ${snapshotsIn(dir)} start ${log.logStartOffset}`,
  );
  await partition.close();
  const again = await open(dir, 4096);
  assert.deepEqual(again.partition.producerEntry(9), model.entry(9), 'the snapshot remembers what retention deleted');
  assert.deepEqual(stateOf(again.partition), stateOf(model));
  await again.partition.close();
});

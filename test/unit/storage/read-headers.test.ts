// Log.readHeaders (issue 9 restart: producer state replays batch headers without the records):
// for any offset, byte budget and end bound it returns the headers of exactly the batches read()
// would return from there, in order, on the file log (across segments) and the memory log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readBatchHeader, type BatchHeader } from '../../../src/protocol/record-batch.ts';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { MemoryLog } from '../../../src/storage/memory-log.ts';
import { OffsetOutOfRangeError } from '../../../src/storage/errors.ts';
import type { Log } from '../../../src/storage/log.ts';
import { SeededRng } from '../../helpers/seeded-rng.ts';
import { makeBatch, smallConfig, tempDir } from './helpers.ts';

/** The oracle: headers of the whole batches read() returns from `offset` up to `end`. */
function headersByRead(log: Log, offset: number, end: number): BatchHeader[] {
  const out: BatchHeader[] = [];
  let at = offset;
  // Each read returns at least one batch while at < the bound.
  while (at < Math.min(end, log.logEndOffset)) {
    const { records, nextOffset } = log.read(at, 1 << 20, end);
    if (records.length === 0) break;
    for (let p = 0; p < records.length; p += 12 + records.readInt32BE(p + 8)) out.push(readBatchHeader(records, p));
    at = nextOffset;
  }
  return out;
}

/** Every header from `offset` to `end` by readHeaders with the given budget per call. */
function headersByReadHeaders(log: Log, offset: number, end: number, budget: number): BatchHeader[] {
  const out: BatchHeader[] = [];
  let at = offset;
  for (let calls = 0; at < Math.min(end, log.logEndOffset); calls++) {
    assert.ok(calls < 100_000);
    const r = log.readHeaders(at, budget, end);
    if (r.headers.length === 0) break;
    assert.ok(r.nextOffset > at);
    out.push(...r.headers);
    at = r.nextOffset;
  }
  return out;
}

test('issue 9 restart: readHeaders returns the headers of the batches read() returns, for any start, budget and bound', async (t) => {
  const rng = new SeededRng(9);
  const file = PartitionLog.open(tempDir(t), smallConfig({ segmentBytes: 8 * 1024, indexIntervalBytes: 512 }));
  const memory = new MemoryLog();
  for (let i = 0; i < 300; i++) {
    const batch = makeBatch(i, rng.int(1, 5), rng.int(10, 3000));
    file.append(Buffer.from(batch), 1);
    memory.append(Buffer.from(batch), 1);
  }
  assert.ok(file.segmentCount > 5, `${file.segmentCount} segments`);
  for (const log of [file, memory] as Log[]) {
    for (let round = 0; round < 30; round++) {
      const offset = rng.int(log.logStartOffset, log.logEndOffset);
      const end = rng.chance(0.5) ? log.logEndOffset : rng.int(offset, log.logEndOffset);
      const budget = rng.int(0, 20_000);
      assert.deepEqual(headersByReadHeaders(log, offset, end, budget), headersByRead(log, offset, end), `offset ${offset} end ${end} budget ${budget}`);
    }
    assert.throws(() => log.readHeaders(log.logEndOffset + 1, 100, Infinity), OffsetOutOfRangeError);
    assert.deepEqual(log.readHeaders(log.logEndOffset, 100, Infinity).headers, []);
  }
  await file.close();
});

// A full disk (Standards: "bad input never crashes a broker and never loses data"): on a tiny
// tmpfs, produce until the disk is full. Appends then fail with KAFKA_STORAGE_ERROR, logged once
// rather than once per batch; a topic that cannot be saved is refused the same way; everything
// acknowledged before stays readable; and once space returns, produce works again.
// Mounting needs root (CAP_SYS_ADMIN); without it the test says so and skips.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../helpers/broker-process.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { buildRecordBatch, decodeBatches } from '../../src/protocol/record-batch.ts';

const KAFKA_STORAGE_ERROR = 56;

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`;
  }
}

test('a full disk answers KAFKA_STORAGE_ERROR, loses nothing acknowledged, and recovers when space returns', async (t) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'runnel-full-'));
  const problem = tryMount(mountPoint);
  if (problem !== null) {
    rmSync(mountPoint, { recursive: true, force: true });
    t.skip(problem);
    return;
  }
  const dataDir = join(mountPoint, 'data');
  const filler = join(mountPoint, 'filler');
  // Space we can give back later, to show the broker recovers without a restart.
  writeFileSync(filler, Buffer.alloc(512 * 1024, 1));
  const broker = await startBroker({ dataDir, env: { RUNNEL_SEGMENT_SIZE: '8MiB' } });
  const client = await RawClient.connect({ port: broker.port });
  try {
    await client.createTopics([{ name: 'fill', numPartitions: 1 }]);
    const value = Buffer.alloc(100 * 1024, 7);
    const acked: number[] = [];
    let storageErrors = 0;
    // Bounded: 4 MiB fill up after at most ~40 batches of 100 KiB.
    for (let i = 0; i < 80 && storageErrors < 5; i++) {
      const batch = buildRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value, headers: [], timestamp: 1000 + i }] });
      const res = await client.produce('fill', 0, batch, -1);
      if (res.errorCode === 0) acked.push(res.baseOffset);
      else {
        assert.equal(res.errorCode, KAFKA_STORAGE_ERROR);
        storageErrors++;
      }
    }
    assert.ok(acked.length > 0, 'some batches fit before the disk filled');
    assert.equal(storageErrors, 5, 'the disk filled and appends were refused');
    const failureLines = broker.jsonLogs().filter((l) => l.msg === 'append failed');
    assert.equal(failureLines.length, 1, 'the failure is logged once, not once per batch');

    // A new topic cannot be saved either: a storage error, not a dropped connection.
    const meta = await client.metadata(['fresh'], true);
    const fresh = meta.topics.find((x: { name: string }) => x.name === 'fresh');
    assert.ok([0, KAFKA_STORAGE_ERROR].includes(fresh.errorCode), `auto-create answered ${fresh.errorCode}`);

    // Everything acknowledged is intact.
    const read = await client.fetch('fill', 0, 0, { maxWaitMs: 0, maxBytes: 64 << 20, partitionMaxBytes: 64 << 20 });
    const offsets = decodeBatches(read.records!).flatMap((b) => b.records.map((r) => r.offset));
    assert.deepEqual(offsets, acked);

    // Space comes back: the next produce succeeds and follows the acknowledged ones.
    unlinkSync(filler);
    const after = await client.produce('fill', 0, buildRecordBatch({ records: [{ key: null, value: Buffer.from('back'), headers: [], timestamp: 5000 }] }), -1);
    assert.equal(after.errorCode, 0);
    assert.equal(after.baseOffset, acked[acked.length - 1] + 1);
    assert.ok(broker.alive());
  } finally {
    client.close();
    await broker.stop();
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } finally {
      rmSync(mountPoint, { recursive: true, force: true });
    }
  }
});

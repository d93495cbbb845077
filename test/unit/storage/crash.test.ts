import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PartitionLog } from '../../../src/storage/partition-log.ts';
import { logConfig } from '../../../src/storage/log-config.ts';
import { decodeBatches } from '../../../src/protocol/record-batch.ts';
import { tempDir } from './helpers.ts';

const writer = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'crash-writer.mts');

/** Runs the writer until it has acknowledged `ackedMin` batches, then SIGKILLs it. */
function runAndKill(dir: string, ackedMin: number): Promise<{ base: number; last: number; n: number }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: { base: number; last: number; n: number }[] = [];
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' || line === '') continue;
        const [base, last, n] = line.split(' ').map(Number);
        acked.push({ base, last, n });
      }
      if (!killed && acked.length >= ackedMin) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

// Crash consistency after kill -9: a batch whose flush() resolved reads back intact and the torn
// tail is cut. kill -9 keeps the page cache, so this cannot prove the fsync behind flush(); the
// power-loss tests (power-loss.test.ts, the power-loss file system) do that.
test('kill -9 while appending: every flushed batch reads back intact, offsets stay dense', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const config = logConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 1024, retentionMs: -1 });
  let expectedBatches = 0;
  for (let round = 0; round < 3; round++) {
    const acked = await runAndKill(dir, 300 + round * 200);
    assert.ok(acked.length >= 300);
    const log = PartitionLog.open(dir, config);
    const byOffset = new Map<number, { records: { key: string; value: string; timestamp: number }[] }>();
    let offset = log.logStartOffset;
    for (let guard = 0; offset < log.logEndOffset && guard < 100_000; guard++) {
      const { records, nextOffset } = log.read(offset, 64 * 1024, log.logEndOffset);
      for (const b of decodeBatches(records)) {
        byOffset.set(b.header.baseOffset, {
          records: b.records.map((r) => ({ key: r.key!.toString(), value: r.value!.toString(), timestamp: r.timestamp })),
        });
        // Offsets are dense: each batch starts where the last ended.
        assert.equal(b.header.baseOffset, offset);
        offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      }
      assert.equal(offset, nextOffset);
    }
    for (const a of acked) {
      const batch = byOffset.get(a.base);
      assert.ok(batch, `acknowledged batch at ${a.base} (round ${round}) survived`);
      assert.equal(batch.records.length, a.last - a.base + 1);
      assert.equal(batch.records[0].key, `key-${a.n}-0`);
      assert.equal(batch.records[0].value, `value-${a.n}-0-${'v'.repeat(a.n % 50)}`);
      assert.equal(batch.records[0].timestamp, 1_650_000_000_000 + a.n);
    }
    assert.ok(byOffset.size >= expectedBatches);
    expectedBatches = byOffset.size;
    await log.close();
  }
});

// Self-tests of the harness pieces that other tests trust: the independent CRC-32C and
// RecordBatch codec in bench/lib, the histogram, and the broker process helper's
// promise to leave no process behind. If these were wrong, the broker tests could pass
// or fail for the wrong reasons.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../bench/lib/crc32c.ts';
import { buildBatch, decodeBatches, countRecords, CRC_OFFSET } from '../../bench/lib/record-batch.ts';
import { Histogram } from '../../src/client/histogram.ts';
import { buildRecordBatch, decodeRecords } from '../../src/protocol/record-batch.ts';
import { freePort, freePorts, procStatusKb, startBroker } from '../helpers/broker-process.ts';
import { forEachConcurrently } from '../helpers/concurrency.ts';

test('CRC-32C matches the standard check value and RFC 3720 vectors', () => {
  // The "check" value of CRC-32C is the CRC of the ASCII string 123456789.
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  // RFC 3720 B.4: 32 bytes of zeros, and 32 bytes of 0xff.
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
});

test('forEachConcurrently runs every item, never more than its limit at once, and after a failure starts nothing new but waits for the running ones', async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  const step = async (i: number): Promise<void> => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    done.push(i);
  };
  await forEachConcurrently([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, step);
  assert.deepEqual(
    [...done].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(most, 3, 'three at a time, as asked');

  const started: number[] = [];
  let item0Finished = false;
  await assert.rejects(
    forEachConcurrently([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      if (i === 1) throw new Error('item 1 failed');
      await new Promise((r) => setTimeout(r, 20));
      if (i === 0) item0Finished = true;
    }),
    /item 1 failed/,
  );
  assert.deepEqual(started, [0, 1], 'nothing starts after the failure');
  assert.ok(item0Finished, 'item 0, running when 1 failed, finished before the failure was thrown');
});

test('harness RecordBatch round-trips keys, values, null fields, headers and timestamps', () => {
  const ts = 1_700_000_000_000;
  const input = [
    { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [{ key: 'a', value: Buffer.from('1') }], timestamp: ts },
    { key: null, value: Buffer.alloc(300, 9), headers: [], timestamp: ts + 5 },
    { key: Buffer.alloc(0), value: null, headers: [{ key: 'n', value: null }], timestamp: ts - 3 },
  ];
  const batch = buildBatch(input, { baseOffset: 42 });
  const [b] = decodeBatches(batch);
  assert.ok(b.crcValid);
  assert.equal(b.baseOffset, 42);
  assert.equal(b.lastOffset, 44);
  assert.equal(b.baseTimestamp, ts - 3);
  assert.equal(b.maxTimestamp, ts + 5);
  assert.deepEqual(
    b.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
    input.map((r, i) => [42 + i, r.timestamp, r.key, r.value, r.headers]),
  );
  assert.deepEqual(countRecords(batch), { records: 3, lastOffset: 44, bytes: batch.length });
  const corrupt = Buffer.from(batch);
  corrupt[corrupt.length - 1] ^= 1;
  assert.equal(decodeBatches(corrupt)[0].crcValid, false);
  assert.equal(corrupt.readUInt32BE(CRC_OFFSET), batch.readUInt32BE(CRC_OFFSET));
});

test('harness and broker codecs agree on RecordBatch bytes in both directions', () => {
  // Two independent readings of the spec: each must decode what the other builds.
  const ts = 1_700_000_000_000;
  const ours = buildBatch([
    { key: Buffer.from('key'), value: Buffer.from('value'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: ts },
    { key: null, value: Buffer.from('second'), headers: [], timestamp: ts + 1 },
  ]);
  const theirs = decodeRecords(ours) as Array<{ key: Buffer | null; value: Buffer | null; timestamp: number }>;
  assert.equal(theirs.length, 2);
  assert.equal(theirs[0].key?.toString(), 'key');
  assert.equal(theirs[1].value?.toString(), 'second');
  assert.equal(Number(theirs[1].timestamp), ts + 1);

  const built = buildRecordBatch({
    records: [{ key: Buffer.from('a'), value: Buffer.from('b'), headers: [{ key: 'k', value: Buffer.from('v') }], timestamp: ts }],
  } as never);
  const [b] = decodeBatches(built);
  assert.ok(b.crcValid, 'the broker codec writes a CRC our implementation accepts');
  assert.equal(b.records[0].key?.toString(), 'a');
  assert.equal(b.records[0].value?.toString(), 'b');
  assert.deepEqual(
    b.records[0].headers.map((h) => [h.key, h.value?.toString()]),
    [['k', 'v']],
  );
  assert.equal(b.records[0].timestamp, ts);
});

test('histogram percentiles are within one bucket of the truth', () => {
  const h = new Histogram();
  for (let i = 1; i <= 10_000; i++) h.record(i); // 1 µs .. 10 ms, uniform
  for (const [p, truth] of [
    [50, 5_000],
    [99, 9_900],
    [99.9, 9_990],
  ] as const) {
    const got = h.percentile(p);
    assert.ok(got >= truth && got <= truth * 1.05, `p${p}: ${got} vs ${truth}`);
  }
  assert.equal(h.count, 10_000);
  assert.equal(h.max, 10_000);
  const w = new Histogram();
  w.record(100, 99);
  w.record(50_000, 1);
  assert.ok(w.percentile(99) <= 100 * 1.05);
  assert.equal(w.percentile(100), 50_000);
});

test('freePort gives a bindable port and /proc status reads work for this process', async () => {
  const port = await freePort();
  assert.ok(port > 1024 && port < 65536);
  assert.ok(procStatusKb(process.pid, 'VmRSS') > 0);
  assert.ok(procStatusKb(process.pid, 'VmHWM') > 0);
});

test('freePorts gives distinct ports, held together so the kernel cannot repeat one', async () => {
  const ports = await freePorts(8);
  assert.equal(new Set(ports).size, 8);
  for (const port of ports) assert.ok(port > 1024 && port < 65536);
});

test('every broker gets its own HTTP port, passed as RUNNEL_HTTP__PORT and kept across restarts', async () => {
  const [a, b] = await Promise.all([startBroker(), startBroker()]);
  try {
    assert.equal(new Set([a.port, a.httpPort, b.port, b.httpPort]).size, 4, 'no two ports of two brokers are the same');
    const before = a.httpPort;
    await a.restart();
    assert.equal(a.httpPort, before);
    const loaded = a.jsonLogs().find((l) => l.msg === 'config loaded') as { envOverrides?: string[] } | undefined;
    assert.ok(loaded?.envOverrides?.includes('RUNNEL_HTTP__PORT'), 'the broker read its HTTP port from the environment');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a broker does not outlive a SIGKILLed test process (the watchdog kills it)', async () => {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const fixture = new URL('../helpers/fixtures/start-and-hang.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The SIGKILLed fixture cannot remove its broker's data dir; we do.
  let tempDir = '';
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`fixture printed nothing in 30 s: ${out}`)), 30_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${out}`)));
    });
    const { pid, dataDir } = JSON.parse(line) as { pid: number; dataDir: string };
    tempDir = dataDir;
    assert.ok(existsSync(`/proc/${pid}`), 'the broker runs');
    child.kill('SIGKILL');
    // The watchdog polls once a second; allow a bounded ten seconds.
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const stat = existsSync(`/proc/${pid}/stat`) ? (await import('node:fs')).readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      // A killed child may linger as a zombie until its parent (gone) is reaped by init.
      gone = stat === '' || /\) Z /.test(stat);
    }
    assert.ok(gone, `broker ${pid} still running 10 s after its test process was SIGKILLed`);
  } finally {
    child.kill('SIGKILL');
    if (tempDir.startsWith('/tmp/runnel-test-')) (await import('node:fs')).rmSync(tempDir, { recursive: true, force: true });
  }
});

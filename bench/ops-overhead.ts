// `npm run bench -- ops-overhead [--records N] [--rounds K] [--size BYTES] [--surface dashboard,tail,metrics] [--kcat-batch N]`: what the whole
// operations surface costs the data path (issue 14 "Performance": produce throughput with the
// dashboard open, a tail client attached and /metrics scraped every second, against without;
// goal under 5 %). One broker process; kcat (/usr/bin/kcat -P, acks=all) produces N records
// of BYTES each from a file, in rounds alternating WITHOUT and WITH the surface in use:
// headless Chromium (playwright-core) with the dashboard at http://127.0.0.1:<http>/ open (it
// reads the admin API and /metrics every second and follows the broker log), one WebSocket
// tail (ws) on the topic, and a GET /metrics every second from here. Each round reports kcat's
// records/s and the broker's CPU-seconds per million records (/proc/<pid>/stat), so load from
// elsewhere on the machine hits both alike; Chromium and the tail client share the 2 cores
// with kcat, so the broker's CPU per record is the cleaner figure. --surface picks a subset of
// the three, to tell which part costs what; --kcat-batch caps kcat's records per batch
// (batch.num.messages, librdkafka's default 10,000), to see what the batch size does to a tail.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RawClient } from './lib/raw-client.ts';
import { cpuSeconds, loadAverage } from './lib/proc.ts';
import { startBroker } from '../test/helpers/broker-process.ts';
import { connectWebSocket, type WsClient } from '../src/cli/runnel/ws-client.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '100' },
    surface: { type: 'string', default: 'dashboard,tail,metrics' },
    'kcat-batch': { type: 'string' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const size = Number(values.size);
const surface = new Set(values.surface.split(','));
for (const part of surface)
  if (!['dashboard', 'tail', 'metrics'].includes(part)) throw new Error(`--surface: unknown part "${part}" (dashboard, tail, metrics)`);
const PARTITIONS = 4;
const TOPIC = 'ops-bench';
const KCAT = '/usr/bin/kcat';
const CHROMIUM = '/usr/bin/chromium';
const SCRAPE_INTERVAL_MS = 1000;
/** A kcat run taking longer than this is killed (the benchmark fails); the tail gets as long to catch up after it. */
const ROUND_TIMEOUT_MS = 600_000;

interface Round {
  withOps: boolean;
  recordsPerSecond: number;
  brokerCpuPerMillion: number;
  tailReceived: number;
  tailDropped: number;
  scrapes: number;
}

/** Produces every line of `file` as one record with kcat and resolves with the wall-clock seconds it took. */
function kcatProduce(bootstrap: string, file: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const batching = values['kcat-batch'] === undefined ? [] : ['-X', `batch.num.messages=${Number(values['kcat-batch'])}`];
    const child = spawn(KCAT, ['-P', '-b', bootstrap, '-t', TOPIC, '-X', 'acks=all', ...batching, '-l', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ROUND_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // kcat reports failed deliveries on stderr (and exits non-zero); a round with any is not a measurement.
      if (code !== 0 || stderr.includes('ERROR')) reject(new Error(`kcat exited ${code ?? signal}: ${stderr.trim()}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e9);
    });
  });
}

/** The operations surface in use: the dashboard page, one tail, and a scrape every second. */
async function attachOps(browser: Browser | undefined, httpPort: number, counts: { received: number; dropped: number; scrapes: number }) {
  let page: Page | undefined;
  if (browser) {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    // Live: the broker shows up and the log pane has switched from the ring to the live stream.
    await page.waitForFunction(() => document.querySelectorAll('#brokers tr[data-health="up"]').length === 1, null, { timeout: 30_000 });
    await page.waitForFunction(() => document.getElementById('logs')?.textContent?.includes('-- live'), null, { timeout: 30_000 });
  }
  const tail: WsClient | undefined = !surface.has('tail')
    ? undefined
    : await connectWebSocket(`ws://127.0.0.1:${httpPort}/v1/ws/topics/${TOPIC}`, (data) => {
        const message = JSON.parse(data.toString('utf8')) as { type: string; count?: number };
        if (message.type === 'record') counts.received++;
        else if (message.type === 'dropped') counts.dropped += message.count ?? 0;
      });
  const scraper = setInterval(() => {
    if (!surface.has('metrics')) return;
    fetch(`http://127.0.0.1:${httpPort}/metrics`)
      .then((res) => res.text())
      .then(() => counts.scrapes++)
      .catch((err: Error) => console.error(`scrape failed: ${err.message}`));
  }, SCRAPE_INTERVAL_MS);
  return async () => {
    clearInterval(scraper);
    tail?.close();
    await page?.close();
  };
}

console.log(`load average before: ${loadAverage()}`);
const dir = mkdtempSync(join(tmpdir(), 'runnel-ops-bench-'));
const file = join(dir, 'records.txt');
// One line per record: `size` bytes of value, then the newline kcat -l splits on.
const line = Buffer.from(`${'x'.repeat(size)}\n`);
writeFileSync(file, Buffer.concat(Array.from({ length: records }, () => line)));

const broker = await startBroker();
let browser: Browser | undefined;
try {
  const client = await RawClient.connect({ port: broker.port });
  await client.createTopics([{ name: TOPIC, numPartitions: PARTITIONS }], { waitForLeaders: true });
  client.close();
  // Chromium is started once, before any round, and only has a page open in the WITH rounds.
  if (surface.has('dashboard')) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 30_000 });
  const results: Round[] = [];
  // Round -1 warms the broker's JIT (with the surface, so its code is warm too) and is not counted.
  for (let round = -1; round < rounds * 2; round++) {
    const withOps = round === -1 || round % 2 === 1;
    const counts = { received: 0, dropped: 0, scrapes: 0 };
    const detach = withOps ? await attachOps(browser, broker.httpPort, counts) : undefined;
    const cpuBefore = cpuSeconds(broker.pid);
    const seconds = await kcatProduce(broker.bootstrap, file);
    // The tail finishes sending what was committed before the CPU is read.
    const deadline = Date.now() + ROUND_TIMEOUT_MS;
    while (withOps && surface.has('tail') && counts.received + counts.dropped < records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const cpu = cpuSeconds(broker.pid) - cpuBefore;
    await detach?.();
    if (round < 0) continue;
    const r: Round = {
      withOps,
      recordsPerSecond: records / seconds,
      brokerCpuPerMillion: (cpu / records) * 1_000_000,
      tailReceived: counts.received,
      tailDropped: counts.dropped,
      scrapes: counts.scrapes,
    };
    results.push(r);
    console.log(
      `round ${round + 1}: ${withOps ? 'with   ' : 'without'}  ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} records/s  ` +
        `broker CPU ${r.brokerCpuPerMillion.toFixed(2)} s per 1M records` +
        (withOps && surface.has('tail') ? `  tail got ${r.tailReceived.toLocaleString('en-US')}, dropped ${r.tailDropped.toLocaleString('en-US')}` : '') +
        (withOps && surface.has('metrics') ? `  ${r.scrapes} scrape(s)` : '') +
        `  load ${loadAverage()}`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const without = results.filter((r) => !r.withOps);
  const withSurface = results.filter((r) => r.withOps);
  const rateRatio = mean(withSurface.map((r) => r.recordsPerSecond)) / mean(without.map((r) => r.recordsPerSecond));
  const cpuRatio = mean(withSurface.map((r) => r.brokerCpuPerMillion)) / mean(without.map((r) => r.brokerCpuPerMillion));
  console.log(
    `\n${records.toLocaleString('en-US')} records of ${size} B per round (kcat -P, acks=all${values['kcat-batch'] === undefined ? '' : `, batch.num.messages=${values['kcat-batch']}`}), ${PARTITIONS} partitions, ${rounds} rounds each, with = ${[...surface].join(' + ')}:` +
      `\n  records/s with/without: ${rateRatio.toFixed(3)}   broker CPU per record with/without: ${cpuRatio.toFixed(3)}`,
  );
} finally {
  await browser?.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`load average after: ${loadAverage()}`);
}

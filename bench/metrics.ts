// `npm run bench -- metrics [--partitions 1000] [--groups 20] [--scrapes 200] [--batches 4000] [--rounds 3]`
//
// Issue 14: what GET /metrics costs. Two figures, both in CPU time of this one process (broker and
// client run in it, side by side, so the load of the machine affects both alike):
// 1. one scrape of a broker hosting --partitions partitions and --groups consumer groups with
//    offsets: CPU ms per scrape and the size of the text; and what counting one Produce request
//    costs (the per-request work the data path pays);
// 2. the data path: acks=1 Produce of 100-record batches (100 B values, 16 requests in flight)
//    against a broker without metrics (http.enabled false: nothing counts), one with them, and
//    one with them scraped every second, alternated --rounds times: CPU µs per record each way.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { defaultConfig } from '../src/config/index.ts';
import { startBrokerNode, type BrokerNode } from '../src/node/broker-node.ts';
import { RawClient } from './lib/raw-client.ts';
import { apiByKey, ApiKey } from '../src/protocol/apis/index.ts';
import { buildRecordBatch } from '../src/protocol/record-batch.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const partitions = arg('partitions', 1000);
const groups = arg('groups', 20);
const scrapes = arg('scrapes', 200);
const batches = arg('batches', 4000);
const rounds = arg('rounds', 3);

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function start(name: string, http: boolean): Promise<{ node: BrokerNode; client: RawClient; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), `runnel-bench-${name}-`));
  const config = defaultConfig();
  config.data_dir = dataDir;
  config.server.host = '127.0.0.1';
  config.server.port = 0;
  config.http.enabled = http;
  config.http.host = '127.0.0.1';
  config.http.port = 0;
  config.max_topic_partitions = Math.max(config.max_topic_partitions, partitions);
  const node = await startBrokerNode(config, pino({ level: 'silent' }));
  const client = await RawClient.connect({ port: node.port, clientId: 'bench-metrics' });
  return {
    node,
    client,
    async close() {
      client.close();
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function scrapeCost(): Promise<void> {
  const b = await start('scrape', true);
  try {
    const topics = Math.max(1, Math.round(partitions / 10));
    await b.client.createTopics(
      Array.from({ length: topics }, (_, i) => ({ name: `t${i}`, numPartitions: Math.ceil(partitions / topics) })),
      { timeoutMs: 120_000 },
    );
    const batch = buildRecordBatch({ records: [{ key: 'k', value: 'v'.repeat(100) }] });
    for (let t = 0; t < topics; t++) await b.client.produce(`t${t}`, 0, batch, 1);
    const call = (name: keyof typeof ApiKey, version: number, body: unknown) => b.client.request(apiByKey.get(ApiKey[name])!, version, body);
    for (let g = 0; g < groups; g++) {
      await call('FindCoordinator', 2, { key: `g${g}`, keyType: 0 });
      await call('OffsetCommit', 7, {
        groupId: `g${g}`,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [
          {
            name: `t${g % topics}`,
            partitions: Array.from({ length: 10 }, (_, p) => ({ partitionIndex: p, committedOffset: 0, committedLeaderEpoch: -1, committedMetadata: null })),
          },
        ],
      });
    }
    const app = b.node.http!.app;
    await app.inject({ method: 'GET', url: '/metrics' });
    const load = loadavg();
    const started = cpuMs();
    let bytes = 0;
    for (let i = 0; i < scrapes; i++) bytes = (await app.inject({ method: 'GET', url: '/metrics' })).body.length;
    const perScrape = (cpuMs() - started) / scrapes;
    // What one Produce request of one batch adds to the data path: its latency observed and its topic counted.
    const counters = b.node.services.counters!;
    const calls = 1_000_000;
    const countStarted = cpuMs();
    for (let i = 0; i < calls; i++) {
      counters.request('Produce', 0.0003, false);
      counters.recordsIn('t0', 10_000, 100);
    }
    const nsPerRequest = ((cpuMs() - countStarted) * 1e6) / calls;
    console.log(`counting: ${nsPerRequest.toFixed(0)} CPU ns per Produce request (latency observed, bytes and records counted)`);
    console.log(
      `scrape: ${partitions} partitions, ${groups} groups: ${perScrape.toFixed(2)} CPU ms per scrape, ${(bytes / 1024).toFixed(0)} KiB of text (load ${load} -> ${loadavg()})`,
    );
  } finally {
    await b.close();
  }
}

/** CPU µs per record for `batches` acks=1 batches of 100 records, 16 in flight; with metrics, a scrape every second meanwhile. */
async function producePass(withMetrics: boolean, scraped: boolean): Promise<number> {
  const b = await start(withMetrics ? 'metrics' : 'plain', withMetrics);
  try {
    await b.client.createTopics([{ name: 'p', numPartitions: 1 }]);
    const batch = buildRecordBatch({ records: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })) });
    const timer = scraped ? setInterval(() => void b.node.http!.app.inject({ method: 'GET', url: '/metrics' }), 1000) : undefined;
    const started = cpuMs();
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < batches) {
        sent++;
        const r = await b.client.produce('p', 0, batch, 1);
        if (r.errorCode !== 0) throw new Error(`produce error ${r.errorCode}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const used = cpuMs() - started;
    clearInterval(timer);
    return (used * 1000) / (batches * 100);
  } finally {
    await b.close();
  }
}

await scrapeCost();
// One unmeasured pass each: the first runs of the produce path pay for the JIT.
await producePass(false, false);
await producePass(true, true);
const variants = [
  { name: 'without metrics (http.enabled false)', metrics: false, scraped: false, cpu: [] as number[] },
  { name: 'with metrics, not scraped', metrics: true, scraped: false, cpu: [] as number[] },
  { name: 'with metrics, scraped every second', metrics: true, scraped: true, cpu: [] as number[] },
];
const load = loadavg();
for (let r = 0; r < rounds; r++) for (const v of variants) v.cpu.push(await producePass(v.metrics, v.scraped));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`produce, ${batches} x 100 records acks=1, CPU µs per record (median of ${rounds}; load ${load} -> ${loadavg()}):`);
for (const v of variants) {
  const ratio = (median(v.cpu) / median(variants[0].cpu)).toFixed(3);
  console.log(`  ${v.name.padEnd(38)} ${median(v.cpu).toFixed(3)}  ratio ${ratio}  [${v.cpu.map((x) => x.toFixed(3)).join(', ')}]`);
}

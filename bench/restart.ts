// Restart benchmark (issue 9: "Restart of a broker holding 1,000 partitions and 10 GB: serving
// Metadata and Produce within 5 s").
//
//   npm run bench -- restart [--partitions 1000] [--size 10GiB] [--batch-bytes 65536]
//                            [--segment-bytes 128MiB] [--dir PATH] [--keep] [--reuse] [--probe-ms 10000]
//                            [--unrecorded 1GiB] [--worst-only] [--cluster]
// --worst-only (with --reuse) measures only step 4, on data a clean stop left.
//
// 0. Measures the same start on an empty data dir, the cost of starting Node and the broker.
// 1. Starts a single-node broker on a fresh data dir, creates topic `restart` with
//    --partitions partitions and stops it (SIGTERM).
// 2. Fills every partition to --size / --partitions bytes by appending real batches through
//    Partition and PartitionLog directly (bench/lib/fill-logs.ts): far faster than over the
//    network. One batch in 64 is a small batch of one of four idempotent producers per partition.
// 3. Restarts the broker after that clean shutdown, then kills it with SIGKILL once it is up and
//    restarts it again, and once more after a clean shutdown.
// 4. The worst case: kill -9 of a broker that wrote all its data since it last started and was
//    writing at full speed when killed (bench/lib/crash-writer.ts): each partition's recovery point
//    recorded as the broker records it (every second), --unrecorded bytes in all written after it
//    and never synced, and no producer snapshot from a close.
// For each start it measures, from the spawn of the process:
//      - the broker's first log line (Node, tsx and the config: the same for every start),
//      - the first Metadata answer that names a leader for every partition,
//      - the first acknowledged acks=all Produce to the first, middle and last partition, and an
//        idempotent one (a new producer id) to the middle partition,
//      - the largest Metadata round trip while it keeps asking every 20 ms for --probe-ms, and
//        what the broker logs about its start (`partitions loaded`: time and the largest
//        event-loop delay it saw while loading).
// The data dir is deleted at the end unless --keep; --reuse (with --dir and --keep) skips steps 1
// and 2 when the dir already holds the partitions. It prints numbers; nothing asserts on speed.
//
// --cluster runs the three-broker variant instead (bench/lib/restart-cluster.ts): the data goes
// in over the network with replication factor 3, so use fewer partitions and bytes (e.g.
// --partitions 100 --size 1GiB); all three brokers are restarted together.

import { loadAverage } from './lib/proc.ts';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, startBroker, type BrokerHandle } from '../test/helpers/broker-process.ts';
import { RawClient } from './lib/raw-client.ts';
import { fillLogs, partitionDirs } from './lib/fill-logs.ts';
import { parseSize } from '../src/config/size.ts';
import { buildRecordBatch } from '../src/protocol/record-batch.ts';
import { runClusterRestart } from './lib/restart-cluster.ts';
import { spawnSync } from 'node:child_process';

const { values: opts } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1000' },
    size: { type: 'string', default: '10GiB' },
    'batch-bytes': { type: 'string', default: '65536' },
    'segment-bytes': { type: 'string', default: '128MiB' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    'probe-ms': { type: 'string', default: '10000' },
    unrecorded: { type: 'string', default: '1GiB' },
    'worst-only': { type: 'boolean', default: false },
  },
  strict: true,
});

function size(name: string, text: string): number {
  const parsed = parseSize(text);
  if (!parsed.ok || parsed.bytes <= 0) {
    console.error(`--${name}: ${parsed.ok ? 'must be positive' : parsed.reason}`);
    process.exit(2);
  }
  return parsed.bytes;
}

const partitions = Number(opts.partitions);
if (!Number.isInteger(partitions) || partitions < 3 || partitions > 1000) {
  console.error('--partitions must be an integer in [3, 1000] (max_topic_partitions)');
  process.exit(2);
}
const totalBytes = size('size', opts.size!);
const batchBytes = size('batch-bytes', opts['batch-bytes']!);
const segmentBytes = size('segment-bytes', opts['segment-bytes']!);
const probeMs = Number(opts['probe-ms']);
const unrecordedBytes = size('unrecorded', opts.unrecorded!);
const TOPIC = 'restart';
/** Bounds every wait for the broker, so a broker that never comes up cannot hang the run. */
const START_TIMEOUT_MS = 600_000;
const RETRY_MS = 5;

const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;
const load = loadAverage;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const dataDir = opts.dir ?? mkdtempSync(join(tmpdir(), 'runnel-restart-'));
const env = { RUNNEL_SEGMENT_SIZE: String(segmentBytes), RUNNEL_SERVER__LOG_LEVEL: 'info' };

async function connectSoon(port: number, deadline: number): Promise<RawClient> {
  // Bounded by the deadline; a refused connection is retried after RETRY_MS.
  for (;;) {
    try {
      return await RawClient.connect({ port, connectTimeoutMs: 1_000, clientId: 'restart-bench' });
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(RETRY_MS);
    }
  }
}

async function untilOk<T>(what: string, deadline: number, attempt: () => Promise<T | null>): Promise<T> {
  let last = '';
  while (performance.now() < deadline) {
    try {
      const v = await attempt();
      if (v !== null) return v;
    } catch (err) {
      last = String(err);
    }
    await sleep(RETRY_MS);
  }
  throw new Error(`${what}: not done before the deadline ${last}`);
}

interface StartResult {
  label: string;
  metadataMs: number;
  produceMs: Record<string, number>;
  idempotentMs: number;
  probeMaxMs: number;
  probes: number;
  listeningMs: number;
  /** From the spawn to the broker's first log line ('config loaded'): Node, tsx and module loading. */
  bootMs: number;
  loaded: Record<string, unknown> | null;
  /** The broker's `partitions opened` line: how long opening the logs took, and how many producer states were still to load. */
  opened?: Record<string, unknown> | null;
  broker: BrokerHandle;
}

let producerIdNext = 2 ** 40;

async function measureStart(label: string, dir = dataDir, topic: string | null = TOPIC): Promise<StartResult> {
  const [port, httpPort] = await freePorts(2);
  const t0 = performance.now();
  const wallT0 = Date.now();
  const deadline = t0 + START_TIMEOUT_MS;
  let listeningMs = -1;
  const starting = startBroker({ dataDir: dir, keepDataDir: true, port, httpPort, env, startTimeoutMs: START_TIMEOUT_MS }).then((b) => {
    listeningMs = performance.now() - t0;
    return b;
  });
  starting.catch(() => undefined);
  const client = await connectSoon(port!, deadline);
  if (topic === null) {
    await client.metadata([], false);
    const metadataMs = performance.now() - t0;
    client.close();
    const broker = await starting;
    return {
      label,
      metadataMs,
      produceMs: {},
      idempotentMs: -1,
      probeMaxMs: 0,
      probes: 0,
      listeningMs,
      bootMs: bootMsOf(broker, wallT0),
      loaded: null,
      broker,
    };
  }
  await untilOk('metadata', deadline, async () => {
    const md = await client.metadata([TOPIC], false);
    const t = (md.topics as any[])[0];
    const ready = t && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p: any) => p.errorCode === 0 && p.leaderId >= 0);
    return ready ? true : null;
  });
  const metadataMs = performance.now() - t0;
  const targets = { first: 0, middle: Math.floor(partitions / 2), last: partitions - 1 };
  const produceMs: Record<string, number> = {};
  const plain = () => buildRecordBatch({ records: [{ value: 'after restart' }] });
  const producerId = producerIdNext++;
  const [, idempotentMs] = await Promise.all([
    Promise.all(
      Object.entries(targets).map(async ([name, p]) => {
        await untilOk(`produce to ${p}`, deadline, async () => ((await client.produce(TOPIC, p, plain(), -1)).errorCode === 0 ? true : null));
        produceMs[name] = performance.now() - t0;
      }),
    ),
    untilOk('idempotent produce', deadline, async () => {
      const batch = buildRecordBatch({ records: [{ value: 'idempotent after restart' }], producerId, producerEpoch: 0, baseSequence: 0 });
      const r = await client.produce(TOPIC, targets.middle, batch, -1);
      return r.errorCode === 0 ? performance.now() - t0 : null;
    }),
  ]);
  // Largest Metadata round trip while the broker finishes its start: a blocked event loop shows here.
  let probeMaxMs = 0;
  let probes = 0;
  const probeEnd = performance.now() + probeMs;
  while (performance.now() < probeEnd) {
    const s = performance.now();
    await client.metadata([TOPIC], false);
    probeMaxMs = Math.max(probeMaxMs, performance.now() - s);
    probes++;
    await sleep(20);
  }
  client.close();
  const broker = await starting;
  const loaded = broker.jsonLogs().find((l) => l.msg === 'partitions loaded') ?? null;
  const opened = broker.jsonLogs().find((l) => l.msg === 'partitions opened') ?? null;
  return { label, metadataMs, produceMs, idempotentMs, probeMaxMs, probes, listeningMs, bootMs: bootMsOf(broker, wallT0), loaded, opened, broker };
}

/** Wall time from the spawn to the newest process's 'config loaded' line (its first). */
function bootMsOf(broker: BrokerHandle, wallT0: number): number {
  const line = broker
    .jsonLogs()
    .filter((l) => l.msg === 'config loaded' && Date.parse(String(l.time)) >= wallT0)
    .shift();
  return line ? Date.parse(String(line.time)) - wallT0 : -1;
}

function report(r: StartResult): void {
  console.log(`\n${r.label} (load ${load()})`);
  console.log(`  first log line (boot)     ${ms(r.bootMs)}`);
  console.log(`  "listening" logged        ${ms(r.listeningMs)}`);
  console.log(`  Metadata${r.probes > 0 ? ', all led    ' : ' answered    '}     ${ms(r.metadataMs)}`);
  for (const [name, t] of Object.entries(r.produceMs)) console.log(`  Produce acks=all, ${name.padEnd(7)} ${ms(t)}`);
  if (r.idempotentMs >= 0) console.log(`  idempotent Produce        ${ms(r.idempotentMs)}`);
  if (r.probes > 0) console.log(`  Metadata probe max RTT    ${ms(r.probeMaxMs)} over ${r.probes} probes`);
  if (r.opened)
    console.log(
      `  broker: partitions opened ${JSON.stringify({ openMs: r.opened.openMs, producerStatesLoading: r.opened.producerStatesLoading })} (ms of HostedReplicas.start)`,
    );
  if (r.loaded)
    console.log(
      `  broker: partitions loaded ${JSON.stringify({ ms: r.loaded.ms, eventLoopDelayMaxMs: r.loaded.eventLoopDelayMaxMs })} (ms from the start of startBrokerNode)`,
    );
}

async function main(): Promise<void> {
  if (opts.cluster) {
    console.log(`restart benchmark, cluster of 3: ${partitions} partitions (RF 3), ${gib(totalBytes)}, segment ${gib(segmentBytes)} (load ${load()})`);
    await runClusterRestart({ partitions, totalBytes, segmentBytes, startTimeoutMs: START_TIMEOUT_MS, log: (l) => console.log(l) }, load);
    return;
  }
  console.log(`restart benchmark: ${partitions} partitions, ${gib(totalBytes)}, segment ${gib(segmentBytes)}, data in ${dataDir} (load ${load()})`);
  // 0. What starting costs without any partition.
  const emptyDir = mkdtempSync(join(tmpdir(), 'runnel-restart-empty-'));
  try {
    const empty = await measureStart('start with an empty data dir', emptyDir, null);
    report(empty);
    await empty.broker.stop(60_000);
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
  if (opts.reuse && existsSync(dataDir) && partitionDirs(dataDir).length === partitions) {
    console.log(`reusing the ${partitions} partitions in ${dataDir}`);
  } else {
    await create();
  }
  await measureRestarts();
}

async function create(): Promise<void> {
  // 1. The topic, created by the broker itself so its metadata and directories are the real ones.
  const [port, httpPort] = await freePorts(2);
  const first = await startBroker({ dataDir, keepDataDir: true, port, httpPort, env, startTimeoutMs: START_TIMEOUT_MS });
  const admin = await RawClient.connect({ port: first.port });
  await admin.createTopics([{ name: TOPIC, numPartitions: partitions }], { timeoutMs: 120_000 });
  admin.close();
  await first.stop(60_000);

  // 2. The data.
  const dirs = partitionDirs(dataDir);
  if (dirs.length !== partitions) throw new Error(`expected ${partitions} partition directories, found ${dirs.length}`);
  const fillStart = performance.now();
  let lastReport = fillStart;
  const written = await fillLogs({
    dirs,
    bytesPerPartition: Math.ceil(totalBytes / partitions),
    segmentBytes,
    batchBytes,
    idempotentEvery: 64,
    producersPerPartition: 4,
    producerIdBase: 1_000_000,
    onProgress: (done) => {
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.log(`  filled ${gib(done)} in ${ms(lastReport - fillStart)}`);
      }
    },
  });
  console.log(`filled ${gib(written)} in ${ms(performance.now() - fillStart)} (load ${load()})`);
}

async function measureRestarts(): Promise<void> {
  if (opts['worst-only']) return measureWorst();
  // 3. A start after a clean shutdown (the fill closed every log cleanly), then one after SIGKILL.
  const clean = await measureStart('start after a clean shutdown');
  report(clean);
  await clean.broker.kill9();
  const crashed = await measureStart('start after kill -9');
  report(crashed);
  await crashed.broker.stop(120_000);
  const again = await measureStart('start after a clean shutdown (second)');
  report(again);
  await again.broker.kill9();
  await measureWorst();
}

async function measureWorst(): Promise<void> {
  // 4. The worst case: kill -9 of a broker that wrote every byte since its last start and was
  // writing at full speed: no snapshot from a close, and --unrecorded bytes above the recovery points.
  crashWhileWriting(partitionDirs(dataDir));
  const worst = await measureStart('start after kill -9 of a broker that wrote everything since it started (worst case)');
  report(worst);
  await worst.broker.stop(120_000);
}

/** Runs bench/lib/crash-writer.ts over the partition directories; it ends by killing itself. */
function crashWhileWriting(dirs: string[]): void {
  const script = join(import.meta.dirname, 'lib', 'crash-writer.ts');
  const res = spawnSync(process.execPath, ['--import', 'tsx', script, String(segmentBytes), String(unrecordedBytes), ...dirs], { encoding: 'utf8' });
  if (res.signal !== 'SIGKILL') throw new Error(`crash-writer ended with ${res.status ?? res.signal}: ${res.stderr}`);
  console.log(`\nwrote while "crashing": ${res.stdout.trim()}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!opts.keep || (opts.cluster && opts.dir === undefined)) rmSync(dataDir, { recursive: true, force: true });
    else console.log(`data kept in ${dataDir}`);
  });

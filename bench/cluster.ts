// Three-broker cluster benchmark (issue 4): replication factor 3, acks=all.
//
//   npm run bench -- cluster [--records N] [--partitions 1|6] [--rate R] [--failovers K]
//                            [--batch N] [--inflight N] [--rtt-ms MS] [--peer-tls off|on|both]
//
// Starts three real brokers on 127.0.0.1 (test/helpers/cluster.ts, product tuning: rtt_ms 50,
// election_rtt 10) and measures, in this order:
//  1. produce throughput, flat out, 100-byte records, for a 1- and a 6-partition topic (both
//     unless --partitions says one): the raw pipelined client of produce-consume, with each
//     partition's batches sent to that partition's leader;
//  2. produce latency at a fixed rate (--rate, default 10,000 records/s, 10 s, one partition),
//     from each record's scheduled slot to its acknowledgement (no coordinated omission);
//  3. failover: a producer writes one small acks=all record every ~5 ms to a one-partition
//     topic, re-reading the leader (Metadata) on errors; the leader is killed with SIGKILL and
//     the time from the kill to the first acknowledged write sent after it is one sample. The
//     killed broker is restarted and caught up before the next round (--failovers, default 5);
//  4. per broker: peer-transport bytes in/out (GET /status), CPU seconds, peak RSS (VmHWM).
// --records 0, --rate 0 or --failovers 0 skip a part; --rtt-ms changes the Raft tick (cluster.rtt_ms,
// default 100: a follower campaigns after 10 to 19 ticks without a heartbeat). It prints
// numbers; nothing asserts on speed. --peer-tls on runs the brokers with cluster.tls (mutual TLS
// between brokers, certificates made by test/helpers/peer-certs.ts); both runs everything twice,
// plain then TLS, each on a fresh cluster, and the summary gives the brokers' CPU seconds per
// million records for each (issue 15, "Between brokers").
// Issue 4 targets: ≥ 300,000 records/s, p99 < 10 ms at 10,000 records/s, failover median < 1 s
// and max < 2 s.

import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';
import { RawClient } from './lib/raw-client.ts';
import { buildBatch } from './lib/record-batch.ts';
import { produceAtRate, produceFlatOut, type ProduceResult } from './lib/producer.ts';
import { cpuSeconds, selfCpuSeconds } from './lib/proc.ts';
import { describeRaftGroup } from '../src/partition/group-names.ts';
import { makePeerCerts, type PeerCerts } from '../test/helpers/peer-certs.ts';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    partitions: { type: 'string' },
    rate: { type: 'string', default: '10000' },
    failovers: { type: 'string', default: '5' },
    batch: { type: 'string', default: '1000' },
    inflight: { type: 'string', default: '16' },
    'rtt-ms': { type: 'string', default: '50' },
    'peer-tls': { type: 'string', default: 'off' },
  },
  strict: true,
});

const total = Number(opts.records);
const rate = Number(opts.rate);
const failovers = Number(opts.failovers);
const batchSize = Number(opts.batch);
const inflight = Number(opts.inflight);
const rttMs = Number(opts['rtt-ms']);
const partitionCounts = opts.partitions === undefined ? [1, 6] : [Number(opts.partitions)];
const PEER_TLS_VARIANTS: Record<string, boolean[]> = { off: [false], on: [true], both: [false, true] };
const peerTlsVariants = PEER_TLS_VARIANTS[opts['peer-tls']!];
if (peerTlsVariants === undefined) {
  console.error('--peer-tls must be off, on or both');
  process.exit(2);
}
const SIZE = 100;
const LATENCY_SECONDS = 10;
/** The failover producer sends one record every this many ms. */
const FAILOVER_INTERVAL_MS = 5;
/** A client-side bound on any single request, so a broker that never answers cannot hang the run. */
const REQUEST_TIMEOUT_MS = 5_000;

for (const [k, v] of Object.entries({ records: total, rate, failovers })) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${k} must be a non-negative integer`);
    process.exit(2);
  }
}
for (const [k, v] of Object.entries({ batch: batchSize, inflight, partitions: partitionCounts[0], 'rtt-ms': rttMs })) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${k} must be a positive integer`);
    process.exit(2);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One cached connection per broker, opened on first use and dropped when it fails. */
class Connections {
  private readonly clients = new Map<number, Promise<RawClient>>();
  constructor(
    private readonly cluster: TestCluster,
    private readonly clientId: string,
  ) {}

  get(nodeId: number): Promise<RawClient> {
    let c = this.clients.get(nodeId);
    if (!c) {
      c = RawClient.connect({ port: this.cluster.member(nodeId).broker.port, clientId: this.clientId, connectTimeoutMs: 1_000 });
      // A failed connect is forgotten at once, so the next get() tries again.
      c.catch(() => this.clients.get(nodeId) === c && this.clients.delete(nodeId));
      this.clients.set(nodeId, c);
    }
    return c;
  }

  drop(nodeId: number): void {
    const c = this.clients.get(nodeId);
    this.clients.delete(nodeId);
    c?.then(
      (client) => client.close(),
      () => undefined,
    );
  }

  closeAll(): void {
    for (const id of [...this.clients.keys()]) this.drop(id);
  }
}

interface PartitionMeta {
  leaderId: number;
  replicas: number[];
}

/** Partition leaders and replica lists as broker `nodeId` answers Metadata. */
async function metadataFrom(conns: Connections, nodeId: number, topic: string): Promise<PartitionMeta[]> {
  let md: any;
  try {
    const client = await conns.get(nodeId);
    md = await withTimeout(client.metadata([topic]), REQUEST_TIMEOUT_MS, `Metadata from broker ${nodeId}`);
  } catch (err) {
    // A closed connection (the broker was killed or restarted) is reopened next time.
    conns.drop(nodeId);
    throw err;
  }
  const t = (md.topics as any[]).find((x) => x.name === topic);
  if (t?.errorCode !== 0) return [];
  return (t.partitions as any[])
    .sort((a, b) => a.partitionIndex - b.partitionIndex)
    .map((p) => ({ leaderId: p.errorCode === 0 ? p.leaderId : -1, replicas: p.replicaNodes as number[] }));
}

/**
 * Waits (bounded) until every live broker names the same leader for every partition and that
 * leader is the preferred replica (the first of the assignment): brokers hand leadership back
 * to it within cluster-node's 5 s rebalance interval, and a hand-back in the middle of a
 * measurement would be counted as broker latency. Falls back to plain agreement after 15 s.
 */
async function stableLeaders(cluster: TestCluster, conns: Connections, topic: string, partitions: number): Promise<number[]> {
  const deadline = Date.now() + 15_000;
  let agreed: number[] | null = null;
  let last = '';
  for (let pass = 0; pass < 400 && Date.now() < deadline + 10_000; pass++) {
    try {
      const views = await Promise.all(cluster.members.filter((m) => m.broker.alive()).map((m) => metadataFrom(conns, m.nodeId, topic)));
      const leaders = views[0].map((p) => p.leaderId);
      const same = views.every((v) => v.length === partitions && v.every((p, i) => p.leaderId === leaders[i] && p.leaderId > 0));
      last = JSON.stringify(views.map((v) => v.map((p) => p.leaderId)));
      if (same) {
        agreed = leaders;
        if (views[0].every((p) => p.leaderId === p.replicas[0]) || Date.now() >= deadline) return leaders;
      }
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  if (agreed) return agreed;
  throw new Error(`${topic}: the brokers do not agree on leaders: ${last}`);
}

async function createTopic(conns: Connections, topic: string, partitions: number): Promise<void> {
  const admin = await conns.get(1);
  await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: 3 }], { timeoutMs: 30_000 });
}

interface BrokerSample {
  cpu: number;
  bytesIn: number;
  bytesOut: number;
}

async function sampleBrokers(cluster: TestCluster): Promise<Map<number, BrokerSample>> {
  const out = new Map<number, BrokerSample>();
  for (const m of cluster.members) {
    let t = { bytesIn: NaN, bytesOut: NaN };
    try {
      t = (await cluster.status(m.nodeId)).transport ?? t;
    } catch {
      // No /status right now: the counters show as n/a.
    }
    out.set(m.nodeId, { cpu: cpuSeconds(m.broker.pid), ...t });
  }
  return out;
}

const peakRssKb = new Map<number, number>();
function samplePeakRss(cluster: TestCluster): void {
  for (const m of cluster.members) peakRssKb.set(m.nodeId, Math.max(peakRssKb.get(m.nodeId) ?? 0, m.broker.peakRssKb()));
}

/** Prints each broker's CPU, peer-transport bytes and peak RSS over a phase; returns the transport bytes as one summary string. */
function printBrokerDeltas(
  cluster: TestCluster,
  before: Map<number, BrokerSample>,
  after: Map<number, BrokerSample>,
  leaders: number[],
  seconds: number,
  selfCpu: number,
): string {
  const transport: string[] = [];
  for (const m of cluster.members) {
    const a = before.get(m.nodeId)!;
    const b = after.get(m.nodeId)!;
    const led = leaders.filter((l) => l === m.nodeId).length;
    transport.push(`broker ${m.nodeId} in ${mib(b.bytesIn - a.bytesIn)} out ${mib(b.bytesOut - a.bytesOut)}`);
    console.log(
      `  broker ${m.nodeId} (leads ${led}): CPU ${(b.cpu - a.cpu).toFixed(2)} s (${(((b.cpu - a.cpu) / seconds) * 100).toFixed(0)}%), ` +
        `peer transport in ${mib(b.bytesIn - a.bytesIn)}, out ${mib(b.bytesOut - a.bytesOut)}, peak RSS ${mib(m.broker.peakRssKb() * 1024)}`,
    );
  }
  console.log(`  client CPU ${selfCpu.toFixed(2)} s (${((selfCpu / seconds) * 100).toFixed(0)}%) over ${seconds.toFixed(2)} s of wall time`);
  return transport.join(', ');
}

interface ThroughputResult {
  partitions: number;
  peerTls: boolean;
  result: ProduceResult;
  transport: string;
  /** CPU seconds of the three brokers together over the run. */
  brokerCpu: number;
}

async function throughput(cluster: TestCluster, conns: Connections, partitions: number, peerTls: boolean): Promise<ThroughputResult> {
  const topic = `bench-cluster-p${partitions}-${Date.now()}`;
  await createTopic(conns, topic, partitions);
  const leaders = await stableLeaders(cluster, conns, topic, partitions);
  console.log(
    `\n[throughput] ${fmt(total)} records of ${SIZE} B to ${topic} (${partitions} partition(s), RF 3, acks=all), batch ${batchSize}, in-flight ${inflight}`,
  );
  console.log(`  leaders: ${leaders.map((l, p) => `p${p}→${l}`).join(' ')}`);
  const clients = new Map<number, RawClient>();
  for (const l of new Set(leaders)) clients.set(l, await conns.get(l));
  const before = await sampleBrokers(cluster);
  const self0 = selfCpuSeconds();
  const result = await produceFlatOut({
    topic,
    partitions,
    clientFor: (p) => clients.get(leaders[p])!,
    total,
    size: SIZE,
    batchSize,
    acks: -1,
    inflight,
  });
  const selfCpu = selfCpuSeconds() - self0;
  const after = await sampleBrokers(cluster);
  samplePeakRss(cluster);
  if (result.acked !== total) throw new Error(`only ${result.acked} of ${total} records acknowledged`);
  console.log(
    `  produce: ${fmt(result.acked)} records in ${result.seconds.toFixed(2)} s = ${fmt(result.acked / result.seconds)} records/s, ` +
      `${((result.acked * SIZE) / 1e6 / result.seconds).toFixed(1)} MB/s of values`,
  );
  console.log(`  latency per record (batch built → ack): ${result.hist.summary()}`);
  const transport = printBrokerDeltas(cluster, before, after, leaders, result.seconds, selfCpu);
  const brokerCpu = cluster.members.reduce((sum, m) => sum + after.get(m.nodeId)!.cpu - before.get(m.nodeId)!.cpu, 0);
  return { partitions, peerTls, result, transport, brokerCpu };
}

async function latency(cluster: TestCluster, conns: Connections): Promise<ProduceResult> {
  const topic = `bench-cluster-latency-${Date.now()}`;
  await createTopic(conns, topic, 1);
  const [leader] = await stableLeaders(cluster, conns, topic, 1);
  const records = rate * LATENCY_SECONDS;
  console.log(`\n[latency] ${fmt(records)} records of ${SIZE} B at ${fmt(rate)} records/s to ${topic} (1 partition, leader ${leader}, RF 3, acks=all)`);
  const client = await conns.get(leader);
  const before = await sampleBrokers(cluster);
  const self0 = selfCpuSeconds();
  const result = await produceAtRate({ topic, partitions: 1, clientFor: () => client, total: records, size: SIZE, batchSize, acks: -1, rate });
  const selfCpu = selfCpuSeconds() - self0;
  const after = await sampleBrokers(cluster);
  samplePeakRss(cluster);
  if (result.acked !== records) throw new Error(`only ${result.acked} of ${records} records acknowledged`);
  console.log(`  produced ${fmt(result.acked)} records in ${result.seconds.toFixed(2)} s`);
  console.log(`  latency per record (slot → ack): ${result.hist.summary()}`);
  console.log(`    of which slot → request written (client, per record): ${result.sendDelay!.summary()}`);
  console.log(`    of which request written → ack (brokers, per request): ${result.requestLatency!.summary()}`);
  printBrokerDeltas(cluster, before, after, [leader], result.seconds, selfCpu);
  return result;
}

interface Ack {
  sentAt: number;
  ackAt: number;
  leader: number;
}

/**
 * One acks=all record every FAILOVER_INTERVAL_MS, one request at a time, to the leader it last
 * learned from Metadata. On any error (NOT_LEADER_OR_FOLLOWER, a timeout, a refused or closed
 * connection) it drops that connection and asks the brokers for the leader again, in turn, as
 * a client knowing only the bootstrap list would. Bounded by `stop()` and a wall-clock cap.
 */
class FailoverProducer {
  readonly acks: Ack[] = [];
  readonly errors = new Map<string, number>();
  /** Set by the measurement: the first time after `since` that Metadata named a leader other than `excluding`. */
  watch: { since: number; excluding: number; seenAt: number } | null = null;
  private stopped = false;
  private readonly done: Promise<void>;
  private next = 0;

  constructor(
    private readonly cluster: TestCluster,
    private readonly conns: Connections,
    private readonly topic: string,
    maxMs: number,
  ) {
    this.done = this.run(performance.now() + maxMs);
  }

  private countError(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }

  private async findLeader(): Promise<number> {
    const ids = this.cluster.members.map((m) => m.nodeId);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[(this.next + k) % ids.length];
      try {
        const [p] = await metadataFrom(this.conns, id, this.topic);
        if (p && p.leaderId > 0) {
          if (this.watch && this.watch.seenAt === 0 && p.leaderId !== this.watch.excluding) this.watch.seenAt = performance.now();
          return p.leaderId;
        }
      } catch {
        // Start with the next broker next time; this one did not answer.
        this.next = (this.next + k + 1) % ids.length;
      }
    }
    return 0;
  }

  private async run(hardStop: number): Promise<void> {
    let leader = 0;
    let seq = 0;
    let slot = performance.now();
    while (!this.stopped && performance.now() < hardStop) {
      slot += FAILOVER_INTERVAL_MS;
      const wait = slot - performance.now();
      if (wait > 0) await sleep(wait);
      else slot = performance.now();
      try {
        if (leader <= 0) {
          leader = await this.findLeader();
          if (leader <= 0) {
            this.countError('no leader known');
            continue;
          }
        }
        const client = await this.conns.get(leader);
        const batch = buildBatch([{ key: null, value: Buffer.from(`failover-${seq++}`), timestamp: Date.now() }]);
        const sentAt = performance.now();
        const res = await withTimeout(client.produce(this.topic, 0, batch, -1, REQUEST_TIMEOUT_MS), REQUEST_TIMEOUT_MS + 1_000, 'Produce');
        if (res.errorCode === 0) {
          this.acks.push({ sentAt, ackAt: performance.now(), leader });
        } else {
          this.countError(`error code ${res.errorCode}`);
          leader = 0;
        }
      } catch (err) {
        this.countError((err as Error).name === 'Error' ? (err as Error).message.replace(/\d+/g, 'N') : (err as Error).name);
        if (leader > 0) this.conns.drop(leader);
        leader = 0;
      }
    }
  }

  /** The first acknowledgement of a record sent at or after `t`, waiting at most `timeoutMs`. */
  async firstAckSentAfter(t: number, timeoutMs: number): Promise<Ack | null> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      for (let i = this.acks.length - 1; i >= 0 && this.acks[i].sentAt >= t; i--) {
        if (i === 0 || this.acks[i - 1].sentAt < t) return this.acks[i];
      }
      await sleep(2);
    }
    return null;
  }

  /** The longest time between consecutive acknowledgements within [from, to]. */
  maxGap(from: number, to: number): number {
    let gap = 0;
    let prev = from;
    for (const a of this.acks) {
      if (a.ackAt < from) continue;
      if (a.ackAt > to) break;
      gap = Math.max(gap, a.ackAt - prev);
      prev = a.ackAt;
    }
    return Math.max(gap, to - prev);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

interface FailoverSample {
  victim: number;
  newLeader: number;
  totalMs: number;
  /** Kill → the new leader logged "became leader" (broker log time, ms resolution). */
  electionMs: number;
  /** Kill → Metadata first named another leader. */
  metadataMs: number;
  errors: string;
  restartMs: number;
  catchUpMs: number;
  /** The longest pause between acknowledgements while the killed broker restarted, caught up and perhaps took its leadership back. */
  rejoinGapMs: number;
}

function becameLeaderAt(cluster: TestCluster, group: string, sinceWallMs: number, excluding: number): number {
  let first = Infinity;
  for (const m of cluster.members) {
    if (m.nodeId === excluding) continue;
    for (const l of m.broker.jsonLogs()) {
      // Log lines name the Raft group with its topic id: `<topic>-<partition>@<topicId>`.
      if (l.msg !== 'became leader' || typeof l.group !== 'string' || describeRaftGroup(l.group).group !== group) continue;
      // The broker logs ISO times (src/log/logger.ts).
      const t = typeof l.time === 'string' ? Date.parse(l.time) : Number(l.time);
      if (t >= sinceWallMs) first = Math.min(first, t);
    }
  }
  return first;
}

async function failover(cluster: TestCluster, conns: Connections): Promise<FailoverSample[]> {
  const topic = `bench-cluster-failover-${Date.now()}`;
  const group = `${topic}-0`;
  await createTopic(conns, topic, 1);
  await stableLeaders(cluster, conns, topic, 1);
  console.log(`\n[failover] ${failovers} × kill -9 of the leader of ${group} (RF 3) under one acks=all record every ${FAILOVER_INTERVAL_MS} ms`);
  const producerConns = new Connections(cluster, 'bench-failover-producer');
  // Each round is bounded (a restart ≤ 60 s, catch-up ≤ 60 s, settling ≤ 25 s, the ack ≤ 30 s).
  const producer = new FailoverProducer(cluster, producerConns, topic, failovers * 200_000 + 30_000);
  const samples: FailoverSample[] = [];
  try {
    for (let round = 1; round <= failovers; round++) {
      await cluster.waitCaughtUp(group, 60_000);
      await stableLeaders(cluster, conns, topic, 1);
      // The producer must be writing to the settled leader before the kill.
      const victim = await cluster.leaderOf(group);
      const settled = performance.now();
      await cluster.waitFor(
        'the producer writes to the leader',
        () => {
          const last = producer.acks[producer.acks.length - 1];
          return !!last && last.leader === victim && last.ackAt > settled;
        },
        20_000,
      );
      samplePeakRss(cluster);
      producer.errors.clear();
      const killWall = Date.now();
      const killAt = performance.now();
      producer.watch = { since: killAt, excluding: victim, seenAt: 0 };
      await cluster.member(victim).broker.kill9();
      const ack = await producer.firstAckSentAfter(killAt, 30_000);
      if (!ack) throw new Error(`round ${round}: no write acknowledged within 30 s of killing broker ${victim}`);
      const electedWall = becameLeaderAt(cluster, group, killWall, victim);
      const sample: FailoverSample = {
        victim,
        newLeader: ack.leader,
        totalMs: ack.ackAt - killAt,
        electionMs: electedWall - killWall,
        metadataMs: producer.watch.seenAt > 0 ? producer.watch.seenAt - killAt : NaN,
        errors: [...producer.errors].map(([k, v]) => `${k} ×${v}`).join(', '),
        restartMs: 0,
        catchUpMs: 0,
        rejoinGapMs: 0,
      };
      producer.watch = null;
      const restartAt = performance.now();
      await cluster.member(victim).broker.restart();
      sample.restartMs = performance.now() - restartAt;
      const caughtAt = performance.now();
      await cluster.waitCaughtUp(group, 60_000);
      sample.catchUpMs = performance.now() - caughtAt;
      // Let a hand-back to the preferred replica happen now rather than during the next round.
      await stableLeaders(cluster, conns, topic, 1);
      sample.rejoinGapMs = producer.maxGap(restartAt, performance.now());
      samples.push(sample);
      console.log(
        `  round ${round}: killed broker ${victim}; first ack after ${ms(sample.totalMs)} from broker ${sample.newLeader} ` +
          `(elected at +${ms(sample.electionMs)}, Metadata named it at +${ms(sample.metadataMs)}; client saw: ${sample.errors || 'nothing'}); ` +
          `restart ${ms(sample.restartMs)}, caught up ${ms(sample.catchUpMs)} later, longest ack gap while rejoining ${ms(sample.rejoinGapMs)}`,
      );
    }
  } finally {
    await producer.stop();
    producerConns.closeAll();
  }
  samplePeakRss(cluster);
  return samples;
}

async function main(): Promise<void> {
  const command = `npm run bench -- cluster ${process.argv.slice(2).join(' ')}`.trim();
  const load0 = loadavg();
  console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} (1/5/15 min) before starting`);
  const tputs: ThroughputResult[] = [];
  const lats: Array<{ peerTls: boolean; result: ProduceResult }> = [];
  const fos: Array<{ peerTls: boolean; samples: FailoverSample[] }> = [];
  const certs = peerTlsVariants.includes(true) ? makePeerCerts() : null;
  try {
    for (const peerTls of peerTlsVariants) {
      peakRssKb.clear();
      await runVariant(peerTls, certs, tputs, lats, fos);
    }
  } finally {
    certs?.remove();
  }

  console.log(`\n== summary (three brokers, RF 3, acks=all, 100 B records, rtt_ms ${rttMs}) ==`);
  for (const t of tputs) {
    console.log(
      `${variantName(t.peerTls)} throughput ${t.partitions} partition(s): ${fmt(t.result.acked / t.result.seconds).padStart(9)} records/s ` +
        `(target ≥ 300,000)  latency p50 ${(t.result.hist.percentile(50) / 1000).toFixed(1)} ms, p99 ${(t.result.hist.percentile(99) / 1000).toFixed(1)} ms; ` +
        `brokers' CPU ${((t.brokerCpu / t.result.acked) * 1e6).toFixed(1)} s per million records`,
    );
    console.log(`  peer transport: ${t.transport}`);
  }
  for (const { peerTls, result: lat } of lats) {
    const p = (q: number) => (lat.hist.percentile(q) / 1000).toFixed(2);
    console.log(
      `${variantName(peerTls)} latency at ${fmt(rate)} records/s: p50 ${p(50)} ms  p99 ${p(99)} ms  p99.9 ${p(99.9)} ms  max ${(lat.hist.max / 1000).toFixed(2)} ms  (target at 10,000/s: p99 < 10 ms)`,
    );
  }
  for (const { peerTls, samples: fo } of fos) {
    const t = fo.map((s) => s.totalMs);
    console.log(
      `${variantName(peerTls)} failover (kill -9 → next ack): ${t.map((x) => x.toFixed(0)).join(', ')} ms; median ${median(t).toFixed(0)} ms (target < 1000), ` +
        `max ${Math.max(...t).toFixed(0)} ms (target < 2000); election alone: median ${median(fo.map((s) => s.electionMs)).toFixed(0)} ms`,
    );
  }
  const load1 = loadavg();
  console.log(`load average ${load1.map((x) => x.toFixed(2)).join(' ')} after; command: ${command}`);
}

function variantName(peerTls: boolean): string {
  return peerTls ? '[peer TLS]' : '[plain]';
}

/** One fresh cluster, plain or with cluster.tls: throughput, latency and failovers as the options say. */
async function runVariant(
  peerTls: boolean,
  certs: PeerCerts | null,
  tputs: ThroughputResult[],
  lats: Array<{ peerTls: boolean; result: ProduceResult }>,
  fos: Array<{ peerTls: boolean; samples: FailoverSample[] }>,
): Promise<void> {
  const env: Record<string, string> =
    peerTls && certs !== null
      ? { RUNNEL_CLUSTER__TLS: 'true', RUNNEL_TLS__CERT_FILE: certs.broker.cert, RUNNEL_TLS__KEY_FILE: certs.broker.key, RUNNEL_TLS__CA_FILE: certs.broker.ca }
      : {};
  const cluster = await startCluster({ rttMs, env });
  const conns = new Connections(cluster, 'bench-cluster');
  try {
    console.log(
      `\n${variantName(peerTls)} started 3 brokers (rtt_ms ${rttMs}, election_rtt 10): ` +
        cluster.members.map((m) => `broker ${m.nodeId} pid ${m.broker.pid} kafka ${m.broker.port}`).join(', '),
    );
    if (total > 0) for (const p of partitionCounts) tputs.push(await throughput(cluster, conns, p, peerTls));
    if (rate > 0) lats.push({ peerTls, result: await latency(cluster, conns) });
    if (failovers > 0) fos.push({ peerTls, samples: await failover(cluster, conns) });
    samplePeakRss(cluster);
    console.log(
      `${variantName(peerTls)} peak RSS (VmHWM): ${cluster.members.map((m) => `broker ${m.nodeId} ${mib((peakRssKb.get(m.nodeId) ?? 0) * 1024)}`).join(', ')}`,
    );
  } catch (err) {
    // Say which broker failed and how, before stop() removes the evidence.
    for (const m of cluster.members) {
      const lines = m.broker.logs().filter((l) => !l.startsWith('{') || /"level":"(warn|error|fatal)"/.test(l));
      console.error(`broker ${m.nodeId} (pid ${m.broker.pid}) ${m.broker.alive() ? 'running' : 'NOT RUNNING'}; last warnings/errors:`);
      for (const l of lines.slice(-5)) console.error(`  ${l.slice(0, 400)}`);
    }
    throw err;
  } finally {
    conns.closeAll();
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});

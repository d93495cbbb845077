// The cluster variant of bench/restart.ts (`--cluster`): three brokers on 127.0.0.1
// (test/helpers/cluster.ts), one topic with replication factor 3 filled over the network (a
// Raft log cannot be written beside its group), then all three restarted together, after a
// clean shutdown and after SIGKILL. For each restart it measures, from the moment the brokers are
// started again: the first Metadata answer (from broker 1) that names a leader for every
// partition, and the first acknowledged acks=all Produce to the first, middle and last partition,
// each sent to the leader Metadata names (and again on an error).

import { startCluster, type TestCluster } from '../../test/helpers/cluster.ts';
import { RawClient } from './raw-client.ts';
import { numberedRecords } from './producer.ts';
import { buildBatch } from './record-batch.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';

export interface ClusterRestartOptions {
  partitions: number;
  totalBytes: number;
  segmentBytes: number;
  startTimeoutMs: number;
  log: (line: string) => void;
}

const TOPIC = 'restart';
const RECORD_BYTES = 1000;
const RECORDS_PER_BATCH = 64;
const RETRY_MS = 5;
const RETRIES_MAX = 1_000;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

class Clients {
  private readonly clients = new Map<number, RawClient>();
  constructor(private readonly cluster: TestCluster) {}

  async get(nodeId: number): Promise<RawClient> {
    const existing = this.clients.get(nodeId);
    if (existing) return existing;
    const client = await RawClient.connect({ port: this.cluster.member(nodeId).broker.port, clientId: 'restart-bench', connectTimeoutMs: 1_000 });
    this.clients.set(nodeId, client);
    return client;
  }

  drop(nodeId: number): void {
    this.clients.get(nodeId)?.close();
    this.clients.delete(nodeId);
  }

  closeAll(): void {
    for (const id of [...this.clients.keys()]) this.drop(id);
  }
}

/** Leaders by partition as broker 1 answers, or null while any partition has none. */
async function leaders(clients: Clients, partitions: number): Promise<number[] | null> {
  try {
    const md = await (await clients.get(1)).metadata([TOPIC], false);
    const t = (md.topics as any[])[0];
    if (t?.errorCode !== 0 || t.partitions.length !== partitions) return null;
    const sorted = [...(t.partitions as any[])].sort((a, b) => a.partitionIndex - b.partitionIndex);
    return sorted.every((p) => p.errorCode === 0 && p.leaderId > 0) ? sorted.map((p) => p.leaderId as number) : null;
  } catch {
    clients.drop(1);
    return null;
  }
}

async function measure(cluster: TestCluster, label: string, partitions: number, deadline: number, log: (l: string) => void, t0: number): Promise<void> {
  const clients = new Clients(cluster);
  try {
    let led: number[] | null = null;
    // Bounded by the deadline; Metadata is asked again every RETRY_MS.
    while (led === null && performance.now() < deadline) {
      led = await leaders(clients, partitions);
      if (led === null) await sleep(RETRY_MS);
    }
    if (led === null) throw new Error(`${label}: no leader for every partition before the deadline`);
    const metadataMs = performance.now() - t0;
    const targets = { first: 0, middle: Math.floor(partitions / 2), last: partitions - 1 };
    const produceMs: Record<string, number> = {};
    await Promise.all(
      Object.entries(targets).map(async ([name, p]) => {
        let leader = led![p];
        while (performance.now() < deadline) {
          try {
            const r = await (await clients.get(leader)).produce(TOPIC, p, buildRecordBatch({ records: [{ value: 'after restart' }] }), -1, 10_000);
            if (r.errorCode === 0) {
              produceMs[name] = performance.now() - t0;
              return;
            }
          } catch {
            clients.drop(leader);
          }
          await sleep(RETRY_MS);
          leader = (await leaders(clients, partitions))?.[p] ?? leader;
        }
        throw new Error(`${label}: produce to ${p} not acknowledged before the deadline`);
      }),
    );
    log(`  Metadata, all led (broker 1) ${ms(metadataMs)}`);
    for (const [name, t] of Object.entries(produceMs)) log(`  Produce acks=all, ${name.padEnd(7)}    ${ms(t)}`);
    for (const m of cluster.members) {
      const loaded = m.broker
        .jsonLogs()
        .filter((l) => l.msg === 'partitions loaded')
        .pop();
      if (loaded) log(`  broker ${m.nodeId}: partitions loaded ${JSON.stringify({ ms: loaded.ms, eventLoopDelayMaxMs: loaded.eventLoopDelayMaxMs })}`);
    }
  } finally {
    clients.closeAll();
  }
}

/**
 * Sends `perPartition` records to every partition, each batch to the partition's leader, 16
 * requests at a time; a failed or refused batch (a leader moving, replication backpressure) is
 * sent again after the leaders are asked for anew. Returns the records acknowledged.
 */
async function fill(clients: Clients, initial: number[], partitions: number, perPartition: number): Promise<number> {
  let led = initial;
  let next = 0;
  let acked = 0;
  const worker = async (): Promise<void> => {
    // Each worker takes the next partition until none is left; every partition ends after
    // perPartition acknowledged records, and a refused batch is retried at most RETRIES_MAX times.
    for (let p = next++; p < partitions; p = next++) {
      for (let sent = 0, retries = 0; sent < perPartition; ) {
        const count = Math.min(RECORDS_PER_BATCH, perPartition - sent);
        const batch = buildBatch(numberedRecords(sent, count, RECORD_BYTES, Date.now()));
        try {
          const r = await (await clients.get(led[p])).produce(TOPIC, p, batch, 1, 30_000);
          if (r.errorCode === 0) {
            sent += count;
            acked += count;
            continue;
          }
        } catch {
          clients.drop(led[p]);
        }
        if (++retries > RETRIES_MAX) throw new Error(`partition ${p}: a batch was refused ${RETRIES_MAX} times`);
        await sleep(50);
        led = (await leaders(clients, partitions)) ?? led;
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return acked;
}

export async function runClusterRestart(o: ClusterRestartOptions, load: () => string): Promise<void> {
  const cluster = await startCluster({ size: 3, env: { RUNNEL_SEGMENT_SIZE: String(o.segmentBytes) } });
  try {
    const admin = await RawClient.connect({ port: cluster.member(1).broker.port });
    await admin.createTopics([{ name: TOPIC, numPartitions: o.partitions, replicationFactor: 3 }], { timeoutMs: 120_000 });
    admin.close();
    const clients = new Clients(cluster);
    let led: number[] | null = null;
    for (let i = 0; i < 600 && led === null; i++) {
      led = await leaders(clients, o.partitions);
      if (led === null) await sleep(100);
    }
    if (led === null) throw new Error('no leader for every partition after the topic was created');
    const fillStart = performance.now();
    const acked = await fill(clients, led, o.partitions, Math.ceil(o.totalBytes / RECORD_BYTES / o.partitions));
    clients.closeAll();
    o.log(`filled ${acked.toLocaleString('en-US')} records of ${RECORD_BYTES} B over the network in ${ms(performance.now() - fillStart)} (load ${load()})`);

    for (const m of cluster.members) await m.broker.stop(120_000);
    o.log(`\ncluster restart after a clean shutdown (load ${load()})`);
    let t0 = performance.now();
    await Promise.all(cluster.members.map((m) => m.broker.restart()));
    await measure(cluster, 'clean', o.partitions, t0 + o.startTimeoutMs, o.log, t0);

    await Promise.all(cluster.members.map((m) => m.broker.kill9()));
    o.log(`\ncluster restart after kill -9 of all three (load ${load()})`);
    t0 = performance.now();
    await Promise.all(cluster.members.map((m) => m.broker.restart()));
    await measure(cluster, 'kill -9', o.partitions, t0 + o.startTimeoutMs, o.log, t0);
  } finally {
    await cluster.stop();
  }
}

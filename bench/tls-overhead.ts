// `npm run bench -- tls-overhead [--records N] [--rounds K] [--size BYTES] [--batch RECORDS]`: what
// TLS costs the data path (issue 15 goal: under 30 % of throughput). One broker process with a
// PLAINTEXT and an SSL listener (certificates from scripts/gen-certs.sh in a temporary directory);
// rounds alternate between the listeners, so load from elsewhere on the machine hits both alike.
// Each round produces N records flat out (acks=all, 8 requests in flight) with the raw client,
// then reads them all back with one fetch loop per partition on the same listener, and reports
// records/s and MB/s for both and the broker's CPU-seconds per 100,000 records. The client runs in
// this process and encrypts too, on the same two cores as the broker.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts, startBroker } from '../test/helpers/broker-process.ts';
import { genCerts } from '../test/helpers/certs.ts';
import { cpuSeconds, loadAverage, selfCpuSeconds } from './lib/proc.ts';
import { produceFlatOut } from './lib/producer.ts';
import { RawClient, type RawClientOptions } from './lib/raw-client.ts';
import { readPartitionToEnd } from './lib/read-partition.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const size = Number(values.size);
const batchSize = Number(values.batch);
const PARTITIONS = 4;
const FETCH_DEADLINE_MS = 120_000;

type ListenerName = 'PLAINTEXT' | 'SSL';

interface Round {
  listener: ListenerName;
  producePerSecond: number;
  consumePerSecond: number;
  /** Broker CPU-seconds per 100,000 records produced, and per 100,000 records consumed. */
  brokerProduceCpuPer100k: number;
  brokerConsumeCpuPer100k: number;
  /** This process's (the client's) CPU-seconds per 100,000 records consumed: it decrypts what the broker encrypts. */
  clientConsumeCpuPer100k: number;
}

/** Reads partitions 0..PARTITIONS-1 of `topic` to their end, one connection and fetch loop each; returns the records read. */
async function consumeAll(connect: () => Promise<RawClient>, topic: string): Promise<number> {
  const deadline = Date.now() + FETCH_DEADLINE_MS;
  const counts = await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      const client = await connect();
      try {
        return (await readPartitionToEnd(client, topic, partition, deadline)).records;
      } finally {
        client.close();
      }
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

console.log(`load average before: ${loadAverage()}`);
const certDir = mkdtempSync(join(tmpdir(), 'runnel-bench-certs-'));
genCerts(certDir);
const [plainPort, sslPort] = await freePorts(2);
const broker = await startBroker({
  port: plainPort,
  env: {
    RUNNEL_LISTENERS: JSON.stringify([
      { name: 'PLAINTEXT', host: '127.0.0.1', port: plainPort },
      { name: 'SSL', host: '127.0.0.1', port: sslPort, security_protocol: 'SSL' },
    ]),
    RUNNEL_TLS__CERT_FILE: join(certDir, 'broker.pem'),
    RUNNEL_TLS__KEY_FILE: join(certDir, 'broker.key'),
  },
});
const clientOptions: Record<ListenerName, RawClientOptions> = {
  PLAINTEXT: { port: plainPort! },
  SSL: { port: sslPort!, tls: { ca: readFileSync(join(certDir, 'ca.pem')), servername: 'localhost' } },
};
try {
  const results: Round[] = [];
  // Round -1 and -2 warm the broker's JIT on both listeners and are not counted.
  for (let round = -2; round < rounds * 2; round++) {
    const listener: ListenerName = (round + 2) % 2 === 0 ? 'PLAINTEXT' : 'SSL';
    const topic = `tls-bench-${round + 2}`;
    const client = await RawClient.connect(clientOptions[listener]);
    await client.createTopics([{ name: topic, numPartitions: PARTITIONS }], { waitForLeaders: true });
    const cpuBefore = cpuSeconds(broker.pid);
    const produced = await produceFlatOut({ topic, partitions: PARTITIONS, clientFor: () => client, total: records, size, batchSize, acks: -1, inflight: 8 });
    client.close();
    const cpuProduced = cpuSeconds(broker.pid);
    const clientCpuBefore = selfCpuSeconds();
    const consumeStart = performance.now();
    const read = await consumeAll(() => RawClient.connect(clientOptions[listener]), topic);
    const consumeSeconds = (performance.now() - consumeStart) / 1000;
    const clientCpu = selfCpuSeconds() - clientCpuBefore;
    const cpuConsumed = cpuSeconds(broker.pid);
    if (read !== records) throw new Error(`${listener}: read ${read} of ${records} records`);
    if (round < 0) continue;
    const r: Round = {
      listener,
      producePerSecond: produced.acked / produced.seconds,
      consumePerSecond: read / consumeSeconds,
      brokerProduceCpuPer100k: ((cpuProduced - cpuBefore) / records) * 100_000,
      brokerConsumeCpuPer100k: ((cpuConsumed - cpuProduced) / records) * 100_000,
      clientConsumeCpuPer100k: (clientCpu / records) * 100_000,
    };
    results.push(r);
    const mb = (perSecond: number) => ((perSecond * size) / 1e6).toFixed(1);
    console.log(
      `round ${round + 1} ${listener.padEnd(9)} produce ${Math.round(r.producePerSecond).toLocaleString('en-US')} records/s (${mb(r.producePerSecond)} MB/s)  ` +
        `consume ${Math.round(r.consumePerSecond).toLocaleString('en-US')} records/s (${mb(r.consumePerSecond)} MB/s)  CPU s per 100k records: broker produce ${r.brokerProduceCpuPer100k.toFixed(3)}, ` +
        `broker consume ${r.brokerConsumeCpuPer100k.toFixed(3)}, client consume ${r.clientConsumeCpuPer100k.toFixed(3)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const of = (listener: ListenerName, pick: (r: Round) => number) => median(results.filter((r) => r.listener === listener).map(pick));
  for (const [label, pick] of [
    ['produce', (r: Round) => r.producePerSecond],
    ['consume', (r: Round) => r.consumePerSecond],
  ] as const) {
    const plain = of('PLAINTEXT', pick);
    const ssl = of('SSL', pick);
    console.log(
      `median ${label}: PLAINTEXT ${Math.round(plain).toLocaleString('en-US')} records/s, SSL ${Math.round(ssl).toLocaleString('en-US')} records/s: TLS costs ${(100 * (1 - ssl / plain)).toFixed(1)} % of throughput`,
    );
  }
  for (const [label, pick] of [
    ['broker CPU per 100k produced', (r: Round) => r.brokerProduceCpuPer100k],
    ['broker CPU per 100k consumed', (r: Round) => r.brokerConsumeCpuPer100k],
    ['client CPU per 100k consumed', (r: Round) => r.clientConsumeCpuPer100k],
  ] as const) {
    const plain = of('PLAINTEXT', pick);
    const ssl = of('SSL', pick);
    console.log(`median ${label}: PLAINTEXT ${plain.toFixed(3)} s, SSL ${ssl.toFixed(3)} s (+${(100 * (ssl / plain - 1)).toFixed(0)} %)`);
  }
  console.log(`records ${records} of ${size} B, batches of ${batchSize}, ${PARTITIONS} partitions; load average after: ${loadAverage()}`);
} finally {
  await broker.stop();
  rmSync(certDir, { recursive: true, force: true });
}

// Single-node produce and consume benchmark (issue 2).
//
//   npm run bench -- produce-consume [--client runnel|kafkajs] [--records N] [--rate R]
//                                    [--broker host:port] [--size B] [--batch N]
//                                    [--inflight N] [--partitions N] [--acks all|1]
//
// Without --broker it starts its own broker (temporary data dir, removed afterwards) and
// reports the broker's peak RSS. Producing uses acks=all (--acks 1 for comparison:
// the difference is what durability costs). Latency is per record: from the
// moment the record was due (its batch was built, or in --rate mode its scheduled time)
// to its acknowledgement, so a slow broker cannot hide behind a client that slows down
// with it (no coordinated omission). Consuming reads everything back from offset 0: with
// the raw client by fetching, with --client kafkajs through a KafkaJS consumer group.
// Targets: ≥ 500,000 records/s produced, ≥ 1,000,000 records/s consumed, produce p99
// under 5 ms at 10,000 records/s.

import { parseArgs } from 'node:util';
import { startBroker, type BrokerHandle } from '../test/helpers/broker-process.ts';
import { RawClient } from './lib/raw-client.ts';
import { readPartitionToEnd } from './lib/read-partition.ts';
import { Histogram } from '../src/client/histogram.ts';
import { produceAtRate, produceFlatOut, recordValue, type ProduceResult } from './lib/producer.ts';
import { cpuSeconds, selfCpuSeconds } from './lib/proc.ts';

const { values: opts } = parseArgs({
  options: {
    client: { type: 'string', default: 'runnel' },
    records: { type: 'string' },
    rate: { type: 'string', default: '0' },
    broker: { type: 'string' },
    size: { type: 'string', default: '100' },
    batch: { type: 'string', default: '1000' },
    inflight: { type: 'string', default: '16' },
    partitions: { type: 'string', default: '1' },
    topic: { type: 'string' },
    // 'all' rather than -1 on the command line: parseArgs would read "-1" as an option.
    acks: { type: 'string', default: 'all' },
  },
  strict: true,
});

const client = opts.client!;
if (client !== 'runnel' && client !== 'kafkajs') {
  console.error(`--client must be runnel or kafkajs, got ${client}`);
  process.exit(2);
}
const rate = Number(opts.rate);
// In --rate mode the default is a 10-second run; flat out it is a million records.
const total = Number(opts.records ?? (rate > 0 ? rate * 10 : 1_000_000));
const size = Number(opts.size);
const batchSize = Number(opts.batch);
const inflight = Number(opts.inflight);
const partitions = Number(opts.partitions);
const topic = opts.topic ?? `bench-${client}-${Date.now()}`;
const acks = (opts.acks === 'all' ? -1 : Number(opts.acks)) as -1 | 1;
if (acks !== -1 && acks !== 1) {
  console.error('--acks must be all (or =-1) or 1; acks=0 has no acknowledgement to time');
  process.exit(2);
}
for (const [k, v] of Object.entries({ records: total, size, batch: batchSize, inflight, partitions })) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${k} must be a positive integer`);
    process.exit(2);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(1);

/** One value buffer per partition-batch slot; contents vary so compression-free storage is honest. */
function value(i: number): Buffer {
  return recordValue(i, size);
}

async function produceRunnel(host: string, port: number): Promise<ProduceResult> {
  const c = await RawClient.connect({ host, port, clientId: 'bench-producer' });
  try {
    const loop = { topic, partitions, clientFor: () => c, total, size, batchSize, acks };
    return rate > 0 ? await produceAtRate({ ...loop, rate }) : await produceFlatOut({ ...loop, inflight });
  } finally {
    c.close();
  }
}

async function produceKafkaJs(host: string, port: number): Promise<ProduceResult> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [`${host}:${port}`], logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: inflight });
  await producer.connect();
  const hist = new Histogram();
  let acked = 0;
  const start = performance.now();
  try {
    if (rate > 0) {
      const intervalMs = 1000 / rate;
      let next = 0;
      const pending = new Set<Promise<void>>();
      const hardStop = start + (total / rate) * 2000 + 10_000;
      while (next < total && performance.now() < hardStop) {
        const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
        if (due > next) {
          const from = next;
          const count = Math.min(due - next, batchSize);
          next += count;
          const p = producer
            .send({
              topic,
              acks,
              messages: Array.from({ length: count }, (_, k) => ({ value: value(from + k), partition: (from + k) % partitions })),
            })
            .then(() => {
              const ackAt = performance.now();
              for (let k = 0; k < count; k++) hist.record((ackAt - (start + (from + k) * intervalMs)) * 1000);
              acked += count;
            });
          const tracked: Promise<void> = p.finally(() => pending.delete(tracked));
          pending.add(tracked);
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(pending);
    } else {
      const pending = new Set<Promise<void>>();
      for (let sent = 0; sent < total; ) {
        const from = sent;
        const count = Math.min(batchSize, total - sent);
        sent += count;
        const t0 = performance.now();
        const p = producer
          .send({
            topic,
            acks,
            messages: Array.from({ length: count }, (_, k) => ({ value: value(from + k), partition: (from + k) % partitions })),
          })
          .then(() => {
            hist.record((performance.now() - t0) * 1000, count);
            acked += count;
          });
        const tracked: Promise<void> = p.finally(() => pending.delete(tracked));
        pending.add(tracked);
        if (pending.size >= inflight) await Promise.race(pending);
      }
      await Promise.all(pending);
    }
  } finally {
    await producer.disconnect();
  }
  return { seconds: (performance.now() - start) / 1000, hist, acked };
}

async function consumeRunnel(host: string, port: number, expected: number): Promise<{ seconds: number; records: number; bytes: number }> {
  const start = performance.now();
  let records = 0;
  let bytes = 0;
  // One connection and one sequential fetch loop per partition, each bounded by a deadline.
  const deadline = Date.now() + 120_000;
  const perPartition = await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const c = await RawClient.connect({ host, port, clientId: `bench-consumer-${p}` });
      try {
        const read = await readPartitionToEnd(c, topic, p, deadline);
        bytes += read.bytes;
        return read.records;
      } finally {
        c.close();
      }
    }),
  );
  records = perPartition.reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - start) / 1000;
  if (records !== expected) throw new Error(`consumed ${records} records, expected ${expected}`);
  return { seconds, records, bytes };
}

/** Reads everything back with a KafkaJS consumer group (subscribe from the beginning, eachBatch). */
async function consumeKafkaJs(
  host: string,
  port: number,
  expected: number,
): Promise<{ seconds: number; records: number; bytes: number; firstBatchSeconds?: number }> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'bench-kafkajs-consumer', brokers: [`${host}:${port}`], logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytes: 64 * 1024 * 1024, maxBytesPerPartition: 16 * 1024 * 1024 });
  await consumer.connect();
  let records = 0;
  let bytes = 0;
  let first = 0;
  const start = performance.now();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (first === 0) first = performance.now();
          records += batch.messages.length;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          if (records >= expected) resolve();
        },
      });
    });
    // Bounded: a consumer that stalls fails the run instead of hanging it.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 120_000)));
    const outcome = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new Error(`KafkaJS consumer read ${records} of ${expected} records in 120 s`);
  } finally {
    await consumer.disconnect();
  }
  // Timed from subscribe() on, so the group join is included: KafkaJS decodes a whole
  // fetch before its first eachBatch, so timing from the first batch would hide that work.
  const seconds = (performance.now() - start) / 1000;
  if (records !== expected) throw new Error(`consumed ${records} records, expected ${expected}`);
  return { seconds, records, bytes, firstBatchSeconds: (first - start) / 1000 };
}

async function main(): Promise<void> {
  let broker: BrokerHandle | null = null;
  let host = '127.0.0.1';
  let port: number;
  if (opts.broker) {
    const [h, p] = opts.broker.split(':');
    host = h;
    port = Number(p);
  } else {
    broker = await startBroker();
    port = broker.port;
    console.log(`started broker pid ${broker.pid} on ${broker.bootstrap}, data dir ${broker.dataDir}`);
  }
  const cleanup = async () => {
    if (broker) await broker.stop();
  };
  try {
    const admin = await RawClient.connect({ host, port, clientId: 'bench-admin' });
    await admin.createTopics([{ name: topic, numPartitions: partitions }], { ifNotExists: true });
    admin.close();

    const mode = rate > 0 ? `rate ${fmt(rate)} records/s` : `flat out, batch ${batchSize}, in-flight ${inflight}`;
    console.log(
      `producing ${fmt(total)} records of ${size} B to ${topic} (${partitions} partition(s)), client ${client}, acks=${acks === -1 ? 'all' : acks}, ${mode}`,
    );
    const brokerCpu0 = broker ? cpuSeconds(broker.pid) : 0;
    const selfCpu0 = selfCpuSeconds();
    const produced = client === 'kafkajs' ? await produceKafkaJs(host, port) : await produceRunnel(host, port);
    const brokerCpu = broker ? cpuSeconds(broker.pid) - brokerCpu0 : NaN;
    const selfCpu = selfCpuSeconds() - selfCpu0;
    if (produced.acked !== total) throw new Error(`only ${produced.acked} of ${total} records acknowledged`);
    console.log(
      `produce: ${fmt(produced.acked)} records in ${produced.seconds.toFixed(2)} s = ${fmt(produced.acked / produced.seconds)} records/s, ` +
        `${mb(produced.acked * size, produced.seconds)} MB/s of values`,
    );
    console.log(`produce latency: ${produced.hist.summary()}`);
    if (produced.sendDelay && produced.requestLatency) {
      // The split tells a slow client (late sends) from a slow broker (late acks).
      console.log(`  of which slot -> request written (client, per record): ${produced.sendDelay.summary()}`);
      console.log(`  of which request written -> ack (broker, per request): ${produced.requestLatency.summary()}`);
    }
    console.log(
      `produce CPU: broker ${broker ? `${brokerCpu.toFixed(2)} s` : 'n/a (external broker)'}, client ${selfCpu.toFixed(2)} s ` +
        `over ${produced.seconds.toFixed(2)} s of wall time`,
    );

    const brokerCpu1 = broker ? cpuSeconds(broker.pid) : 0;
    const consumed = client === 'kafkajs' ? await consumeKafkaJs(host, port, total) : await consumeRunnel(host, port, total);
    const brokerCpuC = broker ? cpuSeconds(broker.pid) - brokerCpu1 : NaN;
    console.log(
      `consume: ${fmt(consumed.records)} records in ${consumed.seconds.toFixed(2)} s = ${fmt(consumed.records / consumed.seconds)} records/s, ` +
        `${mb(consumed.records * size, consumed.seconds)} MB/s of values` +
        (client === 'kafkajs'
          ? ` (KafkaJS consumer group, timed from subscribe; first batch after ${(consumed as { firstBatchSeconds?: number }).firstBatchSeconds?.toFixed(2)} s)`
          : ` (${mb(consumed.bytes, consumed.seconds)} MB/s of batches)`),
    );
    if (broker) console.log(`consume CPU: broker ${brokerCpuC.toFixed(2)} s`);
    if (broker) console.log(`broker peak RSS (VmHWM): ${(broker.peakRssKb() / 1024).toFixed(1)} MiB`);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});

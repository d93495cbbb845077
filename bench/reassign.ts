// MB/s of moving a partition replica onto a new broker by reassignment (issue 11).
//
//   npm run bench -- reassign [--mib 200] [--load]
//
// Starts four real brokers on 127.0.0.1 (test/helpers/cluster.ts, product defaults), creates one
// partition on brokers [1, 2, 3] (broker 1 leads), fills it with about --mib MiB of 1 KiB records
// in 64-record batches (acks=all) and waits until the replicas caught up. Then KafkaJS's admin
// reassigns it to [1, 2, 4] (AlterPartitionReassignments) and the run times how long until
// ListPartitionReassignments shows nothing in flight and the Metadata replicas are [1, 2, 4], and
// how long until broker 4's replica holds the whole log. MB/s = broker 4's segment bytes / the
// time to completion. With --load a producer keeps writing acks=all batches to the partition
// during the move and its throughput is printed too. The load average is printed with each
// figure; nothing asserts on speed.

import { loadAverage } from './lib/proc.ts';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster } from '../test/helpers/cluster.ts';
import { RawClient } from './lib/raw-client.ts';
import { numberedRecords, produceFlatOut } from './lib/producer.ts';
import { buildBatch } from './lib/record-batch.ts';

const { values: opts } = parseArgs({ options: { mib: { type: 'string', default: '200' }, load: { type: 'boolean', default: false } }, strict: true });
const MIB = Number(opts.mib);
if (!(MIB > 0)) {
  console.error('--mib must be a positive number');
  process.exit(2);
}
const TOPIC = 'bench-reassign';
const RECORD_BYTES = 1024;
const BATCH = 64;
/** Bounds each wait of the run. */
const WAIT_MS = 600_000;

const load = loadAverage;

const cluster = await startCluster({ size: 4 });
const kafka = new Kafka({ clientId: 'bench-reassign', brokers: [cluster.member(1).broker.bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 30_000 });
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
  await cluster.waitFor('broker 1 leads', async () => (await cluster.leaderOf(`${TOPIC}-0`)) === 1, WAIT_MS);
  const client = await RawClient.connect({ port: cluster.member(1).broker.port, clientId: 'bench-reassign', connectTimeoutMs: 2_000 });
  const total = Math.ceil((MIB * 1024 * 1024) / RECORD_BYTES);
  const fill = await produceFlatOut({
    topic: TOPIC,
    partitions: 1,
    clientFor: () => client,
    total,
    size: RECORD_BYTES,
    batchSize: BATCH,
    acks: -1,
    inflight: 8,
  });
  console.log(`filled ${MIB} MiB (${total} records) in ${fill.seconds.toFixed(1)} s, load ${load()}`);
  // Brokers 1, 2, 3 only: broker 4 hosts no replica yet (waitCaughtUp asks every live broker).
  await cluster.waitFor(
    'replicas 1, 2, 3 caught up',
    async () => {
      const groups = await Promise.all([1, 2, 3].map(async (id) => (await cluster.status(id)).groups.find((g) => g.group === `${TOPIC}-0`)));
      return groups.every((g) => g && g.leader > 0 && g.applied === groups[0]!.applied && g.lastIndex === groups[0]!.lastIndex);
    },
    WAIT_MS,
  );
  const bytes = cluster.partitionBytes(1, TOPIC, 0).length;

  let stop = false;
  let producedDuringMove = 0;
  const loadDone = opts.load
    ? (async () => {
        for (let n = total; !stop; n += BATCH) {
          const res = await client.produce(TOPIC, 0, buildBatch(numberedRecords(n, BATCH, RECORD_BYTES, Date.now())), -1).catch(() => null);
          if (res?.errorCode === 0) producedDuringMove += BATCH;
        }
      })()
    : Promise.resolve();

  const started = performance.now();
  await admin.alterPartitionReassignments({ topics: [{ topic: TOPIC, partitionAssignment: [{ partition: 0, replicas: [1, 2, 4] }] }] });
  await cluster.waitFor(
    'reassignment completed',
    async () => {
      const listed = await admin.listPartitionReassignments({});
      const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      return listed.topics.length === 0 && JSON.stringify(meta.topics[0].partitions[0].replicas) === '[1,2,4]';
    },
    WAIT_MS,
  );
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await loadDone;
  const moved = cluster.partitionBytes(4, TOPIC, 0).length;
  console.log(
    `reassign: moved ${(moved / 1e6).toFixed(1)} MB (leader log ${(bytes / 1e6).toFixed(1)} MB before) onto broker 4 in ${seconds.toFixed(1)} s: ` +
      `${(moved / 1e6 / seconds).toFixed(1)} MB/s, load ${load()}`,
  );
  if (opts.load)
    console.log(
      `produce during the move: ${producedDuringMove} records acknowledged, ${((producedDuringMove * RECORD_BYTES) / 1e6 / seconds).toFixed(1)} MB/s`,
    );
  client.close();
} finally {
  await admin.disconnect().catch(() => undefined);
  await cluster.stop();
}

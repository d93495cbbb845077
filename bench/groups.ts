// Consumer-group benchmark against a real broker process:
//   1. rebalance time of a 3-member KafkaJS group (default client settings) on a 6-partition topic:
//      from the moment the last member starts (connect + subscribe + run) until every member has
//      processed a record, and the same when a 4th member joins the stable group;
//   2. offset commit throughput: OffsetCommit requests (acknowledged only once durable) from
//      several pipelining raw-protocol connections.
//
//   node --import tsx bench/groups.ts [--rounds 3] [--commit-seconds 3] [--connections 8] [--pipeline 32]
//
// Prints numbers; asserts nothing about speed.

import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../test/helpers/broker-process.ts';
import { RawClient } from './lib/raw-client.ts';
import { apiByKey, ApiKey } from '../src/protocol/apis/index.ts';
import { buildRecordBatch } from '../src/protocol/record-batch.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'commit-seconds': { type: 'string', default: '3' },
    connections: { type: 'string', default: '8' },
    pipeline: { type: 'string', default: '32' },
  },
});
const rounds = Number(args.rounds);
const commitSeconds = Number(args['commit-seconds']);
const connections = Number(args.connections);
const pipeline = Number(args.pipeline);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

async function rebalanceRound(broker: BrokerHandle, round: number): Promise<{ startMs: number; joinMs: number }> {
  const kafka = new Kafka({ clientId: `bench-${round}`, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const topic = `bench-rebalance-${round}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  // Records in every partition, so a member consumes as soon as it owns a partition.
  await producer.send({ topic, messages: Array.from({ length: 600 }, (_, i) => ({ partition: i % 6, value: String(i) })) });

  const groupId = `bench-group-${round}`;
  const consumed = new Map<number, number>();
  const consumers: Consumer[] = [];
  /** When each member called run(), which is when it sends its JoinGroup. */
  const joinStarted = new Map<number, number>();
  const start = async (index: number) => {
    // Default KafkaJS settings: sessionTimeout 30 s, heartbeatInterval 3 s, maxWaitTimeInMs 5 s.
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    joinStarted.set(index, Date.now());
    await consumer.run({
      eachMessage: async () => {
        consumed.set(index, (consumed.get(index) ?? 0) + 1);
        // Keep the group busy but never starved: records keep flowing during the rebalance.
        await sleep(1);
      },
    });
  };
  // Records keep arriving in every partition, so whoever owns a partition has something to consume.
  let producing = true;
  const feeder = (async () => {
    while (producing) {
      await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i, value: 'x' })) });
      await sleep(20);
    }
  })();
  try {
    // 1. Three members starting together: from the last member's JoinGroup to all three consuming.
    const firstConsumed = new Map<number, number>();
    const watch = setInterval(() => {
      for (const [i, n] of consumed) if (n > 0 && !firstConsumed.has(i)) firstConsumed.set(i, Date.now());
    }, 1);
    await Promise.all([0, 1, 2].map(start));
    const all3 = await waitUntil(() => [0, 1, 2].every((i) => firstConsumed.has(i)), 30_000);
    const lastJoin = Math.max(...[0, 1, 2].map((i) => joinStarted.get(i)!));
    const startMs = all3 ? Math.max(...[0, 1, 2].map((i) => firstConsumed.get(i)!)) - lastJoin : NaN;
    // 2. A fourth member joins the stable group while it consumes.
    await sleep(1000);
    await start(3);
    const joined = await waitUntil(() => firstConsumed.has(3), 60_000);
    const joinMs = joined ? firstConsumed.get(3)! - joinStarted.get(3)! : NaN;
    clearInterval(watch);
    return { startMs, joinMs };
  } finally {
    producing = false;
    await feeder.catch(() => {});
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
    await producer.disconnect();
    await admin.disconnect();
  }
}

async function commitThroughput(broker: BrokerHandle): Promise<{ commitsPerSec: number; partitionsPerCommit: number; p50Ms: number; p99Ms: number }[]> {
  const setup = await RawClient.connect({ port: broker.port, clientId: 'bench-commit' });
  await setup.createTopics([{ name: 'bench-commit', numPartitions: 6 }]);
  await setup.waitForLeaders(['bench-commit']);
  await setup.produce('bench-commit', 0, buildRecordBatch({ records: [{ value: 'x' }] }));
  const api = apiByKey.get(ApiKey.OffsetCommit)!;
  const results = [];
  for (const partitionsPerCommit of [1, 6]) {
    const clients: RawClient[] = [];
    for (let c = 0; c < connections; c++) {
      const client = await RawClient.connect({ port: broker.port, clientId: `bench-commit-${c}` });
      await client.request(apiByKey.get(ApiKey.FindCoordinator)!, 2, { key: `bench-commit-group-${c}`, keyType: 0 });
      clients.push(client);
    }
    let commits = 0;
    const latencies: number[] = [];
    const deadline = Date.now() + commitSeconds * 1000;
    let offset = 0;
    // Each connection keeps `pipeline` commits in flight; each commit is one request.
    await Promise.all(
      clients.map(async (client, c) => {
        const worker = async () => {
          while (Date.now() < deadline) {
            const started = performance.now();
            const res = await client.request(api, 7, {
              groupId: `bench-commit-group-${c}`,
              generationIdOrMemberEpoch: -1,
              memberId: '',
              groupInstanceId: null,
              topics: [
                {
                  name: 'bench-commit',
                  partitions: Array.from({ length: partitionsPerCommit }, (_, p) => ({
                    partitionIndex: p,
                    committedOffset: offset++,
                    committedLeaderEpoch: -1,
                    committedMetadata: null,
                  })),
                },
              ],
            });
            if (res.topics[0].partitions[0].errorCode !== 0) throw new Error(`commit failed: ${JSON.stringify(res)}`);
            latencies.push(performance.now() - started);
            commits++;
          }
        };
        await Promise.all(Array.from({ length: pipeline }, worker));
      }),
    );
    for (const client of clients) client.close();
    latencies.sort((a, b) => a - b);
    results.push({
      commitsPerSec: Math.round(commits / commitSeconds),
      partitionsPerCommit,
      p50Ms: Number(latencies[Math.floor(latencies.length * 0.5)].toFixed(2)),
      p99Ms: Number(latencies[Math.floor(latencies.length * 0.99)].toFixed(2)),
    });
  }
  setup.close();
  return results;
}

const broker = await startBroker();
try {
  console.log(`rebalance: 3 KafkaJS members (default settings), 6 partitions, ${rounds} rounds`);
  for (let round = 0; round < rounds; round++) {
    const r = await rebalanceRound(broker, round);
    console.log(`  round ${round}: last JoinGroup → all 3 consuming: ${r.startMs} ms; 4th member's JoinGroup → it consumes: ${r.joinMs} ms`);
  }
  console.log(`offset commits: ${connections} connections × ${pipeline} in flight, ${commitSeconds} s, acknowledged when durable`);
  for (const r of await commitThroughput(broker)) {
    console.log(
      `  ${r.partitionsPerCommit} partition(s)/commit: ${r.commitsPerSec} commits/s (${r.commitsPerSec * r.partitionsPerCommit} offsets/s), p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
    );
  }
} finally {
  await broker.stop();
}

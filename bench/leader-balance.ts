// Leader-balance convergence after a broker restart (issue 11, Performance; cluster.balance_leaders).
//
//   npm run bench -- leader-balance [--partitions 60] [--stop term,kill9]
//
// Starts three real brokers on 127.0.0.1 (test/helpers/cluster.ts, product defaults: the leader
// balance round every 5 s, at most limits.max_leader_transfers_per_round transfers per broker and
// round) and creates one topic of N partitions (default 60), replication factor 3, placed by the
// broker (round robin: each broker is the preferred leader of a third). Once every partition is led
// by its preferred replica, broker 2 is restarted, once per --stop mode in turn: `term` (SIGTERM, a
// clean stop: it hands its groups over first) and `kill9` (SIGKILL: the others elect after an
// election timeout). From the moment the restarted broker listens again, Metadata (asked of broker
// 1 every POLL_MS) is polled and the run prints
//   - the time until the leaders per broker are within the balancer's tolerance: it hands each
//     partition to its preferred replica, and the preferred replicas are spread evenly, so the
//     counts differ by at most one;
//   - the time until every partition is led by its preferred replica;
//   - the leader transfers the balancer started meanwhile ('handing leadership to the preferred
//     replica' in the brokers' logs), and the partition elections ('became leader').
// The load average is printed with each figure; nothing asserts on speed.

import { loadAverage } from './lib/proc.ts';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';

const { values: opts } = parseArgs({
  options: { partitions: { type: 'string', default: '60' }, stop: { type: 'string', default: 'term,kill9' } },
  strict: true,
});
const N = Number(opts.partitions);
if (!Number.isInteger(N) || N < 3) {
  console.error('--partitions must be an integer of at least 3');
  process.exit(2);
}
const MODES = opts.stop.split(',');
if (MODES.length === 0 || MODES.some((m) => m !== 'term' && m !== 'kill9')) {
  console.error('--stop must be a comma-separated list of term and kill9');
  process.exit(2);
}

const TOPIC = 'bench-leader-balance';
const RESTARTED = 2;
const POLL_MS = 100;
/** Bounds each wait of the run. */
const WAIT_MS = 180_000;

const load = loadAverage;

interface Leaders {
  /** Partitions led per broker id (1..3); a partition without a leader counts for none. */
  perBroker: Map<number, number>;
  /** Partitions led by their preferred (first) replica. */
  preferred: number;
}

async function leaders(admin: Admin): Promise<Leaders> {
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  const perBroker = new Map([1, 2, 3].map((id) => [id, 0]));
  let preferred = 0;
  for (const p of meta.topics[0].partitions) {
    if (perBroker.has(p.leader)) perBroker.set(p.leader, perBroker.get(p.leader)! + 1);
    if (p.leader === p.replicas[0]) preferred++;
  }
  return { perBroker, preferred };
}

const spread = (l: Leaders) => Math.max(...l.perBroker.values()) - Math.min(...l.perBroker.values());
const show = (l: Leaders) => [...l.perBroker].map(([id, n]) => `${id}:${n}`).join(' ');

/** Polls Metadata until `done`; the milliseconds from `from`. A request that fails (a broker restarting) is asked again. */
async function pollUntil(admin: Admin, from: number, done: (l: Leaders) => boolean): Promise<{ ms: number; at: Leaders }> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const now = await leaders(admin).catch(() => undefined);
    if (now && done(now)) return { ms: performance.now() - from, at: now };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`not reached within ${WAIT_MS} ms`);
}

async function restartOnce(cluster: TestCluster, admin: Admin, mode: string): Promise<void> {
  const broker = cluster.member(RESTARTED).broker;
  const stoppedAt = Date.now();
  if (mode === 'kill9') await broker.kill9();
  // Stops the process (SIGTERM, if it still runs) and starts it again; resolves once it listens.
  await broker.restart();
  const returned = performance.now();
  const returnedAt = Date.now();
  const before = await leaders(admin).catch(() => undefined);
  const balanced = await pollUntil(admin, returned, (l) => spread(l) <= 1);
  const loadBalanced = load();
  const allPreferred = await pollUntil(admin, returned, (l) => l.preferred === N);
  const logs = cluster.members.flatMap((m) => m.broker.jsonLogs());
  const since = (from: number) => logs.filter((l) => Date.parse(String(l.time)) >= from);
  const transfers = since(returnedAt).filter((l) => l.msg === 'handing leadership to the preferred replica' && String(l.group).startsWith(`${TOPIC}-`));
  const elections = (from: number) => since(from).filter((l) => l.msg === 'became leader' && String(l.group).startsWith(`${TOPIC}-`)).length;
  console.log(`restart of broker ${RESTARTED} (${mode}): leaders per broker as it returned ${before ? show(before) : '(no answer)'}`);
  console.log(`  within tolerance (counts differ by at most 1): ${Math.round(balanced.ms)} ms after its return (${show(balanced.at)}), load ${loadBalanced}`);
  console.log(`  every partition led by its preferred replica: ${Math.round(allPreferred.ms)} ms after its return, load ${load()}`);
  console.log(
    `  leader transfers by the balancer since its return: ${transfers.length}; partition elections since its return: ${elections(returnedAt)}, since the stop: ${elections(stoppedAt)}`,
  );
}

async function main(): Promise<void> {
  const cluster = await startCluster();
  const kafka = new Kafka({
    clientId: 'bench-leader-balance',
    brokers: [cluster.member(1).broker.bootstrap],
    requestTimeout: 60_000,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ timeout: 120_000, topics: [{ topic: TOPIC, numPartitions: N, replicationFactor: 3 }] });
    const start = performance.now();
    await pollUntil(admin, start, (l) => l.preferred === N);
    console.log(`partitions: ${N}, replication factor 3, three brokers; balanced at the start (${show(await leaders(admin))}), load ${load()}`);
    for (const mode of MODES) {
      await restartOnce(cluster, admin, mode);
      // The next run starts from a settled cluster: every partition led by its preferred replica.
      await pollUntil(admin, performance.now(), (l) => l.preferred === N);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
}

await main();

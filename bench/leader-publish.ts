// Metadata-log entries spent on publishing partition leaders while a broker that leads many
// partitions restarts (issue 11: every broker answers Metadata for every partition).
//
//   npm run bench -- leader-publish [--partitions N] [--stop term|kill9]
//
// Starts three real brokers on 127.0.0.1 (test/helpers/cluster.ts, product defaults) and creates
// one topic of N partitions (default 300) all placed on brokers [1, 2, 3], so broker 1 is the
// preferred leader of each and leads them all. Once the metadata log is quiet, broker 1 is
// stopped (--stop term: SIGTERM, it hands its groups over first; kill9: SIGKILL) and started
// again; the others take the partitions over (publishing them), and from about 5 s after its
// return the preferred-leader rebalance hands them back to broker 1 (publishing them again).
// The run waits until the metadata log has been quiet for QUIET_MS (longer than two rebalance
// intervals, so a hand-back still to come would show), then prints how many metadata entries the
// restart added, against the 2 × N that publishing each leader change alone would take, and how
// many partitions each broker leads then. Besides publishLeaders commands the count can hold a
// metadata election's blank entry. It prints numbers; nothing asserts on speed.

import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';
import { Kafka, logLevel } from 'kafkajs';

const { values: opts } = parseArgs({
  options: {
    partitions: { type: 'string', default: '300' },
    stop: { type: 'string', default: 'term' },
  },
  strict: true,
});
const N = Number(opts.partitions);
if (!Number.isInteger(N) || N <= 0) {
  console.error('--partitions must be a positive integer');
  process.exit(2);
}
if (opts.stop !== 'term' && opts.stop !== 'kill9') {
  console.error('--stop must be term or kill9');
  process.exit(2);
}

const TOPIC = 'bench-leaders';
const RESTARTED = 1;
/** The metadata log counts as settled once its last index has not moved for this long (2 × the 5 s leader rebalance + 2 s). */
const QUIET_MS = 12_000;
/** Bounds each wait of the run. */
const WAIT_MS = 180_000;

/** How many of the topic's partitions `nodeId` leads, by its own status. */
async function ledBy(cluster: TestCluster, nodeId: number): Promise<number> {
  const status = await cluster.status(nodeId);
  return status.groups.filter((g) => g.group.startsWith(`${TOPIC}-`) && g.state === 'leader').length;
}

/** The metadata group's last index on a live broker other than `exclude`. */
async function metadataLastIndex(cluster: TestCluster, exclude = 0): Promise<number> {
  for (const m of cluster.members) {
    if (m.nodeId === exclude || !m.broker.alive()) continue;
    const g = (await cluster.status(m.nodeId)).groups.find((x) => x.group === '__metadata');
    if (g && g.leader > 0) return g.lastIndex;
  }
  throw new Error('no live broker knows a metadata leader');
}

/** Waits until the metadata log's last index stayed the same for QUIET_MS; returns it. */
async function quietIndex(cluster: TestCluster): Promise<number> {
  let last = -1;
  let since = Date.now();
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    // A status request may time out on a loaded machine (or while the broker restarts): ask again.
    const now = await metadataLastIndex(cluster).catch(() => last);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= QUIET_MS) {
      return now;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the metadata log did not settle within ${WAIT_MS} ms`);
}

async function main(): Promise<void> {
  // Debug level: the controller logs each publishLeaders command it applies ('partition leaders published').
  const cluster = await startCluster({ env: { RUNNEL_SERVER__LOG_LEVEL: 'debug' } });
  try {
    // Founding N groups on three brokers takes a while on a loaded machine: generous timeouts.
    const kafka = new Kafka({ brokers: [cluster.member(RESTARTED).broker.bootstrap], requestTimeout: 120_000, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      timeout: 120_000,
      topics: [{ topic: TOPIC, replicaAssignment: Array.from({ length: N }, (_, partition) => ({ partition, replicas: [1, 2, 3] })) }],
    });
    await admin.disconnect();
    await cluster.waitFor(`broker ${RESTARTED} leads all ${N} partitions`, async () => (await ledBy(cluster, RESTARTED)) === N, WAIT_MS);
    const before = await quietIndex(cluster);

    const started = Date.now();
    const broker = cluster.member(RESTARTED).broker;
    if (opts.stop === 'kill9') await broker.kill9();
    await broker.restart();
    const after = await quietIndex(cluster);
    const settledMs = Date.now() - started - QUIET_MS;
    const added = after - before;
    const led = await Promise.all(cluster.members.map(async (m) => `broker ${m.nodeId}: ${await ledBy(cluster, m.nodeId).catch(() => '?')}`));
    console.log(`partitions: ${N} (all led by broker ${RESTARTED} before), restart: ${opts.stop}`);
    console.log(`metadata log settled ${settledMs} ms after the stop; partitions led then: ${led.join(', ')}`);
    console.log(`metadata entries added by the restart: ${added} (a hand-off and a hand-back of each partition: ${2 * N} leader changes)`);
    const logs = cluster.members.flatMap((m) => m.broker.jsonLogs()).filter((l) => Date.parse(String(l.time)) >= started);
    const elected = logs.filter((l) => l.msg === 'became leader' && String(l.group).startsWith(`${TOPIC}-`)).length;
    console.log(`partition leaders elected since the stop ('became leader'): ${elected}`);
    const published = logs.filter((l) => l.msg === 'partition leaders published').map((l) => Number(l.partitions));
    const sum = published.reduce((a, b) => a + b, 0);
    console.log(
      `publishLeaders commands applied (as the controllers logged them): ${published.length}, partitions in them: ${sum}, largest: ${Math.max(0, ...published)}`,
    );
    console.log(
      `load average: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await cluster.stop();
  }
}

await main();

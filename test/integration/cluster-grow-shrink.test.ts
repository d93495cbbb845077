// Issue 11, "Tests": grow 3 → 5 under acks=all produce load, move replicas onto the new brokers,
// shrink 5 → 3 by graceful leave: no acknowledged record lost (everything read back), no produce
// outage longer than a few elections.
//
// Three founders with the replica-spread balancer on (cluster.balance_replicas), a topic of six
// partitions at replication factor 3, and an idempotent acks=all producer sending one batch at a
// time to the partitions in turn, counting what is acknowledged. Brokers 4 and 5 join (copies of
// founder 1's config); the controller spreads replicas onto them until the counts per broker
// differ by at most one. Then founders 1 and 2, two of the three metadata voters, leave at once:
// their partitions move to 3, 4 and 5, they leave the metadata group (4 and 5 become voters) and
// stop on their own. The cluster that is left is brokers 3, 4, 5.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Admin, Producer } from 'kafkajs';
import { startCluster } from '../helpers/cluster.ts';
import { kafkaFor, readAll } from '../helpers/cluster-clients.ts';

const TOPIC = 'growing';
const PARTITIONS = 6;
const BATCH = 10;
// The product defaults (cluster.rtt_ms 50, election_rtt 10): an election timeout of 500 ms to 1 s.
const ELECTION_TIMEOUT_MS_MAX = 2 * 10 * 50;
// "No produce error longer than one election" (issue 11), asserted generously: a 2-core machine shared
// with other test runs stalls event loops for seconds, and the client's own retry backoff adds up to a
// second per attempt. The measured figure is printed.
const OUTAGE_MS_MAX = 10 * ELECTION_TIMEOUT_MS_MAX;

interface ProduceStats {
  acked: string[];
  /** Longest time between two acknowledged batches (ms): what a client sees of elections and moves. */
  longestGapMs: number;
  /** Sends that failed after the client's retries. */
  failedSends: number;
}

test('issue 11: grow 3 -> 5 under acks=all load, spread replicas, shrink 5 -> 3 by graceful leave: nothing acknowledged is lost', {
  timeout: 300_000,
}, async () => {
  const env = { RUNNEL_CLUSTER__BALANCE_REPLICAS: 'true' };
  const cluster = await startCluster({ size: 3, env });
  const kafka = kafkaFor(cluster, 'grow-shrink');
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let stop = false;
  let producing: Promise<ProduceStats> | undefined;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await producer.connect();
    let acked = 0;
    producing = produceUntil(
      producer,
      () => stop,
      (n) => (acked = n),
    );
    await cluster.waitFor('records acknowledged', () => acked >= 200, 60_000);

    // Grow: two joiners. Partitions created before the join stay where they are until the spread balancer moves them.
    await cluster.addJoiner({ nodeId: 4, discovery: 'static', env });
    await cluster.addJoiner({ nodeId: 5, discovery: 'static', env });
    const grown = Date.now();
    let listedMove = false;
    await cluster.waitFor(
      'replicas spread over five brokers (counts differ by at most one, nothing in flight)',
      async () => {
        const counts = await replicaCounts(admin);
        const values = [1, 2, 3, 4, 5].map((id) => counts.get(id) ?? 0);
        const status = await cluster.status(3);
        // Issue 11: GET /status shows the reassignments in flight.
        listedMove ||= (status.reassignments ?? []).some((r) => r.topic === TOPIC && r.adding.some((id) => id === 4 || id === 5));
        return status.reassigningPartitions === 0 && Math.max(...values) - Math.min(...values) <= 1;
      },
      120_000,
    );
    const spreadMs = Date.now() - grown;
    assert.ok(listedMove, 'a move onto a joiner was listed in GET /status while in flight');
    const ackedAfterGrow = acked;

    // Shrink: two founders (two of the three metadata voters) leave at once.
    const leave = (id: number) =>
      fetch(`http://127.0.0.1:${cluster.member(3).httpPort}/cluster/leave`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ node: id }),
      });
    for (const id of [1, 2]) assert.equal((await leave(id)).status, 202, `leave ${id}`);
    const shrinking = Date.now();
    await cluster.waitFor('brokers 1 and 2 stopped on their own', () => !cluster.member(1).broker.alive() && !cluster.member(2).broker.alive(), 150_000);
    const shrinkMs = Date.now() - shrinking;
    let metadataGroup: unknown;
    await cluster
      .waitFor(
        'the metadata group is brokers 3, 4, 5, all voters',
        async () => {
          const g = (await cluster.status(3)).groups.find((x) => x.group === '__metadata');
          metadataGroup = g && { leader: g.leader, voters: g.voters, learners: g.learners };
          return g !== undefined && [...g.voters].sort().join() === '3,4,5' && g.learners.length === 0;
        },
        30_000,
      )
      .catch((err: Error) => {
        throw new Error(`${err.message}; broker 3 sees __metadata as ${JSON.stringify(metadataGroup)}`);
      });
    // The cluster still takes writes after the shrink.
    const ackedAtShrink = acked;
    await cluster.waitFor('records acknowledged after the shrink', () => acked >= ackedAtShrink + 100, 60_000);
    stop = true;
    const stats = await producing;
    producing = undefined;

    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    for (const p of meta.topics[0].partitions) assert.deepEqual([...p.replicas].sort(), [3, 4, 5], `${TOPIC}-${p.partitionId} on the brokers that are left`);
    const read = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (const v of await readAll(cluster, TOPIC, p)) read.add(v);
    const lost = stats.acked.filter((v) => !read.has(v));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${stats.acked.length} acknowledged records lost`);
    console.log(
      `# grow/shrink: ${stats.acked.length} records acknowledged (${ackedAfterGrow} by the end of the spread), replicas spread in ${spreadMs} ms, ` +
        `two brokers left in ${shrinkMs} ms; longest produce outage ${stats.longestGapMs} ms, ${stats.failedSends} failed sends`,
    );
    assert.ok(stats.longestGapMs <= OUTAGE_MS_MAX, `longest produce outage ${stats.longestGapMs} ms (at most ${OUTAGE_MS_MAX} ms)`);
  } finally {
    stop = true;
    await producing?.catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

/** Replicas per broker as Metadata reports them (while a move is in flight, the brokers of both lists). */
async function replicaCounts(admin: Admin): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  for (const p of meta.topics[0].partitions) for (const id of p.replicas) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/**
 * acks=all batches of BATCH numbered records, one request at a time, partition k % PARTITIONS,
 * until `stopped`. A batch counts as acknowledged only when the answer names its partition; a
 * failed send (after the client's retries) is counted and the next batch goes on.
 */
async function produceUntil(producer: Producer, stopped: () => boolean, onProgress: (acked: number) => void): Promise<ProduceStats> {
  const stats: ProduceStats = { acked: [], longestGapMs: 0, failedSends: 0 };
  let lastAckMs = Date.now();
  // Bounded by the test's timeout and `stopped`.
  for (let k = 0; !stopped(); k++) {
    const partition = k % PARTITIONS;
    const values = Array.from({ length: BATCH }, (_, i) => `v-${k * BATCH + i}`);
    try {
      const answers = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition })) });
      if (!answers.some((a) => a.partition === partition && a.errorCode === 0)) continue;
    } catch {
      stats.failedSends++;
      continue;
    }
    const now = Date.now();
    stats.longestGapMs = Math.max(stats.longestGapMs, now - lastAckMs);
    lastAckMs = now;
    stats.acked.push(...values);
    onProgress(stats.acked.length);
  }
  return stats;
}

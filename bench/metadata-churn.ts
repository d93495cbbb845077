// Metadata churn benchmark (issue 9, "everything that grows is bounded"):
//
//   npm run bench -- metadata-churn [--topics N] [--batch B] [--inflight K] [--rf R]
//                                   [--snapshot-entries S] [--compaction-overhead C] [--state-topics T]
//
// Starts three real brokers on 127.0.0.1 (test/helpers/cluster.ts) with
// cluster.snapshot_entries S (default 1000) and compaction_overhead C (default: the product
// default, 5000), then creates and deletes N topics (default 20,000; one partition, replication
// factor R, default 1 so the partition groups stay cheap): rounds of `--batch` topics per
// CreateTopics request, `--inflight` requests at a time spread over the brokers, each round's
// topics deleted again with DeleteTopics. It prints:
//  1. the churn time and commands per second;
//  2. per broker: the metadata log on disk (cluster/metadata segment files) and the node store
//     (runnel.db + WAL, which holds the snapshot), the metadata group's first and last index;
//  3. a restarted broker (SIGTERM, start): time to "listening" and to a Metadata answer that
//     lists every topic;
//  4. a wiped broker (SIGKILL, data dir deleted, start): time until it serves the same topics
//     and its metadata group has applied the leader's commit, and whether it logged
//     `metadata snapshot installed`;
//  5. in this process: how long taking and installing a snapshot of a large state blocks the
//     event loop (--state-topics topics of 3 partitions, default 20,000; 0 skips it).
// It prints numbers with the load average; nothing asserts on speed.

import { loadAverage } from './lib/proc.ts';
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';
import { KafkaError, RawClient } from './lib/raw-client.ts';
import { ErrorCode } from '../src/protocol/errors.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot, metadataGroupName } from '../src/controller/metadata-group.ts';
import { MetadataState } from '../src/metadata/metadata-state.ts';
import { randomUUID } from 'node:crypto';

const { values: opts } = parseArgs({
  options: {
    topics: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '50' },
    inflight: { type: 'string', default: '8' },
    rf: { type: 'string', default: '1' },
    'snapshot-entries': { type: 'string', default: '1000' },
    'compaction-overhead': { type: 'string', default: '5000' },
    'state-topics': { type: 'string', default: '20000' },
  },
  strict: true,
});

const topics = Number(opts.topics);
const batch = Number(opts.batch);
const inflight = Number(opts.inflight);
const rf = Number(opts.rf);
const snapshotEntries = Number(opts['snapshot-entries']);
const compactionOverhead = Number(opts['compaction-overhead']);
for (const [k, v] of Object.entries({ topics, batch, inflight, rf, 'snapshot-entries': snapshotEntries })) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${k} must be a positive integer`);
    process.exit(2);
  }
}
const stateTopics = Number(opts['state-topics']);
for (const [k, v] of Object.entries({ 'compaction-overhead': compactionOverhead, 'state-topics': stateTopics })) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${k} must be a non-negative integer`);
    process.exit(2);
  }
}

/** A client-side bound on one admin request. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long the restarted and the wiped broker get to serve again. */
const CATCH_UP_TIMEOUT_MS = 120_000;

const load = loadAverage;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function dirBytes(dir: string, filter: (name: string) => boolean = () => true): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of readdirSync(dir)) if (filter(name)) total += statSync(join(dir, name)).size;
  return total;
}

/** Errors a Kafka client retries: NOT_CONTROLLER (an election is running), REQUEST_TIMED_OUT. */
const RETRIABLE = new Set<number>([ErrorCode.NOT_CONTROLLER, ErrorCode.REQUEST_TIMED_OUT]);
/** Attempts per request before the benchmark gives up. */
const ATTEMPTS_MAX = 50;
let retries = 0;

async function createAll(client: RawClient, names: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A retry may find topics the first attempt created: TOPIC_ALREADY_EXISTS counts as done.
      await client.createTopics(
        names.map((name) => ({ name, numPartitions: 1, replicationFactor: rf })),
        { waitForLeaders: false, ifNotExists: true, timeoutMs: REQUEST_TIMEOUT_MS },
      );
      return;
    } catch (err) {
      if (!(err instanceof KafkaError) || !RETRIABLE.has(err.errorCode) || attempt >= ATTEMPTS_MAX) throw err;
      retries++;
      await sleep(100);
    }
  }
}

async function deleteAll(client: RawClient, names: string[]): Promise<void> {
  let left = names;
  for (let attempt = 1; left.length > 0; attempt++) {
    const results = await client.deleteTopics(left, REQUEST_TIMEOUT_MS);
    // A retry may find topics the first attempt deleted: UNKNOWN_TOPIC_OR_PARTITION counts as done then.
    const failed = results.filter((d) => d.errorCode !== ErrorCode.NONE && !(attempt > 1 && d.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    if (failed.some((d) => !RETRIABLE.has(d.errorCode)) || attempt >= ATTEMPTS_MAX)
      throw new Error(`DeleteTopics failed: ${JSON.stringify(failed.slice(0, 3))}`);
    if (failed.length > 0) {
      retries++;
      await sleep(100);
    }
    left = failed.map((d) => d.name);
  }
}

/** Creates and deletes `batch` topics per round; `lane` picks the broker and the name prefix. */
async function churnLane(client: RawClient, lane: number, rounds: number[]): Promise<number> {
  let commands = 0;
  for (const round of rounds) {
    const names = Array.from({ length: batch }, (_, i) => `churn-${lane}-${round}-${i}`);
    await createAll(client, names);
    await deleteAll(client, names);
    commands += 2 * names.length;
  }
  return commands;
}

/**
 * When the broker logged its start-up steps, in ms after `startedAtMs` (wall clock): process and
 * module loading end at "config loaded"; the metadata group is running at "metadata group started".
 */
function startupSteps(lines: string[], startedAtMs: number): string {
  const at = (msg: string) => {
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; time?: string };
        if (entry.msg === msg && entry.time) return `${new Date(entry.time).getTime() - startedAtMs} ms`;
      } catch {
        // Not a log line (harness output).
      }
    }
    return '-';
  };
  return `config loaded ${at('config loaded')}, metadata group started ${at('metadata group started')}, listening ${at('listening')}`;
}

async function topicCount(cluster: TestCluster, nodeId: number): Promise<number> {
  const client = await RawClient.connect({ port: cluster.member(nodeId).broker.port });
  try {
    return (await client.metadata(null)).topics.length as number;
  } finally {
    client.close();
  }
}

async function metadataStatus(cluster: TestCluster, nodeId: number) {
  return (await cluster.status(nodeId)).groups.find((g) => g.group === metadataGroupName);
}

/** Part 5: the synchronous work of taking (leader) and installing (follower) one snapshot. */
function measureSnapshotCost(): void {
  const state = new MetadataState({ clusterId: 'bench', brokers: [], topics: [] });
  for (const nodeId of [1, 2, 3])
    state.apply({ type: 'registerBroker', broker: { nodeId, host: '127.0.0.1', port: 9091 + nodeId, rack: null, storageId: randomUUID() } });
  for (let i = 0; i < stateTopics; i++) {
    const topicId = randomUUID().replace(/-/g, '');
    state.apply({
      type: 'createTopic',
      topic: {
        name: `topic-${i}`,
        topicId,
        partitionCount: 3,
        replicationFactor: 3,
        configs: {},
        assignments: [
          [1, 2, 3],
          [2, 3, 1],
          [3, 1, 2],
        ],
        createdAtMs: Date.now(),
      },
    });
  }
  for (let round = 1; round <= 3; round++) {
    let t = performance.now();
    const data = encodeMetadataSnapshot(state);
    const encodeMs = performance.now() - t;
    t = performance.now();
    new MetadataState({ clusterId: '', brokers: [], topics: [] }).restore(decodeMetadataSnapshot(data), false);
    const restoreMs = performance.now() - t;
    console.log(
      `snapshot of ${fmt(stateTopics)} topics x 3 partitions: ${(data.length / 1024 / 1024).toFixed(1)} MiB; ` +
        `taking it (encode) ${encodeMs.toFixed(0)} ms, installing it (decode + restore) ${restoreMs.toFixed(0)} ms (round ${round}, load ${load()})`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `metadata-churn: ${fmt(topics)} topics created and deleted (batch ${batch}, ${inflight} in flight, RF ${rf}), snapshot_entries ${snapshotEntries}, compaction_overhead ${compactionOverhead}`,
  );
  console.log(`load average before: ${load()}`);
  const cluster = await startCluster({
    env: {
      RUNNEL_CLUSTER__SNAPSHOT_ENTRIES: String(snapshotEntries),
      RUNNEL_CLUSTER__COMPACTION_OVERHEAD: String(compactionOverhead),
    },
  });
  try {
    // 1. Churn: `inflight` lanes, each on its own broker connection, share the rounds.
    const roundCount = Math.ceil(topics / batch);
    const lanes = Array.from({ length: inflight }, (_, lane) => Array.from({ length: roundCount }, (_, r) => r).filter((r) => r % inflight === lane));
    const clients = await Promise.all(lanes.map((_, lane) => RawClient.connect({ port: cluster.members[lane % cluster.members.length].broker.port })));
    const started = performance.now();
    let lastReport = started;
    let done = 0;
    const progress = setInterval(() => {
      const now = performance.now();
      if (now - lastReport >= 30_000) {
        lastReport = now;
        console.log(`  ... ${((now - started) / 1000).toFixed(0)} s, load ${load()}`);
      }
    }, 5_000);
    try {
      const commands = await Promise.all(lanes.map((rounds, lane) => churnLane(clients[lane], lane, rounds)));
      done = commands.reduce((a, b) => a + b, 0);
    } finally {
      clearInterval(progress);
      for (const c of clients) c.close();
    }
    const churnMs = performance.now() - started;
    const elections = cluster.members
      .flatMap((m) => m.broker.logs())
      .filter((l) => l.includes('became leader') && l.includes(`"group":"${metadataGroupName}"`)).length;
    console.log(
      `churn: ${fmt(done)} metadata commands in ${(churnMs / 1000).toFixed(1)} s = ${fmt(done / (churnMs / 1000))} commands/s; ` +
        `${retries} retried requests, metadata leader elected ${elections} times (load ${load()})`,
    );

    // 2. What the metadata takes on disk on every broker.
    await cluster.waitCaughtUp(metadataGroupName, CATCH_UP_TIMEOUT_MS);
    const remaining = await topicCount(cluster, 1);
    console.log(`topics left: ${remaining}`);
    for (const m of cluster.members) {
      const clusterDir = join(m.broker.dataDir, 'cluster');
      const logBytes = dirBytes(join(clusterDir, 'metadata'), (n) => n.endsWith('.log'));
      const allBytes = dirBytes(join(clusterDir, 'metadata'));
      const storeBytes = dirBytes(m.broker.dataDir, (n) => n.startsWith('runnel.db'));
      const g = await metadataStatus(cluster, m.nodeId);
      console.log(
        `broker ${m.nodeId}: metadata log ${kib(logBytes)} of segments (${kib(allBytes)} with indexes and raft.state), ` +
          `node store ${kib(storeBytes)}, entries ${g?.firstIndex}..${g?.lastIndex}`,
      );
    }

    // 3. A restarted broker: how soon does it serve Metadata with every topic?
    const leader = await cluster.leaderOf(metadataGroupName);
    const victim = cluster.members.find((m) => m.nodeId !== leader)!;
    const restartStarted = performance.now();
    await victim.broker.stop();
    const stoppedAt = performance.now();
    const restartWallMs = Date.now();
    const linesBefore = victim.broker.logs().length;
    await victim.broker.restart();
    const listeningMs = performance.now() - stoppedAt;
    while ((await topicCount(cluster, victim.nodeId).catch(() => -1)) !== remaining) {
      if (performance.now() - stoppedAt > CATCH_UP_TIMEOUT_MS) throw new Error('the restarted broker did not serve Metadata');
      await sleep(20);
    }
    const servingMs = performance.now() - stoppedAt;
    console.log(
      `restart of broker ${victim.nodeId}: SIGTERM took ${(stoppedAt - restartStarted).toFixed(0)} ms; from start to "listening" ${listeningMs.toFixed(0)} ms, ` +
        `to a full Metadata answer ${servingMs.toFixed(0)} ms (load ${load()})`,
    );
    console.log(`  its log: ${startupSteps(victim.broker.logs().slice(linesBefore), restartWallMs)}`);

    // 4. A wiped broker: catches up through a snapshot.
    const wiped = cluster.members.find((m) => m.nodeId !== leader && m !== victim) ?? victim;
    await wiped.broker.kill9();
    rmSync(wiped.broker.dataDir, { recursive: true, force: true });
    const wipedStart = performance.now();
    const wipedWallMs = Date.now();
    const wipedLinesBefore = wiped.broker.logs().length;
    await wiped.broker.restart();
    const wipedListeningMs = performance.now() - wipedStart;
    await cluster.waitCaughtUp(metadataGroupName, CATCH_UP_TIMEOUT_MS);
    while ((await topicCount(cluster, wiped.nodeId).catch(() => -1)) !== remaining) {
      if (performance.now() - wipedStart > CATCH_UP_TIMEOUT_MS) throw new Error('the wiped broker did not catch up');
      await sleep(20);
    }
    const wipedMs = performance.now() - wipedStart;
    const wipedLines = wiped.broker.logs().slice(wipedLinesBefore);
    const installed = wipedLines.filter((l) => l.includes('metadata snapshot installed')).length;
    const g = await metadataStatus(cluster, wiped.nodeId);
    console.log(
      `wiped broker ${wiped.nodeId}: "listening" after ${wipedListeningMs.toFixed(0)} ms, caught up after ${wipedMs.toFixed(0)} ms ` +
        `(snapshot installs logged: ${installed}; its log now holds entries ${g?.firstIndex}..${g?.lastIndex}) (load ${load()})`,
    );
    console.log(`  its log: ${startupSteps(wipedLines, wipedWallMs)}`);
  } finally {
    await cluster.stop();
  }
  if (stateTopics > 0) measureSnapshotCost();
  console.log(`load average after: ${load()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

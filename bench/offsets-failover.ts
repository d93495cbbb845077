// Coordinator failover after a long offset-commit history (issue 9).
//
//   npm run bench -- offsets-failover [--commits N] [--partitions P] [--repeat R] [--groups G]
//                                     [--failovers K] [--connections C] [--pipeline D]
//                                     [--stop kill9|term|sigstop]
//
// Starts three real brokers on 127.0.0.1 (test/helpers/cluster.ts, product defaults), creates a
// topic with P partitions (default 20, replication factor 3) and commits N offsets (default
// 1,000,000) for G groups (default 20) that all live in the same __consumer_offsets partition.
// Raw OffsetCommit requests list each of the P partitions R times (default 50) with rising
// offsets, so one request appends R × P commit records (1,000) in one Raft entry: a cluster
// commits a few hundred entries a second on two cores, and the history that a new coordinator
// would have to replay is the number of records, not of requests. (Kafka would keep only the
// last offset per partition of a request; Runnel writes each, the last one wins.) C connections
// (default 2) keep D requests in flight each (default 8); each is acknowledged once durable on a
// majority. A last sequential commit per group fixes the expected offsets, and the run waits (up
// to 60 s) until every replica has snapshotted and trimmed the partition at least once, as it
// would in production after 30 s. Then, K times (default 3): stop the coordinator (the partition's
// Raft leader) and measure the time until OffsetFetch answers every expected offset of the first
// group from the new coordinator (polled every 10 ms on every live broker over connections opened
// before the stop). --stop says how: kill9 (SIGKILL, the default: the process dies, its sockets
// close), term (SIGTERM: a clean shutdown), sigstop (SIGSTOP: the process hangs, its sockets stay
// open, as a frozen VM or a long GC pause would; it gets SIGCONT after the round). Per round it
// also prints what each surviving broker logged about the partition after the stop (peer
// disconnected, campaigning, became leader, loaded consumer groups), in ms since the stop. The
// stopped broker is restarted and caught up before the next round. It prints numbers; nothing
// asserts on speed.
// Issue 9 target: a coordinator failover after 1,000,000 offset commits takes under 1 s.

import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startCluster, type TestCluster } from '../test/helpers/cluster.ts';
import { ConnectionClosedError, RawClient } from './lib/raw-client.ts';
import { apiByKey, ApiKey } from '../src/protocol/apis/index.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS_DEFAULT, offsetsPartitionFor } from '../src/broker/group/offsets-topic.ts';

const { values: opts } = parseArgs({
  options: {
    commits: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '50' },
    groups: { type: 'string', default: '20' },
    failovers: { type: 'string', default: '3' },
    connections: { type: 'string', default: '2' },
    pipeline: { type: 'string', default: '8' },
    stop: { type: 'string', default: 'kill9' },
  },
  strict: true,
});
const STOP_MODES = ['kill9', 'term', 'sigstop'] as const;
type StopMode = (typeof STOP_MODES)[number];
const stopMode = opts.stop as StopMode;
if (!STOP_MODES.includes(stopMode)) {
  console.error(`--stop must be one of ${STOP_MODES.join(', ')}`);
  process.exit(2);
}
const { stop: _stop, ...counts } = opts;
const settings = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) as Record<keyof typeof counts, number>;
for (const [k, v] of Object.entries(settings)) {
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`--${k} must be a positive integer`);
    process.exit(2);
  }
}
const { commits: total, partitions: P, repeat: R, groups: G, failovers, connections: C, pipeline: D } = settings;
/** Commit records per request. */
const PER_REQUEST = P * R;

const TOPIC = 'bench-offsets';
/** How long one failover may take before the round is reported as failed. */
const FAILOVER_TIMEOUT_MS = 60_000;
const POLL_MS = 10;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long to wait for every replica's first snapshot and trim (the product interval is 30 s). */
const TRIM_WAIT_MS = 60_000;
const offsetCommit = apiByKey.get(ApiKey.OffsetCommit)!;
const offsetFetch = apiByKey.get(ApiKey.OffsetFetch)!;
const findCoordinator = apiByKey.get(ApiKey.FindCoordinator)!;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** G group ids that all map to the same __consumer_offsets partition as the first. */
function groupsInOnePartition(): { groups: string[]; index: number } {
  const index = offsetsPartitionFor('bench-offsets-0', OFFSETS_TOPIC_PARTITIONS_DEFAULT);
  const groups: string[] = [];
  for (let i = 0; groups.length < G && i < G * OFFSETS_TOPIC_PARTITIONS_DEFAULT * 10; i++) {
    const id = `bench-offsets-${i}`;
    if (offsetsPartitionFor(id, OFFSETS_TOPIC_PARTITIONS_DEFAULT) === index) groups.push(id);
  }
  return { groups, index };
}

/** One OffsetCommit: partition p gets offsetOf(p, r) for r = 0..repeat-1, in that order. */
function commitBody(groupId: string, repeat: number, offsetOf: (p: number, r: number) => number) {
  const partitions = [];
  for (let r = 0; r < repeat; r++) {
    for (let p = 0; p < P; p++) partitions.push({ partitionIndex: p, committedOffset: offsetOf(p, r), committedLeaderEpoch: -1, committedMetadata: null });
  }
  return { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions }] };
}

/** Coordinator errors a client retries after looking for the coordinator again. */
const RETRIABLE = new Set([14, 15, 16]); // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
/** Retries of one request before the run is given up. */
const RETRIES_MAX = 20;

/** A connection to whoever coordinates the groups now; replaced when the coordinator moves. */
class CoordinatorConnection {
  private client: Promise<RawClient>;
  constructor(
    private readonly cluster: TestCluster,
    private readonly raftGroup: string,
    private readonly clientId: string,
  ) {
    this.client = this.open();
  }

  private async open(): Promise<RawClient> {
    let leader = 0;
    await this.cluster.waitFor(
      `a leader of ${this.raftGroup}`,
      async () => {
        leader = await this.cluster.leaderOf(this.raftGroup);
        return leader > 0;
      },
      30_000,
    );
    return RawClient.connect({ port: this.cluster.member(leader).broker.port, clientId: this.clientId });
  }

  /** Sends one OffsetCommit, following the coordinator when it moves; returns the retries it took. */
  async commit(body: ReturnType<typeof commitBody>): Promise<number> {
    for (let attempt = 0; attempt <= RETRIES_MAX; attempt++) {
      const client = await this.client;
      let errorCode: number;
      try {
        const res = await withTimeout(client.request(offsetCommit, 7, body), REQUEST_TIMEOUT_MS, 'OffsetCommit');
        errorCode = res.topics[0].partitions.find((p: { errorCode: number }) => p.errorCode !== 0)?.errorCode ?? 0;
      } catch (err) {
        // Another worker replaced the connection under this request; it is sent again.
        if (!(err instanceof ConnectionClosedError)) throw err;
        errorCode = -1;
      }
      if (errorCode === 0) return attempt;
      if (errorCode > 0 && !RETRIABLE.has(errorCode)) throw new Error(`commit for ${body.groupId} failed with error ${errorCode}`);
      await sleep(200);
      // The first worker to notice replaces the connection; the others use the replacement.
      if ((await this.client) === client) {
        client.close();
        this.client = this.open();
      }
    }
    throw new Error(`commit for ${body.groupId} still failing after ${RETRIES_MAX} retries`);
  }

  async close(): Promise<void> {
    (await this.client).close();
  }
}

async function commitAll(
  cluster: TestCluster,
  raftGroup: string,
  groups: string[],
): Promise<{ seconds: number; retries: number; expected: Map<string, number[]> }> {
  const connections = Array.from({ length: C }, (_, c) => new CoordinatorConnection(cluster, raftGroup, `bench-offsets-${c}`));
  const requests = Math.ceil(total / PER_REQUEST);
  let next = 0;
  let retries = 0;
  const started = performance.now();
  let lastReport = started;
  await Promise.all(
    connections.flatMap((connection) =>
      Array.from({ length: D }, async () => {
        // Bounded by `requests`: every iteration takes the next request number.
        while (next < requests) {
          const k = next++;
          retries += await connection.commit(commitBody(groups[k % groups.length], R, (p, r) => (k * R + r) * P + p));
          const now = performance.now();
          if (now - lastReport > 5_000) {
            lastReport = now;
            console.log(`  ${fmt(k * PER_REQUEST)} offsets committed (${fmt((k * PER_REQUEST) / ((now - started) / 1000))}/s)`);
          }
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  // Pipelined commits of one group on two connections may land in either order: one last commit
  // per group, made alone, fixes what OffsetFetch must answer.
  const expected = new Map<string, number[]>();
  for (const [g, groupId] of groups.entries()) {
    const offsets = Array.from({ length: P }, (_, p) => 2_000_000_000 + g * P + p);
    retries += await connections[0].commit(commitBody(groupId, 1, (p) => offsets[p]));
    expected.set(groupId, offsets);
  }
  await Promise.all(connections.map((c) => c.close()));
  return { seconds, retries, expected };
}

/** OffsetFetch of partitions 0..count-1 of the benchmark topic: the top-level error and the offsets answered without error. */
async function fetchOffsets(client: RawClient, groupId: string, count: number): Promise<{ errorCode: number; offsets: Map<number, number> }> {
  const res = await withTimeout(
    client.request(offsetFetch, 7, { groupId, topics: [{ name: TOPIC, partitionIndexes: Array.from({ length: count }, (_, p) => p) }], requireStable: false }),
    1_000,
    'OffsetFetch',
  );
  if (res.errorCode !== 0) return { errorCode: res.errorCode, offsets: new Map() };
  const offsets = new Map<number, number>(
    res.topics[0].partitions
      .filter((p: { errorCode: number }) => p.errorCode === 0)
      .map((p: { partitionIndex: number; committedOffset: bigint | number }) => [p.partitionIndex, Number(p.committedOffset)]),
  );
  return { errorCode: 0, offsets };
}

/** True when `client`'s broker answers OffsetFetch for the group with exactly the expected offsets. */
async function answers(client: RawClient, groupId: string, expected: number[]): Promise<boolean> {
  const { errorCode, offsets } = await fetchOffsets(client, groupId, expected.length);
  return errorCode === 0 && expected.every((offset, p) => offsets.get(p) === offset);
}

/**
 * Every group, not just the timed one, must have survived: asks whoever coordinates now (the
 * coordinator may move again meanwhile, e.g. back to the preferred replica), retrying a
 * coordinator error for a bounded time; a wrong offset stops the run naming it.
 */
async function checkEveryGroup(cluster: TestCluster, raftGroup: string, victim: number, groups: string[], expected: Map<string, number[]>): Promise<void> {
  const deadline = performance.now() + FAILOVER_TIMEOUT_MS;
  for (const groupId of groups) {
    const want = expected.get(groupId)!;
    let lastError = -1;
    for (;;) {
      if (performance.now() > deadline) throw new Error(`${groupId}: no coordinator answered OffsetFetch (last error ${lastError})`);
      const leader = await cluster.leaderOf(raftGroup, [victim]);
      if (leader > 0) {
        const client = await RawClient.connect({ port: cluster.member(leader).broker.port, clientId: 'bench-offsets-check' });
        try {
          const { errorCode, offsets } = await fetchOffsets(client, groupId, want.length);
          lastError = errorCode;
          if (errorCode === 0) {
            const wrong = want.findIndex((offset, p) => offsets.get(p) !== offset);
            if (wrong >= 0)
              throw new Error(`broker ${leader} lost commits of ${groupId}: partition ${wrong} answered ${offsets.get(wrong)}, expected ${want[wrong]}`);
            break;
          }
        } catch (err) {
          if (!(err instanceof ConnectionClosedError) && !String((err as Error).message).includes('no answer in')) throw err;
        } finally {
          client.close();
        }
      }
      await sleep(100);
    }
  }
}

async function connectAll(cluster: TestCluster): Promise<Map<number, RawClient>> {
  const out = new Map<number, RawClient>();
  for (const m of cluster.members) {
    if (m.broker.alive()) out.set(m.nodeId, await RawClient.connect({ port: m.broker.port, clientId: 'bench-offsets-fetch' }));
  }
  return out;
}

interface Round {
  failoverMs: number;
  becameLeaderMs: number | null;
  loaded: Record<string, unknown> | null;
  /** What the surviving brokers logged about the partition and the stopped peer, in ms since the stop. */
  timeline: string[];
}

/** Log lines of the failover: the stopped peer's connection, the election, the load. */
const TIMELINE_MESSAGES = new Set([
  'peer disconnected',
  'leader unreachable: campaigning early',
  'campaigning',
  'became leader',
  'lost leadership',
  'loaded consumer groups',
]);
/** Lines of any group that delay this one too. */
const HOST_MESSAGES = new Set(['slow raft fsync', 'peer disconnected', 'peer connected']);
/** What the stopped broker itself logs (a clean stop). */
const VICTIM_MESSAGES = new Set(['handed leadership over before stopping']);

function timelineOf(cluster: TestCluster, raftGroup: string, victim: number, stoppedAtMs: number): string[] {
  const lines: Array<{ at: number; text: string }> = [];
  for (const m of cluster.members) {
    for (const l of m.broker.jsonLogs()) {
      const at = Date.parse(String(l.time)) - stoppedAtMs;
      if (at < 0) continue;
      const msg = String(l.msg);
      const ours =
        m.nodeId === victim
          ? VICTIM_MESSAGES.has(msg)
          : HOST_MESSAGES.has(msg) ||
            (TIMELINE_MESSAGES.has(msg) && (String(l.group ?? '').split('@')[0] === raftGroup || l.partition === raftGroup || l.peer === victim));
      if (!ours) continue;
      const detail = l.state
        ? ` (${l.state}, term ${l.term})`
        : l.term !== undefined
          ? ` (term ${l.term})`
          : l.records !== undefined
            ? ` (${l.records} records in ${l.turns ?? 1} turns, ${l.ms} ms)`
            : l.peer !== undefined && msg.startsWith('peer ')
              ? ` (peer ${l.peer}${l.reason ? `: ${l.reason}` : ''})`
              : l.syncMs !== undefined
                ? ` (${l.syncMs} ms, ${l.storages} storages)`
                : l.groups !== undefined
                  ? ` (${l.groups} groups${l.ms !== undefined ? `, ${l.withoutNewLeader} without a new leader after ${l.ms} ms` : ''})`
                  : '';
      lines.push({ at, text: `+${at} ms broker ${m.nodeId}: ${l.msg}${detail}` });
    }
  }
  return lines.sort((a, b) => a.at - b.at).map((l) => l.text);
}

/** Stops the coordinator as --stop says; returns a function that lets it run again (sigstop). */
async function stopVictim(cluster: TestCluster, victim: number): Promise<() => void> {
  const broker = cluster.member(victim).broker;
  switch (stopMode) {
    case 'kill9':
      await broker.kill9();
      return () => {};
    case 'term':
      // Not awaited: the clean shutdown and the failover overlap, as in a rolling restart.
      process.kill(broker.pid, 'SIGTERM');
      return () => {};
    case 'sigstop': {
      const pid = broker.pid;
      process.kill(pid, 'SIGSTOP');
      return () => process.kill(pid, 'SIGCONT');
    }
  }
}

async function failover(cluster: TestCluster, raftGroup: string, groups: string[], expected: Map<string, number[]>): Promise<Round> {
  const victim = await cluster.leaderOf(raftGroup);
  if (victim <= 0) throw new Error(`${raftGroup} has no leader`);
  const clients = await connectAll(cluster);
  clients.get(victim)?.close();
  clients.delete(victim);
  const [first] = groups;
  const stoppedAtMs = Date.now();
  const t0 = performance.now();
  const resume = await stopVictim(cluster, victim);
  let failoverMs = -1;
  while (performance.now() - t0 < FAILOVER_TIMEOUT_MS && failoverMs < 0) {
    const polls = [...clients.values()].map((client) => answers(client, first, expected.get(first)!).catch(() => false));
    if ((await Promise.all(polls)).some(Boolean)) failoverMs = performance.now() - t0;
    else await sleep(POLL_MS);
  }
  for (const client of clients.values()) client.close();
  if (failoverMs < 0) throw new Error(`no broker answered the committed offsets within ${FAILOVER_TIMEOUT_MS} ms`);
  const successor = await cluster.leaderOf(raftGroup, [victim]);
  const logs =
    successor > 0
      ? cluster
          .member(successor)
          .broker.jsonLogs()
          .filter((l) => Date.parse(String(l.time)) >= stoppedAtMs)
      : [];
  // The Raft group's wire name is `<topic>-<partition>@<topicId>` (src/partition/group-names.ts).
  const became = logs.find((l) => l.msg === 'became leader' && String(l.group).split('@')[0] === raftGroup);
  const loaded = logs.find((l) => l.msg === 'loaded consumer groups' && l.partition === raftGroup) ?? null;
  const timeline = timelineOf(cluster, raftGroup, victim, stoppedAtMs);
  await checkEveryGroup(cluster, raftGroup, victim, groups, expected);
  resume();
  await cluster.member(victim).broker.restart();
  await cluster.waitCaughtUp(raftGroup, 120_000);
  return { failoverMs, becameLeaderMs: became ? Date.parse(String(became.time)) - stoppedAtMs : null, loaded, timeline };
}

async function main(): Promise<void> {
  const { groups, index } = groupsInOnePartition();
  const raftGroup = `${OFFSETS_TOPIC}-${index}`;
  console.log(
    `offsets-failover: three brokers, ${fmt(total)} offset commits (${fmt(Math.ceil(total / PER_REQUEST))} OffsetCommit requests of ${P} partitions × ${R}) for ${groups.length} groups in ${raftGroup}, ${failovers} failover(s) by ${stopMode}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const cluster = await startCluster();
  try {
    const any = await RawClient.connect({ port: cluster.members[0].broker.port, clientId: 'bench-offsets-setup' });
    await any.createTopics([{ name: TOPIC, numPartitions: P, replicationFactor: 3 }], { timeoutMs: 30_000 });
    // The first FindCoordinator creates __consumer_offsets.
    await cluster.waitFor('__consumer_offsets', async () => (await any.request(findCoordinator, 2, { key: groups[0], keyType: 0 })).errorCode === 0, 30_000);
    any.close();
    await cluster.waitFor(`a leader of ${raftGroup}`, async () => (await cluster.leaderOf(raftGroup)) > 0, 30_000);
    // Leadership may still move to the preferred replica (every 5 s): commit once it settled.
    await sleep(6_000);
    const { seconds, retries, expected } = await commitAll(cluster, raftGroup, groups);
    console.log(
      `committed ${fmt(total)} offsets in ${seconds.toFixed(1)} s (${fmt(total / seconds)} offsets/s; ${retries} request(s) retried after the coordinator moved)`,
    );
    await cluster.waitCaughtUp(raftGroup, 120_000);
    const trims = (nodeId: number) =>
      cluster
        .member(nodeId)
        .broker.jsonLogs()
        .filter((l) => l.msg === 'consumer-group log trimmed behind its snapshot' && l.partition === raftGroup);
    await cluster
      .waitFor('every replica trims its log behind a snapshot', () => cluster.members.every((m) => trims(m.nodeId).length > 0), TRIM_WAIT_MS)
      .catch((err: Error) => console.log(`  ${err.message}`));
    for (const m of cluster.members)
      console.log(`  broker ${m.nodeId}: ${raftGroup} trimmed to offset ${trims(m.nodeId).at(-1)?.logStartOffset ?? '(not yet)'}`);
    const rounds: Round[] = [];
    for (let k = 0; k < failovers; k++) {
      const round = await failover(cluster, raftGroup, groups, expected);
      rounds.push(round);
      const l = round.loaded;
      console.log(
        `failover ${k + 1}: ${round.failoverMs.toFixed(0)} ms from ${stopMode} to OffsetFetch answering the committed offsets` +
          ` (new leader after ${round.becameLeaderMs ?? '?'} ms; load read ${l?.records ?? '?'} records from offset ${l?.replayedFrom ?? '?'} in ${l?.ms ?? '?'} ms, log start ${l?.logStartOffset ?? '?'}, high watermark ${l?.highWatermark ?? '?'})`,
      );
      for (const line of round.timeline) console.log(`    ${line}`);
    }
    const sorted = rounds.map((r) => r.failoverMs).sort((a, b) => a - b);
    console.log(`failover: median ${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
    // How far each replica's consumer-group state had come at each snapshot (a follower that lags shows here).
    for (const m of cluster.members) {
      const snaps = m.broker.jsonLogs().filter((l) => l.msg === 'consumer-group snapshot written' && l.partition === raftGroup);
      console.log(
        `  broker ${m.nodeId} snapshots (covered offset): ${snaps.map((l) => `${String(l.time).slice(11, 19)} ${String(l.coveredOffset)}`).join(', ') || 'none'}`,
      );
    }
    // Warnings about the partition (a follower that stopped following shows here), once per broker and message.
    for (const m of cluster.members) {
      const seen = new Set<string>();
      for (const l of m.broker.jsonLogs()) {
        if (!['warn', 'error', 'fatal'].includes(String(l.level)) || l.partition !== raftGroup || seen.has(String(l.msg))) continue;
        seen.add(String(l.msg));
        console.log(`  broker ${m.nodeId} warned: ${String(l.msg)}${l.err ? ` (${JSON.stringify(l.err).slice(0, 300)})` : ''}`);
      }
    }
  } finally {
    await cluster.stop();
    console.log(
      `load average after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  }
}

await main();

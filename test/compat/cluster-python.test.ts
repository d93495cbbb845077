// Python confluent-kafka 1.7 (librdkafka 2.0.2) against a three-broker cluster (issue 5):
// - KIP-98: a Producer with enable.idempotence=true and acks=all whose partition leader is killed
//   with kill -9 mid-stream (at a third, and the next leader at two thirds) and restarted: every
//   record with a successful delivery report is stored, none twice, in produce order with no gap,
//   and at the offset its delivery report named;
// - Consumer.subscribe() with synchronous commits: after kill -9 of the group's coordinator (the
//   leader of its __consumer_offsets partition), the next member continues exactly after the last
//   commit, while the old coordinator is down (Kafka's committed-position rule).
// Scripts live in test/compat/python/ and run with Debian's /usr/bin/python3.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { createTopic, readAllRecords } from '../helpers/cluster-clients.ts';
import { describeRun, requireExecutable, run, type RunResult } from '../helpers/run.ts';
import { OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS_DEFAULT, offsetsPartitionFor } from '../../src/broker/group/offsets-topic.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));

before(async () => {
  requireExecutable(PYTHON, 'install python3 (Debian)');
  const probe = await run(PYTHON, ['-c', 'import confluent_kafka']);
  assert.equal(probe.code, 0, `python3-confluent-kafka is missing (install the Debian package; .ci/run does):\n${probe.stderr}`);
});

interface PyResult {
  r: RunResult;
  /** The last stdout line as JSON, or null. */
  out: any;
  describe: string;
}

/**
 * Runs a script under test/compat/python with a hard time limit, calling `onLine` for every
 * stdout line as it arrives (progress), and parses the last line as the script's JSON result.
 */
function py(script: string, args: string[], timeoutMs: number, onLine?: (line: string) => void): Promise<PyResult> {
  const full = [join(SCRIPTS, script), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, full, { env: { ...process.env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        onLine?.(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // librdkafka debug output is chatty: keep the tail only.
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    child.once('error', reject);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const r: RunResult = { code, signal, stdout, stderr, timedOut };
      let out: any = null;
      try {
        out = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        out = null;
      }
      resolve({ r, out, describe: describeRun(PYTHON, full, r, 6000) });
    });
  });
}

async function withCluster(body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await startCluster();
  try {
    await body(cluster);
  } finally {
    await cluster.stop();
  }
}

test('KIP-98: librdkafka enable.idempotence=true, acks=all, kill -9 of the partition leader mid-stream (twice): every delivered record stored once, in order, no gaps', () =>
  withCluster(async (cluster) => {
    const topic = 'py-cluster-idempotent';
    const total = 12_000;
    const group = `${topic}-0`;
    await createTopic(cluster, topic, 1);

    // At a third and at two thirds of the delivery reports, the partition's leader of the moment is
    // killed with kill -9 and started again at once. The kill lands 0-8 ms after the progress
    // line, so it falls at varying points of a write in flight: sometimes after the followers
    // stored it but before the client heard, which makes librdkafka retry a batch that is already
    // in the log (the duplicate KIP-98 must answer with its first offsets, not append again).
    const thresholds = [total / 3, (2 * total) / 3];
    const victims: number[] = [];
    let chain: Promise<void> = Promise.resolve();
    const killLeader = async () => {
      await new Promise((r) => setTimeout(r, Math.random() * 8));
      const leader = await cluster.leaderOf(group);
      if (leader <= 0) throw new Error(`${group} has no leader to kill`);
      victims.push(leader);
      await cluster.member(leader).broker.kill9();
      await cluster.member(leader).broker.restart();
    };
    // 50 records every 10 ms: a few seconds of produce around the two failovers.
    const prod = await py('cluster_idempotent_producer.py', [cluster.bootstrap, topic, String(total), '1', '50', '0.01'], 90_000, (line) => {
      const m = /^delivered (\d+)$/.exec(line);
      if (m && thresholds.length > 0 && Number(m[1]) >= thresholds[0]) {
        thresholds.shift();
        chain = chain.then(killLeader);
      }
    });
    await chain;
    assert.equal(victims.length, 2, `the leader was killed twice mid-stream\n${prod.describe}`);
    assert.equal(prod.r.code, 0, prod.describe);
    assert.deepEqual(prod.out.errors, [], prod.describe);
    const delivered = prod.out.delivered as Array<[number, number, number]>;
    assert.equal(delivered.length, total, `every record was delivered\n${prod.describe}`);

    await cluster.waitCaughtUp(group);
    const records = await readAllRecords(cluster, topic, 0);
    const values = records.map((r) => Number(r.value!.toString()));
    assert.equal(new Set(values).size, values.length, `no record is stored twice (killed ${victims.join(', ')})`);
    const stored = new Set(values);
    const lost = delivered.filter(([v]) => !stored.has(v)).map(([v]) => v);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} delivered records are missing`);
    // No gaps: the delivered records are the sequence 0..total-1, stored in produce order.
    assert.deepEqual(
      values,
      Array.from({ length: total }, (_, i) => i),
      'stored in produce order, no gap',
    );
    // A retried batch is answered with its original offset: each delivery report names where the record is.
    const offsetOf = new Map(records.map((r) => [Number(r.value!.toString()), r.offset]));
    const misplaced = delivered.filter(([v, , offset]) => offsetOf.get(v) !== offset);
    assert.deepEqual(misplaced.slice(0, 10), [], `${misplaced.length} delivery reports name another offset than the record's`);
  }));

test('Consumer.subscribe() with commits: after kill -9 of the group coordinator, the next member continues exactly after the last commit', () =>
  withCluster(async (cluster) => {
    const topic = 'py-cluster-group';
    const group = 'py-cluster-g';
    await createTopic(cluster, topic, 3);
    const prod = await py('cluster_idempotent_producer.py', [cluster.bootstrap, topic, '60', '3', '60', '0'], 30_000);
    assert.equal(prod.r.code, 0, prod.describe);

    type Rec = [number, number, string];
    const first = await py('groups_consumer.py', [cluster.bootstrap, group, topic, '25'], 40_000);
    assert.equal(first.r.code, 0, first.describe);
    assert.deepEqual(first.out.errors, [], first.describe);

    const raftGroup = `${OFFSETS_TOPIC}-${offsetsPartitionFor(group, OFFSETS_TOPIC_PARTITIONS_DEFAULT)}`;
    const coordinator = await cluster.leaderOf(raftGroup);
    assert.ok(coordinator > 0, `${raftGroup} has a leader`);
    await cluster.member(coordinator).broker.kill9();

    const second = await py('groups_consumer.py', [cluster.bootstrap, group, topic, '35'], 45_000);
    assert.ok(!cluster.member(coordinator).broker.alive(), 'the old coordinator stayed down');
    assert.equal(second.r.code, 0, second.describe);
    const a = first.out.records as Rec[];
    const b = second.out.records as Rec[];
    const key = (r: Rec) => `${r[0]}:${r[1]}`;
    const again = a.map(key).filter((k) => b.map(key).includes(k));
    assert.deepEqual(again, [], `nothing committed is consumed again\n${second.describe}`);
    assert.deepEqual(
      [...a, ...b].map((r) => Number(r[2])).sort((x, y) => x - y),
      Array.from({ length: 60 }, (_, i) => i),
      'every record consumed by one of the two',
    );
    for (let p = 0; p < 3; p++) {
      // Record i went to partition i % 3: together, in order, the two members read each of its records once.
      const inOrder = [...a, ...b].filter((r) => r[0] === p).map((r) => Number(r[2]));
      assert.deepEqual(
        inOrder,
        Array.from({ length: 20 }, (_, i) => p + 3 * i),
        `partition ${p}: the second member goes on where the first one stopped`,
      );
      const firstCommit = Number(first.out.committed[String(p)]);
      const head = b.find((r) => r[0] === p);
      const lastOfFirst = a.filter((r) => r[0] === p).at(-1);
      // librdkafka commits the offset after the last record processed; the next member starts there.
      if (lastOfFirst) assert.equal(firstCommit, lastOfFirst[1] + 1, `partition ${p}: the first member's commit\n${first.describe}`);
      if (lastOfFirst && head) assert.equal(head[1], firstCommit, `partition ${p}: the second member starts at the committed offset`);
      const lastOfSecond = b.filter((r) => r[0] === p).at(-1);
      if (lastOfSecond) assert.equal(Number(second.out.committed[String(p)]), lastOfSecond[1] + 1, `partition ${p}: the second member's commit`);
    }

    await cluster.member(coordinator).broker.restart();
    await cluster.waitCaughtUp(raftGroup);
  }));

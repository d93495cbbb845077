// kcat 1.7.1 (librdkafka 2.0.2) against a three-broker cluster (issue 4): records produced
// with acks=all and enable.idempotence (KIP-98) while the partition leader is killed with
// kill -9 are all delivered, and a consumer bootstrapped through another broker reads each of
// them exactly once. librdkafka follows the new leader by itself (NOT_LEADER_OR_FOLLOWER ->
// metadata refresh), which is what users meet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCluster } from '../helpers/cluster.ts';
import { requireExecutable, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const RECORDS = 10_000;

test('kcat: kill -9 of the partition leader while producing with acks=all loses nothing and duplicates nothing', async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  const cluster = await startCluster();
  try {
    const topic = 'kcat-failover';
    const first = cluster.members[0].broker.bootstrap;
    // The first record auto-creates the topic with replication factor 3 (the default, capped by 3 brokers).
    const created = await run(KCAT, ['-b', first, '-t', topic, '-P', '-X', 'acks=all'], { input: '0\n', timeoutMs: 30_000 });
    assert.equal(created.code, 0, created.stderr);
    await cluster.waitFor('a leader', async () => (await cluster.leaderOf(`${topic}-0`)) > 0);
    const victim = await cluster.leaderOf(`${topic}-0`);

    const producer = spawn(KCAT, ['-b', first, '-t', topic, '-P', '-X', 'acks=all', '-X', 'enable.idempotence=true', '-X', 'message.timeout.ms=60000'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    producer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => producer.once('close', (code) => resolve(code)));
    // Paced writes (about 2.5 s in all) so the kill lands mid-stream.
    for (let i = 1; i <= RECORDS; i++) {
      producer.stdin.write(`${i}\n`);
      if (i % 400 === 0) await new Promise((r) => setTimeout(r, 100));
      if (i === RECORDS / 4) await cluster.member(victim).broker.kill9();
    }
    producer.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 90_000)))]);
    clearTimeout(timer);
    if (code === 'timeout') producer.kill('SIGKILL');
    assert.equal(code, 0, `kcat producer: ${stderr}`);
    assert.doesNotMatch(stderr, /Delivery failed/, stderr);

    // Consume through a broker that is not the killed one.
    const other = cluster.members.find((m) => m.nodeId !== victim)!.broker.bootstrap;
    const consumed = await run(KCAT, ['-b', other, '-t', topic, '-C', '-e', '-q', '-o', 'beginning'], { timeoutMs: 60_000 });
    assert.equal(consumed.code, 0, consumed.stderr);
    const values = consumed.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
    assert.equal(new Set(values).size, values.length, 'no record twice');
    const have = new Set(values);
    const missing: number[] = [];
    for (let i = 0; i <= RECORDS; i++) if (!have.has(i)) missing.push(i);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} delivered records missing`);

    await cluster.member(victim).broker.restart();
    await cluster.waitCaughtUp(`${topic}-0`);
  } finally {
    await cluster.stop();
  }
});

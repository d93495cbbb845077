// Python confluent-kafka 1.7 (librdkafka 2.0.2) consumer groups and idempotent producer:
// - Consumer.subscribe() with synchronous commits: a second member of the group continues exactly
//   after the first one's last commit, also after the broker restarted;
// - Producer with enable.idempotence=true while the broker is killed (SIGKILL) and restarted: every
//   record lands once, in order (KIP-98).
// Scripts live in test/compat/python/groups_*.py and run with Debian's /usr/bin/python3.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { RawRecordReader } from '../helpers/read-back.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
let broker: BrokerHandle;

before(async () => {
  requireExecutable(PYTHON, 'install python3 (Debian)');
  const probe = await run(PYTHON, ['-c', 'import confluent_kafka']);
  assert.equal(probe.code, 0, `python3-confluent-kafka is missing (install the Debian package; .ci/run does):\n${probe.stderr}`);
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

async function py(script: string, args: string[], timeoutMs = 60_000) {
  const full = [join(SCRIPTS, script), ...args];
  const r = await run(PYTHON, full, { timeoutMs, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const describe = describeRun(PYTHON, full, r, 6000);
  let out: any = null;
  const last = r.stdout.trim().split('\n').pop();
  try {
    out = last ? JSON.parse(last) : null;
  } catch {
    out = null;
  }
  return { r, out, describe };
}

test('Consumer.subscribe() with commits: the next member continues exactly after the last commit, across a broker restart', async () => {
  const topic = 'py-group';
  const client = await RawClient.connect({ port: broker.port });
  try {
    await client.createTopics([{ name: topic, numPartitions: 3 }]);
    await client.waitForLeaders([topic]);
    for (let p = 0; p < 3; p++) {
      const records = Array.from({ length: 20 }, (_, i) => ({ value: `${p}-${i}` }));
      assert.equal((await client.produce(topic, p, buildRecordBatch({ records }))).errorCode, 0);
    }
  } finally {
    client.close();
  }
  const first = await py('groups_consumer.py', [broker.bootstrap, 'py-g', topic, '25']);
  assert.equal(first.r.code, 0, first.describe);
  assert.deepEqual(first.out.assigned, [0, 1, 2], first.describe);
  assert.deepEqual(first.out.errors, []);

  await broker.restart();

  const second = await py('groups_consumer.py', [broker.bootstrap, 'py-g', topic, '35']);
  assert.equal(second.r.code, 0, second.describe);
  const key = (r: [number, number, string]) => `${r[0]}:${r[1]}`;
  const a = (first.out.records as Array<[number, number, string]>).map(key);
  const b = (second.out.records as Array<[number, number, string]>).map(key);
  assert.deepEqual(
    a.filter((k) => b.includes(k)),
    [],
    'nothing committed is consumed again',
  );
  assert.equal(new Set([...a, ...b]).size, 60, 'every record is consumed by one of the two');
  assert.deepEqual(second.out.committed, { 0: 20, 1: 20, 2: 20 }, second.describe);
});

test('KIP-98: librdkafka enable.idempotence=true across a broker SIGKILL and restart leaves no duplicates and no gaps', async () => {
  const topic = 'py-idempotent';
  const client = await RawClient.connect({ port: broker.port });
  try {
    await client.createTopics([{ name: topic, numPartitions: 1 }]);
    await client.waitForLeaders([topic]);
  } finally {
    client.close();
  }
  const total = 400;
  const producing = py('groups_idempotent_producer.py', [broker.bootstrap, topic, String(total), '0.005'], 120_000);
  await new Promise((r) => setTimeout(r, 1_000));
  await broker.kill9();
  await new Promise((r) => setTimeout(r, 300));
  await broker.restart();
  const prod = await producing;
  assert.equal(prod.r.code, 0, prod.describe);
  assert.equal(prod.out.delivered, total, prod.describe);

  const reader = await RawRecordReader.connect(broker.port);
  try {
    const records = await reader.read(topic, 0, { fromOffset: 0, toEnd: true, timeoutMs: 10_000 });
    const values = records.map((r) => Number(r.value!.toString()));
    assert.deepEqual(
      values,
      Array.from({ length: total }, (_, i) => i),
      `each record once, in order\n${prod.describe}`,
    );
  } finally {
    await reader.close();
  }
});

// kcat 1.7 (librdkafka 2.0.2) balanced consumer groups (-G): two members split a topic and
// together read every record once; a later run of the group reads only what is new, because the
// offsets librdkafka committed on the way out are durable on the broker (also across a restart).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
let broker: BrokerHandle;

before(async () => {
  requireExecutable(KCAT, 'install kcat (Debian); .ci/run does');
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

/** One -G member that exits at the end of its partitions; returns "partition offset value" lines. */
async function member(group: string, topic: string): Promise<string[]> {
  const args = ['-b', broker.bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%p %o %s\\n', topic];
  const r = await run(KCAT, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(KCAT, args, r, 4000));
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

async function produce(topic: string, from: number, n: number): Promise<void> {
  const input = `${Array.from({ length: n }, (_, i) => `k${from + i}:v${from + i}`).join('\n')}\n`;
  const args = ['-b', broker.bootstrap, '-P', '-t', topic, '-K:'];
  const r = await run(KCAT, args, { input, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(KCAT, args, r, 4000));
}

test('kcat -G: two members read every record once between them; the group resumes at its committed offsets after a restart', async () => {
  const topic = 'kcat-group';
  // kcat relies on auto-creation; the broker default of partitions applies.
  await produce(topic, 0, 40);
  const [a, b] = await Promise.all([member('kg', topic), member('kg', topic)]);
  const values = [...a, ...b].map((l) => l.split(' ')[2]).sort();
  assert.equal(values.length, 40, `a: ${a.length} lines, b: ${b.length} lines`);
  assert.equal(new Set(values).size, 40, 'no record read twice');

  await broker.restart();
  await produce(topic, 40, 10);
  const again = await member('kg', topic);
  assert.deepEqual(again.map((l) => l.split(' ')[2]).sort(), Array.from({ length: 10 }, (_, i) => `v${40 + i}`).sort());
});

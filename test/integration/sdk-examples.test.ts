// issue 13: the SDK examples in examples/ run as a user runs them (`node --import tsx
// examples/x.ts`, importing the package as `runnel`) against a real broker, and print what
// they promise: the admin example creates and describes the topic, the producer example
// sends to it and prints partition@offset for each record, same key on the same partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPartition } from '../../src/client/partitioner.ts';
import { REPO_ROOT } from '../helpers/broker-process.ts';
import { describeRun, run } from '../helpers/run.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const sdk = useSdkBroker();

async function example(name: string, args: string[]) {
  const argv = ['--import', 'tsx', `examples/${name}.ts`, ...args];
  const r = await run(process.execPath, argv, { cwd: REPO_ROOT, env: { ...process.env, RUNNEL_BOOTSTRAP: sdk.bootstrap }, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(process.execPath, argv, r));
  return r.stdout.trim().split('\n');
}

test('examples/admin.ts then examples/producer.ts against a real broker', async () => {
  const adminOut = await example('admin', ['ex-orders']);
  assert.equal(adminOut[0], 'created ex-orders');
  assert.equal(adminOut.filter((l) => /^ex-orders\/\d leader \d+ replicas/.test(l)).length, 3);
  assert.ok(adminOut.includes('retention.ms=86400000'), adminOut.join('\n'));
  assert.match(adminOut.at(-1)!, new RegExp(`^cluster \\S+: \\d+@127\\.0\\.0\\.1:${sdk.broker.port}$`));
  assert.equal((await example('admin', ['ex-orders']))[0], 'ex-orders exists already');

  const producerOut = await example('producer', ['ex-orders']);
  const partitions = ['alice', 'bob', 'carol', 'alice'].map((k) => keyPartition(Buffer.from(k), 3));
  assert.deepEqual(
    producerOut.map((l) => l.replace(/@\d+$/, '')),
    partitions.map((p) => `ex-orders/${p}`),
  );
});

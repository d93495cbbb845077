// issue 13: examples/consumer.ts and examples/tail.ts run as a user runs them (`node --import tsx
// examples/x.ts`) against a real broker and print what they promise: the group consumer prints
// every record and its assignment; tail prints only records written after it started, and
// stops cleanly on Ctrl-C (SIGINT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../helpers/broker-process.ts';
import { describeRun, run } from '../helpers/run.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const sdk = useSdkBroker();

test('examples/consumer.ts reads a topic in a group: its assignment, then every record', async () => {
  await createTopic(sdk.cluster, 'ex-consume', 2);
  await produceTo(sdk.cluster, 'ex-consume', 0, [
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
  ]);
  await produceTo(sdk.cluster, 'ex-consume', 1, [{ key: 'c', value: '3' }]);
  const argv = ['--import', 'tsx', 'examples/consumer.ts', 'ex-consume', 'ex-group', '3'];
  const r = await run(process.execPath, argv, { cwd: REPO_ROOT, env: { ...process.env, RUNNEL_BOOTSTRAP: sdk.bootstrap }, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(process.execPath, argv, r));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'assigned ex-consume[0,1]');
  assert.deepEqual(lines.filter((l) => l.startsWith('ex-consume/')).sort(), ['ex-consume/0@0 a:1', 'ex-consume/0@1 b:2', 'ex-consume/1@0 c:3']);
  assert.equal(lines.at(-1), 'revoked ex-consume[0,1]', 'close leaves the group, revoking (and committing) first');
});

test('examples/tail.ts prints records written after it started, and exits 0 on SIGINT', async () => {
  await createTopic(sdk.cluster, 'ex-tail', 2);
  await produceTo(sdk.cluster, 'ex-tail', 0, [{ key: 'old', value: 'before' }]);
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/tail.ts', 'ex-tail'], {
    cwd: REPO_ROOT,
    env: { ...process.env, RUNNEL_BOOTSTRAP: sdk.bootstrap },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('tailing ex-tail (2 partitions)'), `tail to start; output: ${out}`, 30_000, 20);
    // The partitions start at their end once ListOffsets answers; write until the tail sees a record.
    for (let i = 0; i < 100 && !out.includes(':after'); i++) {
      await produceTo(sdk.cluster, 'ex-tail', 1, [{ key: `k${i}`, value: 'after' }]);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out, /Z 1@\d+ k\d+:after/);
    assert.ok(!out.includes('before'), 'a record written before the tail started is not printed');
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
  }
});

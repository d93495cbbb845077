// issue 13: `runnel consume` and `runnel tail` against a real broker (run in-process through
// runRunnel, as ./runnel runs it): start positions (--from-beginning, --offset, --from-timestamp,
// the end by default), --max-messages, --timeout-ms, key:value lines and --json, --group resuming
// at its commits, and errors that say what to do (exit 1), usage mistakes (exit 2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../src/client/cluster.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';
import { type BrokerHandle, startBroker } from '../helpers/broker-process.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';

let broker: BrokerHandle;
let cluster: Cluster;
before(async () => {
  broker = await startBroker();
  cluster = new Cluster({ bootstrap: [broker.bootstrap] });
  await createTopic(cluster, 'cli-c', 2);
  await produceTo(cluster, 'cli-c', 0, [
    { key: 'a', value: '1', timestamp: 1_000 },
    { key: 'b', value: '2', timestamp: 2_000, headers: [{ key: 'h', value: 'x' }] },
  ]);
  await produceTo(cluster, 'cli-c', 1, [{ key: null, value: '3', timestamp: 3_000 }]);
});
after(async () => {
  await cluster?.close();
  await broker?.stop();
});

const runnel = (...args: string[]) => runnelInProcess(args, { ...process.env, RUNNEL_BOOTSTRAP: broker.bootstrap });
const lines = (s: string) => s.trim().split('\n').filter(Boolean).sort();

test('consume --from-beginning prints key:value lines and exits when nothing arrives for --timeout-ms', async () => {
  const r = await runnel('consume', 'cli-c', '--from-beginning', '--timeout-ms', '1500');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [':3', 'a:1', 'b:2']);
});

test('consume --offset N --max-messages 1 --json; --from-timestamp; the end by default', async () => {
  const r = await runnel('consume', 'cli-c', '--offset', '1', '--max-messages', '1', '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { topic: 'cli-c', partition: 0, offset: 1, timestamp: 2_000, key: 'b', value: '2', headers: { h: 'x' } });
  const byTime = await runnel('-b', broker.bootstrap, 'consume', 'cli-c', '--from-timestamp', '1500', '--timeout-ms', '1500');
  assert.deepEqual(lines(byTime.stdout), [':3', 'b:2']);
  const fromEnd = await runnel('consume', 'cli-c', '--timeout-ms', '1000');
  assert.equal(fromEnd.code, 0, fromEnd.stderr);
  assert.equal(fromEnd.stdout, '', 'by default only records written after the start');
});

test('consume --group resumes at the commits of what it printed', async () => {
  const first = await runnel('consume', 'cli-c', '--group', 'cli-g', '--from-beginning', '--max-messages', '3');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(lines(first.stdout).length, 3);
  await produceTo(cluster, 'cli-c', 1, [{ key: 'd', value: '4' }]);
  const second = await runnel('consume', 'cli-c', '--group', 'cli-g', '--from-beginning', '--timeout-ms', '2500');
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(lines(second.stdout), ['d:4']);
});

test('a missing topic says how to create it (exit 1); conflicting flags are usage mistakes (exit 2)', async () => {
  const missing = await runnel('consume', 'nope', '--timeout-ms', '100');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /topic nope does not exist: create it with `runnel topic create nope`/);
  const both = await runnel('consume', 'cli-c', '--group', 'g', '--offset', '3');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--offset and --from-timestamp do not apply/);
  const help = await runnel('tail', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /runnel tail orders/);
});

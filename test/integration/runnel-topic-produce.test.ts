// issue 13: `runnel topic ...` and `runnel produce` (built on the SDK) as users type them,
// against a real broker: create with partitions and topic configs, list, describe, config
// --set/--unset, add-partitions, delete; produce lines with keys (kcat's -K), headers and a
// codec, read back through the SDK; and errors that say what to do next, with exit code 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runRunnel } from '../../src/cli/runnel/main.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { keyPartition } from '../../src/client/partitioner.ts';
import { type BrokerHandle, REPO_ROOT, startBroker } from '../helpers/broker-process.ts';
import { describeRun, run } from '../helpers/run.ts';
import { readPartition } from '../helpers/sdk-read-back.ts';

const RUNNEL = `${REPO_ROOT}runnel`;
let broker: BrokerHandle;
before(async () => {
  broker = await startBroker();
});
after(async () => {
  await broker?.stop();
});

/** `runnel` in this process (runRunnel, as bin/runnel calls it): fast enough to run many commands. */
async function runnelHere(args: string[], expectCode = 0) {
  let stdout = '';
  let stderr = '';
  const code = await runRunnel(args, { ...process.env, RUNNEL_BOOTSTRAP: broker.bootstrap }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  assert.equal(code, expectCode, `runnel ${args.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  return { stdout, stderr };
}

/** The real `./runnel` executable in a child process. */
async function runnel(args: string[], input?: string, expectCode = 0) {
  const r = await run(RUNNEL, args, { input, env: { ...process.env, RUNNEL_BOOTSTRAP: broker.bootstrap }, cwd: REPO_ROOT, timeoutMs: 60_000 });
  assert.equal(r.code, expectCode, describeRun(RUNNEL, args, r));
  return r;
}

test('runnel topic create, list, describe, config, add-partitions, delete', async () => {
  assert.match(
    (await runnelHere(['topic', 'create', 'cli-orders', '--partitions', '3', '--topic-config', 'retention.ms=3600000'])).stdout,
    /created topic cli-orders/,
  );
  const again = await runnelHere(['topic', 'create', 'cli-orders'], 1);
  assert.match(again.stderr, /TOPIC_ALREADY_EXISTS.*runnel topic describe cli-orders/);
  assert.match((await runnel(['topic', 'list'])).stdout, /cli-orders\s+3\s+1/, 'the ./runnel executable');
  const described = await runnelHere(['topic', 'describe', 'cli-orders']);
  assert.match(described.stdout, /partitions 3/);
  assert.match(described.stdout, /retention\.ms=3600000/);
  const json = JSON.parse((await runnelHere(['--json', 'topic', 'describe', 'cli-orders'])).stdout);
  assert.equal(json.partitions.length, 3);
  await runnelHere(['topic', 'config', 'cli-orders', '--set', 'retention.ms=7200000,cleanup.policy=compact']);
  await runnelHere(['topic', 'config', 'cli-orders', '--unset', 'cleanup.policy']);
  const configs = JSON.parse((await runnelHere(['topic', 'config', 'cli-orders', '--json'])).stdout) as { name: string; value: string; isDefault: boolean }[];
  assert.equal(configs.find((c) => c.name === 'retention.ms')?.value, '7200000');
  assert.equal(configs.find((c) => c.name === 'cleanup.policy')?.isDefault, true);
  assert.match((await runnelHere(['topic', 'add-partitions', 'cli-orders', '--partitions', '4'])).stdout, /has 4 partitions/);
  const shrink = await runnelHere(['topic', 'add-partitions', 'cli-orders', '--partitions', '2'], 1);
  assert.match(shrink.stderr, /INVALID_PARTITIONS/);
  await runnelHere(['topic', 'delete', 'cli-orders']);
  const gone = await runnelHere(['topic', 'describe', 'cli-orders'], 1);
  assert.match(gone.stderr, /UNKNOWN_TOPIC_OR_PARTITION.*runnel topic create cli-orders/);
  assert.match((await runnelHere(['topic', 'create', 'x', '--topic-config', 'nonsense'], 2)).stderr, /is not NAME=VALUE/);
});

test('runnel produce: lines with keys, headers and a codec land on the key partitions', async (t) => {
  await runnelHere(['topic', 'create', 'cli-produce', '--partitions', '3']);
  const lines = Array.from({ length: 50 }, (_, i) => `key-${i % 5}:value ${i}`);
  const out = await runnel(['produce', 'cli-produce', '-K', ':', '--header', 'source=cli', '--compression', 'lz4'], `${lines.join('\n')}\nno key here\n`);
  assert.match(out.stdout, /produced 51 record\(s\) of 51 line\(s\) to cli-produce/);
  const cluster = new Cluster({ bootstrap: [broker.bootstrap] });
  t.after(() => cluster.close());
  const all = [];
  for (const p of [0, 1, 2]) {
    const back = await readPartition(cluster, 'cli-produce', p);
    for (const r of back.records) {
      all.push(r);
      if (r.key) assert.equal(p, keyPartition(r.key, 3), `key ${r.key} on its murmur2 partition`);
      assert.deepEqual(
        r.headers.map((h) => `${h.key}=${h.value}`),
        ['source=cli'],
      );
    }
    if (back.records.length > 0)
      assert.ok(
        back.codecs.every((c) => c === 3),
        'lz4',
      );
  }
  assert.equal(all.length, 51);
  assert.ok(all.some((r) => r.key === null && r.value?.toString() === 'no key here'));
  const missing = await runnel(['produce', 'cli-nope'], 'x\n', 1);
  assert.match(missing.stderr, /topic cli-nope does not exist: create it with `runnel topic create cli-nope`/);
  assert.match((await runnel(['produce', 'cli-produce', '--acks', '2'], '', 2)).stderr, /--acks/);
});

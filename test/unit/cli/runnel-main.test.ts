// `runnel` dispatch (src/cli/runnel/main.ts): --help with an example on every command, the
// documented exit codes (0 done, 1 cluster unreachable or refused, 2 usage), and where the
// cluster is found: --bootstrap, RUNNEL_BOOTSTRAP, --config, default 127.0.0.1:9092.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, runRunnel } from '../../../src/cli/runnel/main.ts';
import { Target } from '../../../src/cli/runnel/target.ts';
import { freePort } from '../../helpers/broker-process.ts';

async function runnel(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runRunnel(argv, env, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('issue 13: --help on every command prints its usage and an example, exit 0', async () => {
  assert.ok(COMMANDS.length >= 5);
  for (const command of COMMANDS) {
    for (const argv of [[...command.path, '--help'], ['-h', ...command.path], ['help', ...command.path]]) {
      const r = await runnel(argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.stdout, new RegExp(`^usage: runnel ${command.path.join(' ')}`), argv.join(' '));
      assert.match(r.stdout, /\nExamples:\n {2}runnel /, argv.join(' '));
      assert.match(r.stdout, /Exit codes: 0 done; 1 .*\n2 /, argv.join(' '));
    }
  }
  for (const argv of [['--help'], ['help'], ['cluster', '--help']]) {
    const r = await runnel(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.match(r.stdout, /cluster status {2,}members/, argv.join(' '));
  }
});

test('usage mistakes exit 2 and say what to do next', async () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['cluster'], /"cluster" needs a command/],
    [['clustr', 'status'], /unknown command "clustr"/],
    [['cluster', 'statuz'], /unknown command "cluster statuz"/],
    [['cluster', 'status', '--group', 'g'], /runnel cluster status takes no flag --group\nRun `runnel cluster status --help`/],
    [['cluster', 'force-leave'], /missing <node>/],
    [['cluster', 'force-leave', 'x'], /"x" is not a broker id/],
    [['cluster', 'leave', '1', '2'], /unexpected argument "2"/],
    [['cluster', 'unsafe-recover'], /exactly one of --group G or --node N/],
    [['cluster', 'unsafe-recover', '--group', 'g', '--node', '2'], /exactly one of/],
    [['cluster', 'status', '-b', 'nohost'], /--bootstrap: "nohost" is not HOST:PORT/],
    [['cluster', 'status', '--config', '/nonexistent/x.json'], /--config \/nonexistent\/x.json/],
  ];
  for (const [argv, message] of cases) {
    const r = await runnel(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(' '));
    assert.equal(r.stdout, '', argv.join(' '));
  }
});

test('a cluster that cannot be reached exits 1 naming the address and how to give another', async () => {
  const port = await freePort();
  const r = await runnel(['cluster', 'status', '-b', `127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`cannot reach the broker at 127.0.0.1:${port}: ECONNREFUSED .*--bootstrap HOST:PORT`));
  const admin = await runnel(['cluster', 'force-leave', '3', '--admin', `127.0.0.1:${port}`]);
  assert.equal(admin.code, 1);
  assert.match(admin.stderr, new RegExp(`cannot reach the admin API at http://127.0.0.1:${port}/cluster/force-leave`));
});

test('the cluster is found by --bootstrap, else RUNNEL_BOOTSTRAP, else --config, else 127.0.0.1:9092', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-target-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ server: { host: '0.0.0.0', port: 9400, advertised_host: '10.0.0.7' }, http: { enabled: true, host: '0.0.0.0', port: 8400 } }));
  const env = { RUNNEL_BOOTSTRAP: 'e:1,f:2' };
  assert.deepEqual(new Target({ bootstrap: 'a:1, b:2', env, configFile: config }).bootstrap, ['a:1', 'b:2']);
  assert.deepEqual(new Target({ env, configFile: config }).bootstrap, ['e:1', 'f:2']);
  assert.deepEqual(new Target({ env: {}, configFile: config }).bootstrap, ['10.0.0.7:9400']);
  assert.deepEqual(new Target({ env: {} }).bootstrap, ['127.0.0.1:9092']);
});

test('--admin, else the config\'s HTTP server, names the admin API without asking a broker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-target-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ http: { enabled: true, host: '127.0.0.1', port: 8401 } }));
  assert.equal(await new Target({ env: {}, configFile: config }).admin(), '127.0.0.1:8401');
  assert.equal(await new Target({ env: {}, configFile: config, admin: 'h:9' }).admin(), 'h:9');
});

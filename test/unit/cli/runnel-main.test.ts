// `runnel` dispatch (src/cli/runnel/main.ts): --help with an example on every command, the
// documented exit codes (0 done, 1 cluster unreachable or refused, 2 usage), and where the
// cluster is found: --bootstrap, RUNNEL_BOOTSTRAP, --config, default 127.0.0.1:9092.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../../src/cli/runnel/main.ts';
import { Target } from '../../../src/cli/runnel/target.ts';
import { freePort } from '../../helpers/broker-process.ts';
import { runnelInProcess } from '../../helpers/runnel-in-process.ts';

const runnel = (argv: string[], env: NodeJS.ProcessEnv = {}) => runnelInProcess(argv, env);

test('issue 13: --help on every command prints its usage and an example, exit 0', async () => {
  assert.ok(COMMANDS.length >= 5);
  for (const command of COMMANDS) {
    for (const argv of [
      [...command.path, '--help'],
      ['-h', ...command.path],
      ['help', ...command.path],
    ]) {
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

test('the cluster is found by --bootstrap, else RUNNEL_BOOTSTRAP, else --config, else 127.0.0.1:9092', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-target-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'node.json');
  writeFileSync(
    config,
    JSON.stringify({ server: { host: '0.0.0.0', port: 9400, advertised_host: '10.0.0.7' }, http: { enabled: true, host: '0.0.0.0', port: 8400 } }),
  );
  const env = { RUNNEL_BOOTSTRAP: 'e:1,f:2' };
  assert.deepEqual((await Target.open({ bootstrap: 'a:1, b:2', env, configFile: config })).bootstrap, ['a:1', 'b:2']);
  assert.deepEqual((await Target.open({ env, configFile: config })).bootstrap, ['e:1', 'f:2']);
  assert.deepEqual((await Target.open({ env: {}, configFile: config })).bootstrap, ['10.0.0.7:9400']);
  assert.deepEqual(new Target({ env: {} }).bootstrap, ['127.0.0.1:9092']);
});

test("--admin, else the config's HTTP server, names the admin API without asking a broker", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-target-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ http: { enabled: true, host: '127.0.0.1', port: 8401 } }));
  assert.equal(await (await Target.open({ env: {}, configFile: config })).admin(), '127.0.0.1:8401');
  assert.equal(await (await Target.open({ env: {}, configFile: config, admin: 'h:9' })).admin(), 'h:9');
});

test("admin routes: an answer is printed, a refusal exits 1 with the broker's error, a missing route says so", async (t) => {
  const { createServer } = await import('node:http');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/cluster/force-leave') {
        res.statusCode = 409;
        res.end(JSON.stringify({ error: 'broker 3 is alive: use leave' }));
      } else if (req.url === '/cluster/unsafe-recover') {
        res.end(JSON.stringify({ groups: ['orders-0'], lost: 'entries after index 7' }));
      } else {
        // Fastify's own answer for a route it does not have.
        res.statusCode = 404;
        res.end(JSON.stringify({ message: `Route ${req.method}:${req.url} not found`, error: 'Not Found', statusCode: 404 }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const admin = `127.0.0.1:${(server.address() as { port: number }).port}`;

  const ok = await runnel(['cluster', 'unsafe-recover', '--node', '3', '--admin', admin]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'groups: ["orders-0"]\nlost: entries after index 7\n');
  const json = await runnel(['--json', '--admin', admin, 'cluster', 'unsafe-recover', '--group=orders-0']);
  assert.deepEqual(JSON.parse(json.stdout), { groups: ['orders-0'], lost: 'entries after index 7' });

  const refused = await runnel(['cluster', 'force-leave', '3', '--admin', admin]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `runnel: POST /cluster/force-leave refused by the broker at ${admin} (HTTP 409): broker 3 is alive: use leave\n`);

  const missing = await runnel(['cluster', 'leave', '--admin', admin]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /POST \/cluster\/leave: the broker at .* does not serve this route \(HTTP 404: Route POST:\/cluster\/leave not found\)/);

  assert.deepEqual(seen, [
    'POST /cluster/unsafe-recover {"node":3}',
    'POST /cluster/unsafe-recover {"group":"orders-0"}',
    'POST /cluster/force-leave {"node":3}',
    'POST /cluster/leave {}',
  ]);
});

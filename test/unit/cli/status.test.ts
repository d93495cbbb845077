// `./broker status` (src/cli/status.ts): the table shows identity, brokers and, per Raft
// group, state, term, leader, commit, applied, last index and follower lag as `id:lag`; the
// address comes from --address or from the config's HTTP server, a wildcard bind being asked
// on loopback; an unreachable broker is exit 1 with a message saying where it looked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { formatStatus, parseStatusArgs, reachableAddress, runStatusCommand, statusUrl, StatusUsageError } from '../../../src/cli/status.ts';
import { startHttpServer } from '../../../src/http/server.ts';
import type { NodeStatus } from '../../../src/http/status.ts';
import { freePort } from '../../helpers/broker-process.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

function capture(): { out: string[]; err: string[]; output: { stdout(t: string): void; stderr(t: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { stdout: (t) => out.push(t), stderr: (t) => err.push(t) } };
}

const quiet = pino({ level: 'silent' });

test('the table shows identity, brokers sorted by id with connection, and each group with follower lag as id:lag', () => {
  assert.equal(
    formatStatus(clusterStatus()),
    [
      'node 1  cluster k8Yq3  mode cluster  controller 1',
      'kafka 127.0.0.1:9092',
      '',
      'BROKER  ADDRESS         CONNECTED',
      '1       127.0.0.1:9092  yes (this node)',
      '2       127.0.0.1:9093  yes',
      '3       127.0.0.1:9094  no',
      '',
      'GROUP       STATE     TERM  LEADER   COMMIT  APPLIED  LAST  FOLLOWER LAG',
      '__metadata  leader    4     1        120     120      135   2:0 3:15',
      'orders-0    follower  2     unknown  7       6        7     -',
      '',
    ].join('\n'),
  );
});

test('an unknown controller and a single node without Raft groups read as words, not zeros', () => {
  const single: NodeStatus = {
    ...clusterStatus(),
    mode: 'single',
    controllerId: 0,
    brokers: [],
    groups: [],
  };
  const text = formatStatus(single);
  assert.match(text, /^node 1 {2}cluster k8Yq3 {2}mode single {2}controller unknown$/m);
  assert.match(text, /^brokers: none known$/m);
  assert.match(text, /^raft groups: none \(single node\)$/m);
});

test('a leader without followers shows (none) in the lag column', () => {
  const status = clusterStatus();
  status.groups = [{ ...status.groups[0]!, followers: [] }];
  assert.match(formatStatus(status), /^__metadata {2}leader .* 135 {3}\(none\)$/m);
});

test('arguments: --address in both forms and --json; anything else is a usage error', () => {
  assert.deepEqual(parseStatusArgs([]), { json: false });
  assert.deepEqual(parseStatusArgs(['--address', '127.0.0.1:8081', '--json']), { address: '127.0.0.1:8081', json: true });
  assert.deepEqual(parseStatusArgs(['--address=h:1']), { address: 'h:1', json: false });
  assert.throws(() => parseStatusArgs(['--address']), StatusUsageError);
  assert.throws(() => parseStatusArgs(['--address', '--json']), StatusUsageError);
  assert.throws(() => parseStatusArgs(['--jsn']), /unknown argument "--jsn"/);
});

test('a wildcard bind is asked on loopback; IPv6 literals get brackets; full URLs are kept', () => {
  assert.equal(reachableAddress('0.0.0.0', 8080), '127.0.0.1:8080');
  assert.equal(reachableAddress('::', 8080), '127.0.0.1:8080');
  assert.equal(reachableAddress('::1', 8080), '[::1]:8080');
  assert.equal(reachableAddress('10.0.0.5', 8081), '10.0.0.5:8081');
  assert.equal(statusUrl('127.0.0.1:8081'), 'http://127.0.0.1:8081/status');
  assert.equal(statusUrl('http://example:9/'), 'http://example:9/status');
});

test('status asks the address in the config (RUNNEL_* applied) and prints the table, or JSON with --json', async () => {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0 }, clusterStatus, quiet);
  const dir = mkdtempSync(join(tmpdir(), 'runnel-status-'));
  try {
    const file = join(dir, 'node.json');
    // The file binds every interface on a port nobody uses; the variable moves it to the real one.
    writeFileSync(file, JSON.stringify({ http: { enabled: true, host: '0.0.0.0', port: 1 } }));
    const env = { RUNNEL_HTTP__PORT: String(server.port) };
    const table = capture();
    assert.equal(await runStatusCommand({ configFile: file, rest: [], env }, table.output), 0);
    assert.equal(table.out.join(''), formatStatus(clusterStatus()));
    const json = capture();
    assert.equal(await runStatusCommand({ configFile: file, rest: ['--json'], env }, json.output), 0);
    assert.deepEqual(JSON.parse(json.out.join('')), clusterStatus());
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreachable broker is exit 1 with a message naming the URL; a config error is exit 2', async () => {
  const port = await freePort();
  const down = capture();
  assert.equal(await runStatusCommand({ rest: ['--address', `127.0.0.1:${port}`], env: {} }, down.output), 1);
  assert.match(down.err.join(''), new RegExp(`cannot reach the broker at http://127\\.0\\.0\\.1:${port}/status: .*ECONNREFUSED`));
  assert.deepEqual(down.out, []);

  const disabled = capture();
  assert.equal(await runStatusCommand({ rest: [], env: { RUNNEL_HTTP__ENABLED: 'false' } }, disabled.output), 2);
  assert.match(disabled.err.join(''), /http\.enabled is false/);

  const badEnv = capture();
  assert.equal(await runStatusCommand({ rest: [], env: { RUNNEL_HTTP__PORT: 'abc' } }, badEnv.output), 2);
  assert.match(badEnv.err.join(''), /http\.port/);
});

test('a server that is not a Runnel broker is exit 1, not a crash', async () => {
  const other = await startHttpServer({ host: '127.0.0.1', port: 0 }, () => ({ hello: 'world' }) as unknown as NodeStatus, quiet);
  try {
    const c = capture();
    assert.equal(await runStatusCommand({ rest: [`--address=127.0.0.1:${other.port}`], env: {} }, c.output), 1);
    assert.match(c.err.join(''), /not a broker status/);
  } finally {
    await other.close();
  }
});

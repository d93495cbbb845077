// Authentication between brokers is on by default (issue 9 item A): a broker in cluster mode
// needs a shared secret, inline (cluster.secret) or in a file (cluster.secret_file), unless the
// config says cluster.insecure: true, which is then logged as a warning at every start.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, resolveClusterAuth, type RunnelConfig } from '../../../src/config/index.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'runnel-auth-'));
let scratchFiles = 0;

function clusterConfig(cluster: Record<string, unknown>, env: Record<string, string> = {}): RunnelConfig {
  const file = join(scratch, `config-${scratchFiles++}.json`);
  writeFileSync(file, JSON.stringify({ cluster: { enabled: true, ...cluster } }));
  return loadConfig({ file, env });
}

function secretFile(text: string, mode = 0o600): string {
  const file = join(scratch, `secret-${scratchFiles++}`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function refuses(config: RunnelConfig, field: string, message: RegExp, cwd?: string): void {
  assert.throws(
    () => resolveClusterAuth(config, { cwd }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, message);
      return true;
    },
  );
}

test('cluster mode without a secret refuses to start, naming the field and the ways out', () => {
  refuses(
    clusterConfig({}),
    'cluster.secret',
    /^config field "cluster.secret": cluster mode needs a secret shared by the brokers.*set cluster.secret_file.*scripts\/start-cluster.sh.*or cluster.secret.*or set cluster.insecure: true/,
  );
  // Go Queue's cluster files have no secret: they load, and the broker refuses to start on them.
  refuses(loadConfig({ file: join(import.meta.dirname, 'fixtures', 'goqueue-cluster-node2.json'), env: {} }), 'cluster.secret', /cluster.insecure: true/);
});

test('cluster.insecure: true starts without a secret and warns every time it is resolved (every start)', () => {
  const config = clusterConfig({ insecure: true });
  for (let start = 0; start < 2; start++) {
    const { secret, warnings } = resolveClusterAuth(config);
    assert.equal(secret, null);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.field, 'cluster.insecure');
    assert.match(warnings[0]!.message, /NOT authenticated/);
  }
});

test('a single node ignores the secret settings: no secret needed, no file read', () => {
  const config = loadConfig({ env: { RUNNEL_CLUSTER__SECRET_FILE: join(scratch, 'absent') } });
  assert.deepEqual(resolveClusterAuth(config), { secret: null, warnings: [] });
});

test('an inline secret still works', () => {
  assert.deepEqual(resolveClusterAuth(clusterConfig({ secret: 'inline-secret' })), { secret: 'inline-secret', warnings: [] });
  assert.deepEqual(resolveClusterAuth(clusterConfig({ secret: 'inline-secret', insecure: true })), { secret: 'inline-secret', warnings: [] });
});

test('a secret file: its text without the trailing newline is the secret', () => {
  const file = secretFile('c2VjcmV0LWZyb20tYS1maWxl\n');
  assert.deepEqual(resolveClusterAuth(clusterConfig({ secret_file: file })), { secret: 'c2VjcmV0LWZyb20tYS1maWxl', warnings: [] });
});

test('a relative secret_file is relative to the working directory, like data_dir', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'runnel-auth-cwd-'));
  mkdirSync(join(cwd, 'data'));
  writeFileSync(join(cwd, 'data', 'cluster.secret'), 'relative\n', { mode: 0o600 });
  const config = clusterConfig({ secret_file: './data/cluster.secret' });
  assert.equal(resolveClusterAuth(config, { cwd }).secret, 'relative');
});

test('secret file problems name the field: missing, empty, too large', () => {
  const missing = join(scratch, 'no-such-secret');
  refuses(clusterConfig({ secret_file: missing }), 'cluster.secret_file', /cannot read ".*no-such-secret": no such file.*scripts\/start-cluster.sh/);
  refuses(clusterConfig({ secret_file: secretFile(' \n') }), 'cluster.secret_file', /is empty/);
  refuses(clusterConfig({ secret_file: secretFile('x'.repeat(5000)) }), 'cluster.secret_file', /larger than 4096 bytes/);
});

test('a secret file other users can read is a warning', () => {
  const { secret, warnings } = resolveClusterAuth(clusterConfig({ secret_file: secretFile('open\n', 0o644) }));
  assert.equal(secret, 'open');
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.field, 'cluster.secret_file');
  assert.match(warnings[0]!.message, /readable by other users.*chmod 600/);
});

test('secret and secret_file are one setting: one layer may set only one, a later layer replaces both', () => {
  assert.throws(
    () => clusterConfig({ secret: 'a', secret_file: '/x' }),
    (error: unknown) =>
      error instanceof ConfigError && error.field === 'cluster.secret_file' && /set only one of cluster.secret and cluster.secret_file/.test(error.message),
  );
  const file = secretFile('from-file\n');
  // The environment's inline secret replaces the file's secret_file, and the other way round.
  const inlineWins = clusterConfig({ secret_file: '/not/read' }, { RUNNEL_CLUSTER__SECRET: 'from-env' });
  assert.equal(inlineWins.cluster.secret_file, null);
  assert.equal(resolveClusterAuth(inlineWins).secret, 'from-env');
  const fileWins = clusterConfig({ secret: 'from-config' }, { RUNNEL_CLUSTER__SECRET_FILE: file });
  assert.equal(fileWins.cluster.secret, null);
  assert.equal(resolveClusterAuth(fileWins).secret, 'from-file');
});

test('the shipped cluster configs read the secret start-cluster.sh generates in data/cluster.secret', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'runnel-auth-shipped-'));
  mkdirSync(join(cwd, 'data'));
  writeFileSync(join(cwd, 'data', 'cluster.secret'), 'generated\n', { mode: 0o600 });
  for (const id of [1, 2, 3]) {
    const config = loadConfig({ file: join(REPO, 'configs', `node${id}.json`), env: {} });
    assert.equal(config.cluster.secret_file, './data/cluster.secret');
    assert.equal(config.cluster.insecure, false);
    assert.deepEqual(resolveClusterAuth(config, { cwd }), { secret: 'generated', warnings: [] });
  }
});

test('defaults: no secret, no secret file, not insecure', () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.cluster.secret, null);
  assert.equal(config.cluster.secret_file, null);
  assert.equal(config.cluster.insecure, false);
});

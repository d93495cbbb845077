// RUNNEL_* environment overrides, EMQX style (docs/configuration.md): env beats file beats defaults.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { variableToPath } from '../../../src/config/env.ts';
import { ConfigError, loadConfig, loadConfigDetailed } from '../../../src/config/index.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');

function rejectsEnv(env: Record<string, string>, variable: string, field: string, message: RegExp): void {
  assert.throws(
    () => loadConfig({ env }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.variable, variable);
      assert.equal(error.field, field);
      assert.match(error.message, message);
      return true;
    },
  );
}

test('variable names map to field paths', () => {
  assert.equal(variableToPath('RUNNEL_SERVER__PORT'), 'server.port');
  assert.equal(variableToPath('RUNNEL_DATA_DIR'), 'data_dir');
  assert.equal(variableToPath('RUNNEL_CLUSTER__INITIAL_MEMBERS'), 'cluster.initial_members');
  assert.equal(variableToPath('RUNNEL_SERVER____PORT'), null);
  assert.equal(variableToPath('RUNNEL_'), null);
  assert.equal(variableToPath('RUNNEL_SERVER__PO-RT'), null);
});

test('numbers, strings, booleans and nested fields', () => {
  const config = loadConfig({
    env: {
      RUNNEL_SERVER__PORT: '9093',
      RUNNEL_DATA_DIR: '/x',
      RUNNEL_CLUSTER__NODE_ID: '2',
      RUNNEL_CLUSTER__ENABLED: 'true',
      RUNNEL_RETENTION_TIME: '30m',
      RUNNEL_SEGMENT_SIZE: '64MiB',
      RUNNEL_HTTP__ENABLED: 'false',
    },
  });
  assert.equal(config.server.port, 9093);
  assert.equal(config.data_dir, '/x');
  assert.equal(config.cluster.data_dir, '/x/cluster');
  assert.equal(config.cluster.node_id, 2);
  assert.equal(config.cluster.enabled, true);
  assert.equal(config.retention_time_ms, 1_800_000);
  assert.equal(config.segment_size, 64 * 1024 * 1024);
  assert.equal(config.http.enabled, false);
});

test('string fields keep text that looks like JSON as text', () => {
  const config = loadConfig({ env: { RUNNEL_CLUSTER__SECRET: '12345', RUNNEL_DATA_DIR: 'true', RUNNEL_SERVER__HOST: '::' } });
  assert.equal(config.cluster.secret, '12345');
  assert.equal(config.data_dir, 'true');
  assert.equal(config.server.host, '::');
  assert.equal(loadConfig({ env: { RUNNEL_CLUSTER__SECRET: 'null' } }).cluster.secret, null);
  assert.equal(loadConfig({ env: { RUNNEL_SERVER__LOG_FILE: '' } }).server.log_file, null);
});

test('arrays: JSON, or a comma-separated member list', () => {
  const json = loadConfig({ env: { RUNNEL_CLUSTER__INITIAL_MEMBERS: '["h1:9192","h2:9192","h3:9192"]' } });
  assert.deepEqual(
    json.cluster.initial_members.map((member) => member.node_id),
    [1, 2, 3],
  );
  const commas = loadConfig({ env: { RUNNEL_CLUSTER__INITIAL_MEMBERS: '1@h1:9192, 2@h2:9192' } });
  assert.deepEqual(commas.cluster.initial_members, [
    { node_id: 1, address: 'h1:9192' },
    { node_id: 2, address: 'h2:9192' },
  ]);
  assert.deepEqual(loadConfig({ env: { RUNNEL_CLUSTER__INITIAL_MEMBERS: '' } }).cluster.initial_members, []);
});

test('a whole object as JSON, refined by a more specific variable', () => {
  const config = loadConfig({ env: { RUNNEL_SERVER: '{"port": 9500, "host": "127.0.0.1"}', RUNNEL_SERVER__PORT: '9600' } });
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 9600);
});

test('env beats file beats defaults', () => {
  const file = join(REPO, 'configs', 'node1.json');
  const fromFile = loadConfig({ file, env: {} });
  assert.equal(fromFile.server.port, 9092);
  const overridden = loadConfigDetailed({ file, env: { RUNNEL_SERVER__PORT: '9099', RUNNEL_CLUSTER__NODE_ID: '3' } });
  assert.equal(overridden.config.server.port, 9099);
  assert.equal(overridden.config.cluster.node_id, 3);
  // Untouched file values survive, and defaults fill what neither sets.
  assert.equal(overridden.config.http.port, 8081);
  assert.equal(overridden.config.limits.max_frame_bytes, 104_857_600);
  assert.deepEqual(overridden.envOverrides.map((entry) => entry.variable).sort(), ['RUNNEL_CLUSTER__NODE_ID', 'RUNNEL_SERVER__PORT']);
});

test('an env alias beats the file under its other name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-env-'));
  const file = join(dir, 'goqueue.json');
  writeFileSync(file, JSON.stringify({ retention_time: '168h' }));
  assert.equal(loadConfig({ file, env: { RUNNEL_RETENTION_TIME_MS: '1000' } }).retention_time_ms, 1000);
});

// issue 9 item (C): an unknown RUNNEL_* variable may be a user's own (another tool's, a shell
// script's); it must not stop the broker. It is reported once, with the nearest known key.
test('an unknown variable is a warning naming it and the nearest known key, and the broker goes on', () => {
  const loaded = loadConfigDetailed({
    env: { RUNNEL_SERVR__PORT: '9093', RUNNEL_SERVER__PROT: '9094', RUNNEL_DATADIR: '/x', RUNNEL_SERVER__HOST: '127.0.0.1' },
  });
  assert.equal(loaded.config.server.port, 9092);
  assert.equal(loaded.config.server.host, '127.0.0.1');
  assert.equal(loaded.config.data_dir, './data');
  const byVariable = new Map(loaded.warnings.map((warning) => [warning.variable, warning.message]));
  assert.equal(loaded.warnings.length, 3, JSON.stringify(loaded.warnings));
  assert.equal(
    byVariable.get('RUNNEL_SERVR__PORT'),
    'environment variable RUNNEL_SERVR__PORT is not a config field and is ignored (did you mean RUNNEL_SERVER__PORT, "server.port"?)',
  );
  assert.match(byVariable.get('RUNNEL_SERVER__PROT') ?? '', /did you mean RUNNEL_SERVER__PORT, "server.port"\?/);
  assert.match(byVariable.get('RUNNEL_DATADIR') ?? '', /did you mean RUNNEL_DATA_DIR, "data_dir"\?/);
  assert.deepEqual(
    loaded.envOverrides.map((entry) => entry.variable),
    ['RUNNEL_SERVER__HOST'],
  );
});

test('an unrelated variable with the prefix is a warning without a suggestion when nothing is near', () => {
  const loaded = loadConfigDetailed({ env: { RUNNEL_HOME_DIRECTORY_OF_MY_SCRIPTS: '/home/me', 'RUNNEL_X-Y': '1', RUNNEL_SERVER____PORT: '1' } });
  assert.deepEqual(loaded.config, loadConfig({ env: {} }));
  const messages = loaded.warnings.map((warning) => warning.message).sort();
  assert.equal(messages.length, 3);
  assert.match(messages.find((m) => m.includes('RUNNEL_HOME_DIRECTORY_OF_MY_SCRIPTS')) ?? '', /is not a config field and is ignored$/);
  assert.match(messages.find((m) => m.includes('RUNNEL_X-Y')) ?? '', /not a config path/);
  assert.match(messages.find((m) => m.includes('RUNNEL_SERVER____PORT')) ?? '', /not a config path/);
});

test('a bad value in a variable is reported naming the variable and the field', () => {
  rejectsEnv(
    { RUNNEL_SERVER__PORT: 'abc' },
    'RUNNEL_SERVER__PORT',
    'server.port',
    /from environment variable RUNNEL_SERVER__PORT\): must be an integer 0..65535 \(got "abc"\)/,
  );
  rejectsEnv({ RUNNEL_CLUSTER__INITIAL_MEMBERS: 'a:1,b' }, 'RUNNEL_CLUSTER__INITIAL_MEMBERS', 'cluster.initial_members[1]', /"host:port"/);
  rejectsEnv({ RUNNEL_SERVER: '{"prot": 1}' }, 'RUNNEL_SERVER', 'server.prot', /unknown field/);
});

test('conflicting variables are errors', () => {
  assert.throws(() => loadConfig({ env: { RUNNEL_SERVER: '5', RUNNEL_SERVER__PORT: '1' } }), /RUNNEL_SERVER__PORT: conflicts with RUNNEL_SERVER/);
});

test('variables of tools around the broker and of other programs are not config', () => {
  const config = loadConfig({ env: { RUNNEL_TEST_SEED: '1', RUNNEL_SIM_STEPS: '9', PATH: '/bin', runnel_server__port: '1' } });
  assert.equal(config.server.port, 9092);
});

test('loadConfig reads process.env when no env is given', () => {
  const saved = process.env.RUNNEL_SERVER__PORT;
  process.env.RUNNEL_SERVER__PORT = '9555';
  try {
    assert.equal(loadConfig().server.port, 9555);
  } finally {
    if (saved === undefined) delete process.env.RUNNEL_SERVER__PORT;
    else process.env.RUNNEL_SERVER__PORT = saved;
  }
});

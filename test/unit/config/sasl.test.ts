// issue 15: the `sasl` config block (docs/configuration.md, "SASL").
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, loadConfigDetailed } from '../../../src/config/index.ts';

function fileWith(json: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'runnel-sasl-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

test('issue 15: sasl defaults to SCRAM only, no session expiry, no bootstrap user', () => {
  assert.deepEqual(loadConfig({ env: {} }).sasl, { mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256'], session_lifetime_ms: 0, bootstrap_user: null });
});

test('issue 15: sasl fields from a file and from the environment', () => {
  const config = loadConfig({ file: fileWith({ sasl: { mechanisms: ['PLAIN'], session_lifetime: '1h', bootstrap_user: 'admin' } }), env: {} });
  assert.deepEqual(config.sasl, { mechanisms: ['PLAIN'], session_lifetime_ms: 3_600_000, bootstrap_user: 'admin' });
  const fromEnv = loadConfig({ env: { RUNNEL_SASL__MECHANISMS: 'SCRAM-SHA-256,PLAIN', RUNNEL_SASL__SESSION_LIFETIME_MS: '5m' } });
  assert.deepEqual(fromEnv.sasl.mechanisms, ['SCRAM-SHA-256', 'PLAIN']);
  assert.equal(fromEnv.sasl.session_lifetime_ms, 300_000);
});

test('issue 15: an unknown, repeated or missing mechanism is refused naming the field', () => {
  for (const [mechanisms, problem] of [
    [['SCRAM-SHA-1'], /one of/],
    [['PLAIN', 'PLAIN'], /twice/],
    [[], /at least 1/],
  ] as const) {
    assert.throws(
      () => loadConfig({ file: fileWith({ sasl: { mechanisms } }), env: {} }),
      (error: unknown) => error instanceof ConfigError && /sasl\.mechanisms/.test(error.message) && problem.test(error.message),
      JSON.stringify(mechanisms),
    );
  }
});

test('issue 15: RUNNEL_BOOTSTRAP_PASSWORD is no config field: no warning names it, and its value is nowhere in the config', () => {
  const loaded = loadConfigDetailed({ env: { RUNNEL_BOOTSTRAP_PASSWORD: 'sw0rdfish-secret' } });
  assert.doesNotMatch(JSON.stringify(loaded), /sw0rdfish-secret|RUNNEL_BOOTSTRAP_PASSWORD/);
});

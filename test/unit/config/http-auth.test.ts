// issue 15, "Operations surface": http.tls and http.auth. A config that could not work is refused
// when it loads, naming the field: http.tls without a certificate, token mode without a token
// file, basic auth (passwords in every request) over plain HTTP on an address others reach. The
// files are read at start (resolveHttpAuth): a missing or empty token file stops the start, a
// token over plain HTTP on a network address is a warning.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, resolveHttpAuth, type RunnelConfig } from '../../../src/config/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'runnel-httpauth-config-'));
let files = 0;

function load(http: Record<string, unknown>, extra: Record<string, unknown> = {}): RunnelConfig {
  const file = join(scratch, `config-${files++}.json`);
  writeFileSync(file, JSON.stringify({ http, ...extra }));
  return loadConfig({ file, env: {} });
}

function refusedAt(field: string, message: RegExp, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

test('the defaults leave the HTTP server open and plain, as before', () => {
  const config = loadConfig({ env: {} });
  assert.deepEqual(config.http.auth, { mode: 'none', token_file: null, metrics_open: true });
  assert.equal(config.http.tls, false);
  assert.deepEqual(resolveHttpAuth(config), { token: null, tls: null, warnings: [] });
});

test('configs that cannot work are refused when they load, naming the field', () => {
  refusedAt('http.tls', /tls.cert_file and tls.key_file/, () => load({ tls: true }));
  refusedAt('http.auth.token_file', /must name the file/, () => load({ auth: { mode: 'token' } }));
  refusedAt('http.auth.mode', /sends passwords.*http.tls: true.*127.0.0.1/, () => load({ host: '0.0.0.0', auth: { mode: 'basic' } }));
  // Basic auth is fine over TLS, or on loopback where nothing crosses a network.
  assert.equal(load({ host: '127.0.0.1', auth: { mode: 'basic' } }).http.auth.mode, 'basic');
  assert.equal(load({ tls: true, auth: { mode: 'basic' } }, { tls: { cert_file: 'c.pem', key_file: 'k.pem' } }).http.auth.mode, 'basic');
  // The environment names the same fields.
  const env = loadConfig({ env: { RUNNEL_HTTP__AUTH__MODE: 'token', RUNNEL_HTTP__AUTH__TOKEN_FILE: '/x', RUNNEL_HTTP__AUTH__METRICS_OPEN: 'false' } });
  assert.deepEqual(env.http.auth, { mode: 'token', token_file: '/x', metrics_open: false });
});

test('the token file is read at start: its content without the newline; missing or empty stops the start', () => {
  const tokenFile = join(scratch, 'token');
  writeFileSync(tokenFile, 'sekrit-token\n');
  chmodSync(tokenFile, 0o600);
  const local = load({ host: '127.0.0.1', auth: { mode: 'token', token_file: tokenFile } });
  assert.deepEqual(resolveHttpAuth(local), { token: 'sekrit-token', tls: null, warnings: [] });

  const wide = load({ host: '0.0.0.0', auth: { mode: 'token', token_file: tokenFile } });
  const { warnings } = resolveHttpAuth(wide);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.field, 'http.tls');
  assert.match(warnings[0]!.message, /crosses the network in clear/);
  assert.ok(!warnings[0]!.message.includes('sekrit'), 'the warning does not show the token');

  refusedAt('http.auth.token_file', /no such file/, () => resolveHttpAuth(load({ auth: { mode: 'token', token_file: join(scratch, 'nope') } })));
  const empty = join(scratch, 'empty');
  writeFileSync(empty, '\n');
  refusedAt('http.auth.token_file', /is empty/, () => resolveHttpAuth(load({ auth: { mode: 'token', token_file: empty } })));
  const notPem = join(scratch, 'not.pem');
  writeFileSync(notPem, 'hello');
  refusedAt('tls.cert_file', /no PEM block/, () => resolveHttpAuth(load({ tls: true }, { tls: { cert_file: notPem, key_file: notPem } })));
});

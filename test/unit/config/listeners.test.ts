// issue 15 (listeners): the `listeners` and `tls` config fields. Errors name the field
// (`listeners[1].security_protocol`); no listeners = today's single PLAINTEXT listener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { ConfigError, effectiveListeners, loadConfig } from '../../../src/config/index.ts';
import { loadConfigJson, rejectsConfig } from '../../helpers/config-files.ts';

const loadJson = loadConfigJson;
const rejects = rejectsConfig;

const TLS = { cert_file: 'broker.pem', key_file: 'broker.key' };

test('no listeners: one PLAINTEXT listener from server.host/port/advertised_host, as before listeners existed', () => {
  const config = loadJson({ server: { host: '127.0.0.1', port: 9300, advertised_host: 'kafka.example' } });
  assert.deepEqual(config.listeners, []);
  assert.deepEqual(effectiveListeners(config), [
    { name: 'PLAINTEXT', host: '127.0.0.1', port: 9300, advertisedHost: 'kafka.example', advertisedPort: null, securityProtocol: 'PLAINTEXT' },
  ]);
});

test('listeners: defaults filled in; a wildcard host advertises server.advertised_host', () => {
  const config = loadJson({
    server: { advertised_host: 'broker1.example' },
    tls: TLS,
    listeners: [
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'SECURE', port: '9093', security_protocol: 'SSL' },
      { name: 'EXTERNAL', port: 9094, advertised_host: 'public.example', advertised_port: 19094, security_protocol: 'SASL_SSL' },
    ],
  });
  assert.deepEqual(effectiveListeners(config), [
    { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: null, securityProtocol: 'PLAINTEXT' },
    { name: 'SECURE', host: '0.0.0.0', port: 9093, advertisedHost: 'broker1.example', advertisedPort: null, securityProtocol: 'SSL' },
    { name: 'EXTERNAL', host: '0.0.0.0', port: 9094, advertisedHost: 'public.example', advertisedPort: 19094, securityProtocol: 'SASL_SSL' },
  ]);
});

test('listeners: a bad entry is refused naming listeners[i].field', () => {
  rejects(
    {
      listeners: [
        { name: 'A', port: 1 },
        { name: 'B', port: 2, security_protocol: 'TLS' },
      ],
    },
    'listeners[1].security_protocol',
    /one of "PLAINTEXT"/,
  );
  rejects({ listeners: [{ name: 'A', port: 1 }, { port: 2 }] }, 'listeners[1].name', /is required/);
  rejects({ listeners: [{ name: 'A B', port: 1 }] }, 'listeners[0].name', /must match/);
  rejects({ listeners: [{ name: 'A', port: 70000 }] }, 'listeners[0].port', /0\.\.65535/);
  rejects({ listeners: [{ name: 'A', port: 1, advertised_port: 'x' }] }, 'listeners[0].advertised_port', /0\.\.65535/);
  rejects({ listeners: [{ name: 'A', port: 1, protocol: 'SSL' }] }, 'listeners[0].protocol', /unknown field/);
});

test('listeners: names and ports are unique (port 0 may repeat: the OS picks each)', () => {
  rejects(
    {
      listeners: [
        { name: 'A', port: 1 },
        { name: 'A', port: 2 },
      ],
    },
    'listeners[1].name',
    /repeats listener name "A" \(already at listeners\[0\]\)/,
  );
  rejects(
    {
      listeners: [
        { name: 'A', port: 5 },
        { name: 'B', port: 5 },
      ],
    },
    'listeners[1].port',
    /repeats port 5/,
  );
  assert.equal(
    loadJson({
      http: { port: 0 },
      listeners: [
        { name: 'A', port: 0 },
        { name: 'B', port: 0 },
      ],
    }).listeners.length,
    2,
  );
  rejects({ http: { port: 9093 }, listeners: [{ name: 'A', port: 9093 }] }, 'http.port', /must differ from listeners\[0\]\.port/);
});

test('a TLS listener needs tls.cert_file and tls.key_file; client_auth needs tls.ca_file', () => {
  const ssl = [{ name: 'SSL', port: 9093, security_protocol: 'SSL' }];
  rejects({ listeners: ssl }, 'tls.cert_file', /must be set: listeners\[0\] \(SSL\) uses SSL/);
  rejects({ listeners: ssl, tls: { cert_file: 'c.pem' } }, 'tls.key_file', /must be set/);
  rejects({ listeners: ssl, tls: { ...TLS, client_auth: 'required' } }, 'tls.ca_file', /client_auth is "required"/);
  rejects({ tls: { client_auth: 'sometimes' } }, 'tls.client_auth', /one of "none"/);
  const config = loadJson({ listeners: ssl, tls: { ...TLS, ca_file: 'ca.pem', client_auth: 'requested', reload_interval: '5s' } });
  assert.deepEqual(config.tls, { ...TLS, ca_file: 'ca.pem', client_auth: 'requested', reload_interval_ms: 5000 });
});

test('listeners from the environment: RUNNEL_LISTENERS as JSON', () => {
  const config = loadJson({}, { RUNNEL_LISTENERS: '[{"name":"INTERNAL","host":"127.0.0.1","port":9400}]' });
  assert.equal(effectiveListeners(config)[0]!.name, 'INTERNAL');
  assert.throws(
    () => loadJson({}, { RUNNEL_LISTENERS: '[{"name":"INTERNAL","port":9400,"security_protocol":"X"}]' }),
    (error: unknown) => error instanceof ConfigError && error.field === 'listeners[0].security_protocol' && error.variable === 'RUNNEL_LISTENERS',
  );
});

test('configs/secure.json: PLAINTEXT on 127.0.0.1 only and a SASL_SSL listener with the certificates of scripts/gen-certs.sh certs', () => {
  const config = loadConfig({ file: join(import.meta.dirname, '..', '..', '..', 'configs', 'secure.json'), env: {} });
  assert.deepEqual(
    effectiveListeners(config).map((l) => `${l.name} ${l.securityProtocol} ${l.host}:${l.port}`),
    ['PLAINTEXT PLAINTEXT 127.0.0.1:9092', 'SECURE SASL_SSL 0.0.0.0:9093'],
  );
  assert.deepEqual([config.tls.cert_file, config.tls.key_file, config.tls.ca_file], ['certs/broker.pem', 'certs/broker.key', 'certs/ca.pem']);
  // issue 15: SCRAM-SHA-512, ACLs on, the admin user (password from RUNNEL_BOOTSTRAP_PASSWORD at first start) a super user.
  assert.deepEqual(config.sasl.mechanisms, ['SCRAM-SHA-512']);
  assert.equal(config.sasl.bootstrap_user, 'admin');
  assert.equal(config.authorizer.enabled, true);
  assert.deepEqual(config.authorizer.super_users, ['User:admin']);
});

// cluster.tls configuration (issue 15, "Between brokers"): a broker with cluster.tls on and no
// certificate is refused when the config loads, naming the missing tls.* field; the files are
// read at start, and a missing or unusable one is refused naming its field, never printing a key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { readPeerTls } from '../../../src/node/peer-tls.ts';
import { makePeerCerts } from '../../helpers/peer-certs.ts';

const certs = makePeerCerts();
after(() => certs.remove());

const CLUSTER_ENV = { RUNNEL_CLUSTER__ENABLED: 'true', RUNNEL_CLUSTER__TLS: 'true', RUNNEL_CLUSTER__INSECURE: 'true' };

function rejects(fn: () => unknown, field: string): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.equal(caught.field, field);
  return caught;
}

test('cluster.tls without the tls files is refused at load, naming the first missing field', () => {
  const e = rejects(() => loadConfig({ env: CLUSTER_ENV }), 'tls.cert_file');
  assert.match(e.message, /cluster\.tls/);
  rejects(() => loadConfig({ env: { ...CLUSTER_ENV, RUNNEL_TLS__CERT_FILE: certs.broker.cert, RUNNEL_TLS__KEY_FILE: certs.broker.key } }), 'tls.ca_file');
  // Off, or on a single node, it asks for nothing.
  assert.equal(loadConfig({ env: { RUNNEL_CLUSTER__TLS: 'true' } }).cluster.tls, true);
  assert.equal(loadConfig({ env: {} }).cluster.tls, false);
});

test('readPeerTls reads the three files when cluster.tls is on, and nothing when it is off', () => {
  const env = { ...CLUSTER_ENV, RUNNEL_TLS__CERT_FILE: certs.broker.cert, RUNNEL_TLS__KEY_FILE: certs.broker.key, RUNNEL_TLS__CA_FILE: certs.broker.ca };
  const material = readPeerTls(loadConfig({ env }));
  assert.ok(material !== null);
  assert.match(String(material.cert), /BEGIN CERTIFICATE/);
  assert.match(String(material.ca), /BEGIN CERTIFICATE/);
  assert.equal(readPeerTls(loadConfig({ env: { ...env, RUNNEL_CLUSTER__TLS: 'false' } })), null);
});

test('readPeerTls: a missing file or an unusable key is refused naming the field, without the key in the message', () => {
  const env = {
    ...CLUSTER_ENV,
    RUNNEL_TLS__CERT_FILE: certs.broker.cert,
    RUNNEL_TLS__KEY_FILE: certs.broker.key,
    RUNNEL_TLS__CA_FILE: join(certs.dir, 'nope.pem'),
  };
  const missing = rejects(() => readPeerTls(loadConfig({ env })), 'tls.ca_file');
  assert.match(missing.message, /ENOENT/);
  // The key of another certificate: OpenSSL finds they do not match.
  const config = loadConfig({ env: { ...env, RUNNEL_TLS__CA_FILE: certs.broker.ca, RUNNEL_TLS__KEY_FILE: certs.otherCa.key } });
  const mismatch = rejects(() => readPeerTls(config), 'tls.cert_file');
  assert.doesNotMatch(mismatch.message, /PRIVATE KEY/);
  const garbage = join(certs.dir, 'garbage.key');
  writeFileSync(garbage, 'not a key');
  rejects(() => readPeerTls(loadConfig({ env: { ...env, RUNNEL_TLS__CA_FILE: certs.broker.ca, RUNNEL_TLS__KEY_FILE: garbage } })), 'tls.cert_file');
});

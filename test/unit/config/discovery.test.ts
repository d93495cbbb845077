// issue 11 (discovery): cluster.discovery's dns and etcd fields load, default, come from the
// environment, and a wrong value is refused naming the field.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'runnel-config-discovery-'));
let files = 0;

function load(value: unknown, env: NodeJS.ProcessEnv = {}) {
  const path = join(scratch, `config-${files++}.json`);
  writeFileSync(path, JSON.stringify(value));
  return loadConfig({ file: path, env });
}

function rejects(value: unknown, field: string, message: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => load(value, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, message);
      return true;
    },
  );
}

test('defaults: static discovery; the dns port follows raft_address; etcd on localhost with a 10 s lease', () => {
  const { discovery } = load({ cluster: { raft_address: '10.0.0.5:7000' } }).cluster;
  assert.deepEqual(discovery, {
    type: 'static',
    name: null,
    port: 7000,
    servers: [],
    endpoints: ['http://127.0.0.1:2379'],
    prefix: '/runnel/',
    lease_ttl_s: 10,
  });
});

test('a dns config and an etcd config load as written (URLs lose a trailing slash)', () => {
  const dns = load({
    cluster: { discovery: { type: 'dns', name: 'runnel-headless.ns.svc.cluster.local', port: 9192, servers: ['10.96.0.10', '127.0.0.1:5353', '[::1]:53'] } },
  }).cluster.discovery;
  assert.equal(dns.type, 'dns');
  assert.equal(dns.name, 'runnel-headless.ns.svc.cluster.local');
  assert.equal(dns.port, 9192);
  assert.deepEqual(dns.servers, ['10.96.0.10', '127.0.0.1:5353', '[::1]:53']);
  const etcd = load({
    cluster: { discovery: { type: 'etcd', endpoints: ['http://10.0.0.1:2379/', 'https://etcd.example:2379'], prefix: '/runnel/prod/', lease_ttl_s: 30 } },
  }).cluster.discovery;
  assert.deepEqual(etcd.endpoints, ['http://10.0.0.1:2379', 'https://etcd.example:2379']);
  assert.equal(etcd.prefix, '/runnel/prod/');
  assert.equal(etcd.lease_ttl_s, 30);
});

test('the environment sets discovery fields; lists as JSON or comma-separated', () => {
  const config = load(
    {},
    {
      RUNNEL_CLUSTER__DISCOVERY__TYPE: 'etcd',
      RUNNEL_CLUSTER__DISCOVERY__ENDPOINTS: 'http://a:2379,http://b:2379',
      RUNNEL_CLUSTER__DISCOVERY__SERVERS: '["127.0.0.1:53"]',
    },
  );
  assert.equal(config.cluster.discovery.type, 'etcd');
  assert.deepEqual(config.cluster.discovery.endpoints, ['http://a:2379', 'http://b:2379']);
  assert.deepEqual(config.cluster.discovery.servers, ['127.0.0.1:53']);
});

test('bad discovery values are refused naming the field', () => {
  rejects({ cluster: { discovery: { type: 'consul' } } }, 'cluster.discovery.type', /one of "static", "manual", "dns", "etcd"/);
  rejects({ cluster: { discovery: { type: 'dns' } } }, 'cluster.discovery.name', /must be set when cluster.discovery.type is "dns"/);
  rejects({ cluster: { discovery: { type: 'etcd', endpoints: [] } } }, 'cluster.discovery.endpoints', /at least one etcd client URL/);
  rejects({ cluster: { discovery: { endpoints: ['127.0.0.1:2379'] } } }, 'cluster.discovery.endpoints[0]', /must be a URL "http:\/\/host:port"/);
  rejects({ cluster: { discovery: { endpoints: ['http://a:2379/v3'] } } }, 'cluster.discovery.endpoints[0]', /must be a URL/);
  rejects({ cluster: { discovery: { servers: ['dns.example'] } } }, 'cluster.discovery.servers[0]', /must be an IP address/);
  rejects({ cluster: { discovery: { servers: ['127.0.0.1:0'] } } }, 'cluster.discovery.servers[0]', /must be an IP address/);
  rejects({ cluster: { discovery: { prefix: '/runnel' } } }, 'cluster.discovery.prefix', /must end with "\/"/);
  rejects({ cluster: { discovery: { lease_ttl_s: 1 } } }, 'cluster.discovery.lease_ttl_s', /an integer 2..86400/);
  rejects({ cluster: { discovery: { port: 70000 } } }, 'cluster.discovery.port', /0..65535/);
  rejects({ cluster: { discovery: { port: 0 } } }, 'cluster.discovery.port', /must be a port 1..65535/);
  rejects({ cluster: { discovery: { ttl: 5 } } }, 'cluster.discovery.ttl', /unknown field/);
});

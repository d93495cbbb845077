// issue 15 (listeners): one broker, a PLAINTEXT and an SSL listener at once. Each connection's Session names
// the listener it came in on, and Metadata, DescribeCluster and FindCoordinator answer with the
// endpoints of that listener (Kafka's rule), so a client is never sent to another listener.
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { startBrokerNode, type BrokerNode } from '../../src/node/broker-node.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { genCerts, makeTestCerts, type TestCerts } from '../helpers/certs.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';

const ADVERTISED_PORT = 19_094;
/** Short, so the reload test waits little; the default is 30 s. */
const RELOAD_INTERVAL_MS = 100;

let node: BrokerNode;
let certs: TestCerts;
let dataDir: string;

before(async () => {
  certs = makeTestCerts();
  const made = inProcessConfig('listeners', (config) => {
    config.listeners = [
      { name: 'INTERNAL', host: '127.0.0.1', port: 0, advertised_host: null, advertised_port: null, security_protocol: 'PLAINTEXT' },
      // What a broker behind a port mapping advertises: another name and port than it binds.
      { name: 'EXTERNAL', host: '127.0.0.1', port: 0, advertised_host: 'localhost', advertised_port: ADVERTISED_PORT, security_protocol: 'SSL' },
    ];
    config.tls = { cert_file: certs.brokerCertFile, key_file: certs.brokerKeyFile, ca_file: null, client_auth: 'none', reload_interval_ms: RELOAD_INTERVAL_MS };
  });
  dataDir = made.dataDir;
  node = await startBrokerNode(made.config, pino({ level: 'silent' }));
});

after(async () => {
  await node?.close();
  rmSync(dataDir, { recursive: true, force: true });
  certs?.remove();
});

/** A client of the SSL listener, trusting the test CA. */
function connectExternal(): Promise<RawClient> {
  return RawClient.connect({ port: portOf('EXTERNAL'), tls: { ca: certs.read(certs.caFile), servername: 'localhost' } });
}

function portOf(name: string): number {
  const listener = node.listeners.find((l) => l.name === name);
  assert.ok(listener, `no listener ${name}`);
  return listener.port;
}

test('PLAINTEXT and SSL listeners: both accept clients, and Metadata advertises the endpoint of the listener asked', async () => {
  const internal = await RawClient.connect({ port: portOf('INTERNAL') });
  const external = await connectExternal();
  try {
    const fromInternal = await internal.metadata(null);
    assert.deepEqual(
      fromInternal.brokers.map((b: { host: string; port: number }) => ({ host: b.host, port: b.port })),
      [{ host: '127.0.0.1', port: portOf('INTERNAL') }],
    );
    const fromExternal = await external.metadata(null);
    assert.deepEqual(
      fromExternal.brokers.map((b: { host: string; port: number }) => ({ host: b.host, port: b.port })),
      [{ host: 'localhost', port: ADVERTISED_PORT }],
    );
    assert.equal(node.port, portOf('INTERNAL'), 'the first listener is the broker address');
  } finally {
    internal.close();
    external.close();
  }
});

test('DescribeCluster and FindCoordinator also answer with the endpoint of the listener asked', async () => {
  const external = await connectExternal();
  const internal = await RawClient.connect({ port: portOf('INTERNAL') });
  try {
    const describeCluster = apiByKey.get(ApiKey.DescribeCluster)!;
    const cluster = await external.request(describeCluster, 0, { includeClusterAuthorizedOperations: false });
    assert.deepEqual(
      cluster.brokers.map((b: { host: string; port: number }) => ({ host: b.host, port: b.port })),
      [{ host: 'localhost', port: ADVERTISED_PORT }],
    );
    const findCoordinator = apiByKey.get(ApiKey.FindCoordinator)!;
    const viaExternal = await external.request(findCoordinator, 3, { key: 'g1', keyType: 0 });
    assert.equal(viaExternal.errorCode, 0);
    assert.deepEqual({ host: viaExternal.host, port: viaExternal.port }, { host: 'localhost', port: ADVERTISED_PORT });
    const viaInternal = await internal.request(findCoordinator, 3, { key: 'g1', keyType: 0 });
    assert.deepEqual({ host: viaInternal.host, port: viaInternal.port }, { host: '127.0.0.1', port: portOf('INTERNAL') });
  } finally {
    external.close();
    internal.close();
  }
});

test('tls.reload_interval: the broker takes replaced certificate files for new connections without a restart', async () => {
  const next = `${certs.dir}/next`;
  genCerts(next);
  const newCa = certs.read(`${next}/ca.pem`);
  // The key first, then the certificate: the broker keeps the old pair until both are in place.
  copyFileSync(`${next}/broker.key`, certs.brokerKeyFile);
  copyFileSync(`${next}/broker.pem`, certs.brokerCertFile);
  await waitFor(
    async () => {
      try {
        (await RawClient.connect({ port: portOf('EXTERNAL'), tls: { ca: newCa, servername: 'localhost' } })).close();
        return true;
      } catch {
        return false;
      }
    },
    'a client trusting only the new CA connects',
    10_000,
    50,
  );
  await assert.rejects(connectExternal(), 'a client trusting only the old CA is refused now');
});

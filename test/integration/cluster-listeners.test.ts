// issue 15 (listeners, cluster mode): three brokers, each with a PLAINTEXT and an SSL listener.
// Every broker registers both advertised endpoints in the metadata group (BrokerRecord.listeners),
// so a client on the SSL listener of broker 1 is told the SSL endpoints of brokers 2 and 3 (and a
// client on PLAINTEXT the PLAINTEXT ones), as Kafka answers Metadata per listener.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { freePorts } from '../helpers/broker-process.ts';
import { makeTestCerts, type TestCerts } from '../helpers/certs.ts';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';

let cluster: TestCluster;
let certs: TestCerts;
const sslPorts = new Map<number, number>();

before(async () => {
  certs = makeTestCerts();
  const ports = await freePorts(3);
  for (const nodeId of [1, 2, 3]) sslPorts.set(nodeId, ports[nodeId - 1]!);
  cluster = await startCluster({
    env: { RUNNEL_TLS__CERT_FILE: certs.brokerCertFile, RUNNEL_TLS__KEY_FILE: certs.brokerKeyFile },
    envFor: (nodeId, port) => ({
      RUNNEL_LISTENERS: JSON.stringify([
        { name: 'PLAINTEXT', host: '127.0.0.1', port },
        { name: 'SSL', host: '127.0.0.1', port: sslPorts.get(nodeId), security_protocol: 'SSL' },
      ]),
    }),
  });
});

after(async () => {
  await cluster?.stop();
  certs?.remove();
});

type Brokers = Array<{ nodeId: number; host: string; port: number }>;

async function brokersSeenBy(client: RawClient): Promise<string[]> {
  const answer = (await client.metadata(null)) as { brokers: Brokers };
  return answer.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).sort();
}

test('a client on the SSL listener of broker 1 is told the SSL endpoints of all three brokers', async () => {
  const ssl = await RawClient.connect({ port: sslPorts.get(1)!, tls: { ca: certs.read(certs.caFile), servername: 'localhost' } });
  const plain = await RawClient.connect({ port: cluster.member(1).broker.port });
  try {
    const wantSsl = [1, 2, 3].map((id) => `${id}@127.0.0.1:${sslPorts.get(id)}`);
    const wantPlain = [1, 2, 3].map((id) => `${id}@127.0.0.1:${cluster.member(id).broker.port}`);
    // Registrations of brokers 2 and 3 reach broker 1 through the metadata group.
    let seen: string[] = [];
    await waitFor(
      async () => {
        seen = await brokersSeenBy(ssl);
        return seen.length === 3;
      },
      'three brokers in the metadata',
      20_000,
      200,
    );
    assert.deepEqual(seen, wantSsl);
    assert.deepEqual(await brokersSeenBy(plain), wantPlain);
  } finally {
    ssl.close();
    plain.close();
  }
});

// issue 15, the SDK over TLS (src/client/connection.ts, `ssl` with KafkaJS's option names)
// against a scripted broker on a TLS port with certificates made by the test: the broker's
// certificate is checked against `ssl.ca` and the address (its IP SAN) or `ssl.servername`;
// an untrusted certificate is refused with an error that says so; `rejectUnauthorized: false`
// turns the check off; and TLS and SASL together (SASL_SSL) log in over the encrypted stream.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../../src/client/cluster.ts';
import { ConnectionError } from '../../../src/client/connection.ts';
import { openConnection } from '../../../src/client/open-connection.ts';
import { checkSecurity, type SslOptions } from '../../../src/client/security.ts';
import { ApiKey, metadata } from '../../../src/protocol/apis/index.ts';
import { type ClientTestCerts, makeClientTestCerts } from '../../helpers/client-certs.ts';
import { FakeKafkaBroker } from '../../helpers/fake-kafka-broker.ts';
import { fakeSasl } from '../../helpers/fake-sasl.ts';

let certs: ClientTestCerts;
let broker: FakeKafkaBroker;

const metadataBody = { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };
const sasl = fakeSasl({ users: { alice: 'tls-and-sasl' } });

before(async () => {
  certs = makeClientTestCerts();
  let port = 0;
  broker = await FakeKafkaBroker.start(
    { [ApiKey.Metadata]: () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port }], clusterId: 'tls', controllerId: 1, topics: [] }) },
    { tls: { cert: certs.brokerCert, key: certs.brokerKey } },
  );
  port = broker.port;
});

after(async () => {
  await broker?.close();
  certs?.remove();
});

async function connectWith(ssl: SslOptions | true, address = broker.address) {
  const opened = await openConnection(address, { security: checkSecurity({ ssl }), limits: { connectTimeoutMs: 3_000 } });
  try {
    return await opened.connection.request(metadata, metadataBody);
  } finally {
    opened.connection.close();
  }
}

test('ssl.ca: a broker certificate signed by the CA and naming 127.0.0.1 is accepted', async () => {
  assert.equal((await connectWith({ ca: certs.ca })).clusterId, 'tls');
});

test('ssl.servername: the certificate is checked against the given name (localhost), not the IP', async () => {
  assert.equal((await connectWith({ ca: certs.ca, servername: 'localhost' })).clusterId, 'tls');
  await assert.rejects(
    connectWith({ ca: certs.ca, servername: 'broker.example' }),
    (e: unknown) => e instanceof ConnectionError && /TLS handshake failed: ERR_TLS_CERT_ALTNAME_INVALID/.test(e.message),
  );
});

test('a broker certificate from a CA the client does not trust is refused, and the error says why', async () => {
  for (const ssl of [{ ca: certs.otherCa }, true] as const) {
    await assert.rejects(
      connectWith(ssl),
      (e: unknown) =>
        e instanceof ConnectionError &&
        e.message.includes(broker.address) &&
        /TLS handshake failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/.test(e.message),
    );
  }
});

test('ssl.rejectUnauthorized false accepts any certificate (for tests only, as in KafkaJS)', async () => {
  assert.equal((await connectWith({ rejectUnauthorized: false })).clusterId, 'tls');
});

test('a TLS client on a plaintext port fails to connect with a clear error, within the connect timeout', async (t) => {
  const plain = await FakeKafkaBroker.start({});
  t.after(() => plain.close());
  await assert.rejects(
    openConnection(plain.address, { security: checkSecurity({ ssl: { ca: certs.ca } }), limits: { connectTimeoutMs: 1_000 } }),
    (e: unknown) => e instanceof ConnectionError && /cannot reach the broker at .*: TLS handshake failed/.test(e.message),
  );
});

test('SASL_SSL: the SDK logs in with SCRAM over TLS', async (t) => {
  let port = 0;
  const secure = await FakeKafkaBroker.start(
    sasl.handlers({ [ApiKey.Metadata]: () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port }], clusterId: 'sasl-ssl', controllerId: 1, topics: [] }) }),
    { tls: { cert: certs.brokerCert, key: certs.brokerKey } },
  );
  port = secure.port;
  t.after(() => secure.close());
  const cluster = new Cluster({
    bootstrap: [secure.address],
    ssl: { ca: certs.ca },
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'tls-and-sasl' },
  });
  t.after(() => cluster.close());
  assert.equal((await cluster.metadata([], { refresh: true })).clusterId, 'sasl-ssl');
  assert.equal(sasl.logins.length, 1);
  assert.deepEqual(sasl.refused, []);
});

// issue 15, SDK SASL login over the wire (src/client/sasl-login.ts, open-connection.ts,
// connection.ts) against a scripted broker with an independent SASL server
// (test/helpers/fake-sasl.ts) that closes the connection, as Kafka does, on any request before
// login, during a re-login or after the session expired: SCRAM-SHA-256/512 and PLAIN logins,
// refused logins with SASL_AUTHENTICATION_FAILED, an unknown mechanism, a server that cannot
// prove itself, KIP-368 re-authentication on the same connection, and every lane of the SDK
// logging in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin } from '../../../src/client/admin/admin.ts';
import { Cluster } from '../../../src/client/cluster.ts';
import { KafkaError } from '../../../src/client/errors.ts';
import { openConnection } from '../../../src/client/open-connection.ts';
import { checkSecurity, type SaslOptions } from '../../../src/client/security.ts';
import { ApiKey, metadata } from '../../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { FakeKafkaBroker } from '../../helpers/fake-kafka-broker.ts';
import { type FakeSaslOptions, fakeSasl } from '../../helpers/fake-sasl.ts';

type After = { after(fn: () => Promise<void> | void): void };

const PASSWORD = 'correct horse battery staple';

/** A broker answering Metadata with itself as node 1 and no topics, behind the fake SASL gate. */
async function saslBroker(t: After, options: Partial<FakeSaslOptions> = {}) {
  const sasl = fakeSasl({ users: { alice: PASSWORD }, ...options });
  let port = 0;
  const broker = await FakeKafkaBroker.start(
    sasl.handlers({
      [ApiKey.Metadata]: () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port }], clusterId: 'fake', controllerId: 1, topics: [] }),
    }),
  );
  port = broker.port;
  t.after(() => broker.close());
  return { broker, sasl };
}

const metadataBody = { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false };

for (const mechanism of ['scram-sha-256', 'scram-sha-512', 'plain']) {
  test(`${mechanism}: the SDK logs in before its first request and the broker serves it`, async (t) => {
    const { broker, sasl } = await saslBroker(t);
    const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism, username: 'alice', password: PASSWORD } });
    t.after(() => cluster.close());
    const meta = await cluster.metadata([], { refresh: true });
    assert.equal(meta.clusterId, 'fake');
    assert.deepEqual(sasl.logins, [{ connection: 1, user: 'alice', mechanism: mechanism.toUpperCase() }]);
    assert.deepEqual(sasl.refused, []);
    const order = broker.requests.map((r) => r.apiKey);
    const expected =
      mechanism === 'plain'
        ? [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]
        : [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.SaslAuthenticate];
    assert.deepEqual(order.slice(0, expected.length), expected, 'ApiVersions, then the handshake, then the exchange (KIP-152)');
    assert.equal(broker.versionsOf({ apiKey: ApiKey.SaslHandshake } as never)[0], 1, 'SaslHandshake v1: tokens travel in SaslAuthenticate');
  });
}

test('a wrong password is refused with SASL_AUTHENTICATION_FAILED, and the error does not carry the password', async (t) => {
  const { broker } = await saslBroker(t);
  for (const mechanism of ['scram-sha-512', 'plain']) {
    const wrong = 'not-the-password-42';
    const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism, username: 'alice', password: wrong } });
    t.after(() => cluster.close());
    await assert.rejects(
      cluster.metadata([], { refresh: true }),
      (e: unknown) =>
        e instanceof KafkaError &&
        e.code === ErrorCode.SASL_AUTHENTICATION_FAILED &&
        /SASL_AUTHENTICATION_FAILED/.test(e.message) &&
        /login as alice/.test(e.message) &&
        !e.message.includes(wrong) &&
        !e.retriable,
    );
  }
});

test('an unknown user is refused the same way as a wrong password', async (t) => {
  const { broker } = await saslBroker(t);
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism: 'scram-sha-256', username: 'mallory', password: PASSWORD } });
  t.after(() => cluster.close());
  await assert.rejects(cluster.metadata([], { refresh: true }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED);
});

test('a mechanism the broker does not offer fails with UNSUPPORTED_SASL_MECHANISM naming what it offers', async (t) => {
  const { broker } = await saslBroker(t, { mechanisms: ['SCRAM-SHA-512'] });
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism: 'plain', username: 'alice', password: PASSWORD } });
  t.after(() => cluster.close());
  await assert.rejects(
    cluster.metadata([], { refresh: true }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_SASL_MECHANISM && /offers SCRAM-SHA-512/.test(e.message),
  );
});

test('RFC 5802 §9: a server that accepts the proof but cannot sign with the credential is refused by the client', async (t) => {
  const { broker } = await saslBroker(t, { wrongServerSignature: true });
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } });
  t.after(() => cluster.close());
  await assert.rejects(
    cluster.metadata([], { refresh: true }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED && /signature is wrong/.test(e.message),
  );
});

test('KIP-368: the connection logs in again before its session expires and keeps serving, on the same connection', async (t) => {
  // A 600 ms session: re-login at 510-570 ms. The fake broker closes the connection on any
  // request after 600 ms without a new login, or in the middle of one.
  const { broker, sasl } = await saslBroker(t, { sessionLifetimeMs: 600 });
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } });
  t.after(() => cluster.close());
  const deadline = Date.now() + 2_000;
  let answered = 0;
  // Three requesters at once, so a re-login starts with requests in flight and others arrive during it.
  const requester = async () => {
    while (Date.now() < deadline) {
      await cluster.request('any', metadata, metadataBody);
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  await Promise.all([requester(), requester(), requester()]);
  assert.deepEqual(sasl.refused, [], 'no request reached the broker before login, mid-login or after expiry');
  assert.equal(broker.connections, 1, 'the same connection all along');
  assert.ok(sasl.logins.length >= 3, `logged in ${sasl.logins.length} times in 2 s of 600 ms sessions`);
  assert.ok(answered > 0);
});

test('KIP-368: an idle connection re-authenticates on its own timer, so its next request is served', async (t) => {
  const { broker, sasl } = await saslBroker(t, { sessionLifetimeMs: 400 });
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD } });
  t.after(() => cluster.close());
  await cluster.request('any', metadata, metadataBody);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.ok(sasl.logins.length >= 2, `logged in again while idle (${sasl.logins.length} logins)`);
  await cluster.request('any', metadata, metadataBody);
  assert.deepEqual(sasl.refused, []);
  assert.equal(broker.connections, 1);
});

test('KIP-368: a re-login the broker refuses closes the connection; the client reconnects and reports the refusal', async (t) => {
  const users: Record<string, string> = { alice: PASSWORD };
  const sasl = fakeSasl({ users, sessionLifetimeMs: 300 });
  const broker = await FakeKafkaBroker.start(sasl.handlers({ [ApiKey.Metadata]: () => ({ brokers: [], clusterId: 'fake', controllerId: 1, topics: [] }) }));
  t.after(() => broker.close());
  const opened = await openConnection(broker.address, {
    security: checkSecurity({ sasl: { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD } }),
  });
  t.after(() => opened.connection.close());
  users.alice = 'changed by an operator';
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(opened.connection.isOpen, false, 'a session that could not be renewed is closed by the client');
  await assert.rejects(opened.connection.request(metadata, metadataBody), /re-authentication to .* failed: .*SASL_AUTHENTICATION_FAILED/);
});

test('every connection the SDK opens logs in: the main lane and the group lane (Admin, consumer groups)', async (t) => {
  const { broker, sasl } = await saslBroker(t);
  const credentials: SaslOptions = { mechanism: 'scram-sha-512', username: 'alice', password: PASSWORD };
  const cluster = new Cluster({ bootstrap: [broker.address], sasl: credentials });
  t.after(() => cluster.close());
  await cluster.request(1, metadata, metadataBody);
  await cluster.request(1, metadata, metadataBody, 'group');
  assert.deepEqual(
    sasl.logins.map((l) => l.connection),
    [1, 2],
  );
  const admin = new Admin({ bootstrap: [broker.address], sasl: credentials });
  t.after(() => admin.close());
  assert.deepEqual(await admin.listTopics(), []);
  assert.equal(sasl.logins.length, 3, 'the Admin passes sasl to its connections');
  assert.deepEqual(sasl.refused, []);
});

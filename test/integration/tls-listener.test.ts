// issue 15 (TLS listeners): a KafkaServer on an SSL listener, with a handler that records the
// Session each request arrives with. Checks: TLS clients are served; with mTLS the principal is
// `User:<subject DN>` (Kafka's default SSL principal builder); untrusted and expired client
// certificates and plaintext clients are refused, logged once per client host, and the listener
// goes on serving; a replaced certificate is loaded without a restart and used by new connections.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { RawClient } from '../../bench/lib/raw-client.ts';
import type { ClientAuth } from '../../src/config/index.ts';
import type { AnyApiHandler } from '../../src/broker/handler.ts';
import { KafkaServer } from '../../src/broker/server.ts';
import { TlsFiles } from '../../src/broker/tls-files.ts';
import { apiVersions } from '../../src/protocol/apis/api-versions.ts';
import { ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { Session } from '../../src/security/session.ts';
import { genCerts, makeTestCerts, type TestCerts } from '../helpers/certs.ts';
import { captureLogger } from '../helpers/log-capture.ts';
import { waitFor } from '../helpers/wait-for.ts';

let certs: TestCerts;
const sessions: Session[] = [];

// ApiVersions answered as the broker does, recording the Session the connection handed over.
const recordingHandlers = new Map<number, AnyApiHandler>([
  [
    ApiKey.ApiVersions,
    {
      api: apiVersions,
      handle(_request, context) {
        sessions.push(context.session);
        return { errorCode: ErrorCode.NONE, apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 };
      },
    },
  ],
]);

interface Listening {
  server: KafkaServer;
  port: number;
  files: TlsFiles;
  log: ReturnType<typeof captureLogger>;
}

async function startSsl(clientAuth: ClientAuth, caFile: string | null = certs.caFile): Promise<Listening> {
  const log = captureLogger();
  const files = new TlsFiles({ certFile: certs.brokerCertFile, keyFile: certs.brokerKeyFile, caFile }, log.logger);
  const server = new KafkaServer(
    recordingHandlers,
    {
      listener: 'SECURE',
      securityProtocol: 'SSL',
      host: '127.0.0.1',
      port: 0,
      frameBytesMax: 1024 * 1024,
      inflightRequestsMax: 10,
      connectionsMax: 100,
      partitionsPerRequestMax: 100,
      idleMs: 0,
      tls: { material: files.material, clientAuth },
    },
    log.logger,
  );
  files.onReload((material) => server.setSecureContext(material));
  const { port } = await server.listen();
  return { server, port, files, log };
}

async function stop(listening: Listening): Promise<void> {
  listening.files.close();
  await listening.server.close();
}

/** Connects, sends ApiVersions, and returns the Session the handler saw. */
async function sessionOf(port: number, tls: Parameters<typeof RawClient.connect>[0]['tls']): Promise<Session> {
  const before = sessions.length;
  const client = await RawClient.connect({ port, tls: { servername: 'localhost', ...tls } });
  client.close();
  assert.equal(sessions.length, before + 1);
  return sessions[sessions.length - 1]!;
}

/** True when the client's ApiVersions fails: the handshake (TLS 1.2) or the first read (TLS 1.3) is refused. */
async function refused(port: number, tls: Parameters<typeof RawClient.connect>[0]['tls']): Promise<boolean> {
  try {
    const client = await RawClient.connect({ port, tls: { servername: 'localhost', ...tls }, connectTimeoutMs: 5_000 });
    client.close();
    return false;
  } catch {
    return true;
  }
}

before(() => {
  certs = makeTestCerts();
});
after(() => certs.remove());

test('an SSL listener serves a TLS client; without a client certificate the principal is ANONYMOUS', async () => {
  const listening = await startSsl('none');
  try {
    const session = await sessionOf(listening.port, { ca: certs.read(certs.caFile) });
    assert.deepEqual(session, { listener: 'SECURE', securityProtocol: 'SSL', host: '127.0.0.1', principal: 'User:ANONYMOUS' });
    // The broker certificate names 127.0.0.1 too (SAN), so a client checking the IP accepts it.
    assert.equal((await sessionOf(listening.port, { ca: certs.read(certs.caFile), servername: undefined })).listener, 'SECURE');
    assert.ok(await refused(listening.port, { ca: certs.read(certs.otherCaFile) }), 'a client that does not trust our CA must not connect');
  } finally {
    await stop(listening);
  }
});

test('mTLS (client_auth required): the principal is User:<subject DN>; no, untrusted or expired certificates are refused and logged once', async () => {
  const listening = await startSsl('required');
  const ca = certs.read(certs.caFile);
  try {
    const session = await sessionOf(listening.port, { ca, cert: certs.read(certs.clientCertFile), key: certs.read(certs.clientKeyFile) });
    assert.equal(session.principal, 'User:CN=client,OU=Clients,O=Runnel');
    const count = sessions.length;
    assert.ok(await refused(listening.port, { ca }), 'no client certificate');
    assert.ok(await refused(listening.port, { ca, cert: certs.read(certs.untrustedCertFile), key: certs.read(certs.untrustedKeyFile) }), 'untrusted');
    assert.ok(await refused(listening.port, { ca, cert: certs.read(certs.expiredCertFile), key: certs.read(certs.expiredKeyFile) }), 'expired');
    assert.equal(sessions.length, count, 'no refused client reached a handler');
    await waitFor(() => listening.log.matching('TLS handshake failed').length > 0, 'the refusal logged');
    // Three refusals from one host within a minute: one line.
    assert.equal(listening.log.matching('TLS handshake failed').length, 1, JSON.stringify(listening.log.lines));
    // The listener still serves good clients.
    assert.equal(
      (await sessionOf(listening.port, { ca, cert: certs.read(certs.clientCertFile), key: certs.read(certs.clientKeyFile) })).principal,
      session.principal,
    );
  } finally {
    await stop(listening);
  }
});

test('client_auth requested: a client without a certificate is ANONYMOUS, one with an untrusted certificate is refused', async () => {
  const listening = await startSsl('requested');
  const ca = certs.read(certs.caFile);
  try {
    assert.equal((await sessionOf(listening.port, { ca })).principal, 'User:ANONYMOUS');
    const withCert = await sessionOf(listening.port, { ca, cert: certs.read(certs.clientCertFile), key: certs.read(certs.clientKeyFile) });
    assert.equal(withCert.principal, 'User:CN=client,OU=Clients,O=Runnel');
    assert.ok(await refused(listening.port, { ca, cert: certs.read(certs.untrustedCertFile), key: certs.read(certs.untrustedKeyFile) }));
    assert.ok(await refused(listening.port, { ca, cert: certs.read(certs.expiredCertFile), key: certs.read(certs.expiredKeyFile) }));
    await waitFor(() => listening.log.matching('client certificate refused').length > 0, 'the refusal logged');
    assert.equal(listening.log.matching('client certificate refused').length, 1);
  } finally {
    await stop(listening);
  }
});

test('a plaintext Kafka client on the TLS port is refused (logged once per host), and the listener is unaffected', async () => {
  const listening = await startSsl('none');
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(RawClient.connect({ port: listening.port, connectTimeoutMs: 5_000 }));
    }
    // Raw garbage too: a byte at a time, then the connection closes on us.
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: listening.port }, () => socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    await waitFor(() => listening.log.matching('TLS handshake failed').length > 0, 'the refusal logged');
    const lines = listening.log.matching('TLS handshake failed');
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.match(String(lines[0]!.msg), /did not speak TLS/);
    assert.equal((await sessionOf(listening.port, { ca: certs.read(certs.caFile) })).securityProtocol, 'SSL');
  } finally {
    await stop(listening);
  }
});

test('certificate reload: replaced files are taken for new connections; a bad file keeps the old certificate, logged once', async () => {
  const listening = await startSsl('none', null);
  const next = `${certs.dir}/next`;
  genCerts(next);
  try {
    const oldCa = certs.read(certs.caFile);
    const newCa = certs.read(`${next}/ca.pem`);
    assert.equal((await sessionOf(listening.port, { ca: oldCa })).listener, 'SECURE');
    assert.ok(await refused(listening.port, { ca: newCa }));

    // A key that does not match the certificate: refused, the old certificate stays.
    copyFileSync(`${next}/broker.key`, certs.brokerKeyFile);
    assert.equal(listening.files.check(), false);
    assert.equal(listening.files.check(), false, 'the same bad state is not read twice');
    assert.equal(listening.log.matching('reload refused').length, 1);
    // issue 15: no secret in a log line, not even the key that failed.
    assert.ok(!JSON.stringify(listening.log.lines).includes('PRIVATE KEY'));
    assert.equal((await sessionOf(listening.port, { ca: oldCa })).listener, 'SECURE');

    copyFileSync(`${next}/broker.pem`, certs.brokerCertFile);
    assert.equal(listening.files.check(), true);
    assert.equal((await sessionOf(listening.port, { ca: newCa })).listener, 'SECURE');
    assert.ok(await refused(listening.port, { ca: oldCa }), 'new connections get the new certificate');
  } finally {
    await stop(listening);
  }
});

test('an unreadable or mismatched certificate stops the start with the field named, and no key material in the message', () => {
  const logger = captureLogger().logger;
  assert.throws(
    () => new TlsFiles({ certFile: `${certs.dir}/missing.pem`, keyFile: certs.brokerKeyFile, caFile: null }, logger),
    /^Error: tls\.cert_file ".*missing\.pem": cannot read it: ENOENT$/,
  );
  assert.throws(
    () => new TlsFiles({ certFile: certs.brokerCertFile, keyFile: certs.clientKeyFile, caFile: null }, logger),
    (err: Error) => /not a usable certificate and key/.test(err.message) && !err.message.includes('PRIVATE KEY'),
  );
});

// issue 15 "SASL": a broker's SASL_PLAINTEXT listener with PLAIN and SCRAM-SHA-256/512, the users
// managed with AlterUserScramCredentials / DescribeUserScramCredentials (the SDK's Admin), the
// bootstrap user, KIP-368 re-authentication, and no password in the broker's log.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startBrokerNode, type BrokerNode } from '../../src/node/broker-node.ts';
import { saslEnvironment } from '../../src/node/sasl-wiring.ts';
import { KafkaServer } from '../../src/broker/server.ts';
import { createHandlers } from '../../src/broker/handlers/index.ts';
import type { SaslEnvironment } from '../../src/broker/sasl-authenticator.ts';
import { KafkaConnection } from '../../src/client/connection.ts';
import { Admin } from '../../src/client/admin/admin.ts';
import { KafkaError } from '../../src/client/errors.ts';
import { apiVersions, metadata, saslAuthenticate } from '../../src/protocol/apis/index.ts';
import { encodeRequest, decodeResponse } from '../../src/protocol/header.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';
import { captureLogger } from '../helpers/log-capture.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { login, plainLoginV0 } from '../helpers/sasl-login.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';

const ADMIN_PASSWORD = 'bootstrap-Pa55word-xyz';
const ALICE_PASSWORD = 'alice-Pa55word-qrs';
const WRONG_PASSWORD = 'wrong-Pa55word-tuv';

const log = captureLogger();
let node: BrokerNode;
let dataDir: string;
/** KIP-368's listener: a SASL_PLAINTEXT server over the broker's own handlers, with a clock the test moves. */
const servers: KafkaServer[] = [];
let saslPort: number;
let clockMs = 1_000_000;
let expiringPort: number;
const connections: KafkaConnection[] = [];

async function saslListener(env: SaslEnvironment): Promise<number> {
  const server = new KafkaServer(
    createHandlers(node.services),
    {
      listener: 'SASL_PLAINTEXT',
      securityProtocol: 'SASL_PLAINTEXT',
      sasl: env,
      host: '127.0.0.1',
      port: 0,
      frameBytesMax: 1 << 20,
      inflightRequestsMax: 10,
      connectionsMax: 100,
      partitionsPerRequestMax: 1000,
      idleMs: 0,
    },
    log.logger,
  );
  servers.push(server);
  return (await server.listen()).port;
}

async function connect(port: number): Promise<KafkaConnection> {
  const conn = await KafkaConnection.connect(`127.0.0.1:${port}`, { limits: { requestTimeoutMs: 5_000 } });
  connections.push(conn);
  return conn;
}

/** Whether a Metadata request is served on the connection (false: the broker closed it). */
async function served(conn: KafkaConnection): Promise<boolean> {
  try {
    await conn.request(metadata, { topics: [], allowAutoTopicCreation: false }, 1);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  const made = inProcessConfig('sasl', (config) => {
    config.http.enabled = false;
    config.sasl.mechanisms = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];
    config.sasl.bootstrap_user = 'admin';
    config.listeners = [
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 0, advertised_host: null, advertised_port: null, security_protocol: 'PLAINTEXT' },
      { name: 'SASL', host: '127.0.0.1', port: 0, advertised_host: null, advertised_port: null, security_protocol: 'SASL_PLAINTEXT' },
    ];
  });
  dataDir = made.dataDir;
  process.env.RUNNEL_BOOTSTRAP_PASSWORD = ADMIN_PASSWORD;
  try {
    node = await startBrokerNode(made.config, log.logger);
  } finally {
    delete process.env.RUNNEL_BOOTSTRAP_PASSWORD;
  }
  saslPort = node.listeners.find((l) => l.name === 'SASL')!.port;
  const env = saslEnvironment(made.config, node.services.controller, log.logger);
  expiringPort = await saslListener({ ...env, sessionLifetimeMs: 60_000, nowMs: () => clockMs });
  await waitFor(() => node.services.controller.state.scramUsers().length > 0, 'the bootstrap user', 10_000);
});

after(async () => {
  for (const conn of connections) conn.close();
  for (const server of servers) await server.close();
  await node?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('issue 15: sasl.bootstrap_user is created at first start with both SCRAM mechanisms and logs in', async () => {
  assert.deepEqual(node.services.controller.state.scramUsers(), [
    {
      user: 'admin',
      mechanisms: [
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ],
    },
  ]);
  for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const) {
    const conn = await connect(saslPort);
    const answer = await login(conn, mechanism, 'admin', ADMIN_PASSWORD);
    assert.equal(answer.errorCode, ErrorCode.NONE, `${mechanism}: ${answer.errorMessage}`);
    assert.equal(await served(conn), true, mechanism);
  }
});

test('issue 15: before authentication only ApiVersions and SaslHandshake are served; anything else closes the connection', async () => {
  const conn = await connect(saslPort);
  const versions = await conn.request(apiVersions, { clientSoftwareName: 't', clientSoftwareVersion: '1' }, 3);
  assert.equal(versions.errorCode, ErrorCode.NONE);
  assert.ok(versions.apiKeys.some((k) => k.apiKey === 50) && versions.apiKeys.some((k) => k.apiKey === 51));
  assert.equal(await served(conn), false);
  // SaslAuthenticate before SaslHandshake: refused too.
  const early = await connect(saslPort);
  await assert.rejects(early.request(saslAuthenticate, { authBytes: Buffer.from('x') }, 1));
});

test('issue 15: a wrong password and an unknown user get the same SASL_AUTHENTICATION_FAILED, then the connection closes', async () => {
  for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const) {
    for (const [user, password] of [
      ['admin', WRONG_PASSWORD],
      ['nobody', ADMIN_PASSWORD],
    ]) {
      const conn = await connect(saslPort);
      const answer = await login(conn, mechanism, user, password);
      assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, `${mechanism} ${user}`);
      assert.equal(answer.errorMessage, `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
      assert.equal(await served(conn), false);
    }
  }
  // Logged once per client host and minute, with the user and reason, not per attempt.
  const failures = log.matching('SASL authentication failed');
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.listener, 'SASL');
});

test('issue 15: an unsupported mechanism is answered with the enabled ones', async () => {
  const conn = await connect(saslPort);
  const answer = await login(conn, 'GSSAPI' as 'PLAIN', 'admin', ADMIN_PASSWORD);
  assert.equal(answer.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assert.equal(answer.errorMessage, 'handshake: SCRAM-SHA-512,SCRAM-SHA-256,PLAIN');
});

test('KIP-43: SaslHandshake v0 then PLAIN as a bare token; a wrong password closes the connection', async () => {
  const raw = await RawConnection.connect(saslPort);
  try {
    assert.equal(await plainLoginV0(raw, 'admin', ADMIN_PASSWORD), true);
    const answer = await raw.roundTrip(encodeRequest(metadata, 1, 7, 't', { topics: [], allowAutoTopicCreation: false }));
    assert.equal(answer.kind, 'frame');
    assert.equal(decodeResponse(metadata, 1, (answer as { frame: Buffer }).frame).correlationId, 7);
  } finally {
    raw.close();
  }
  const wrong = await RawConnection.connect(saslPort);
  try {
    assert.equal(await plainLoginV0(wrong, 'admin', WRONG_PASSWORD), 'refused');
    assert.equal(await wrong.waitClosed(), true);
  } finally {
    wrong.close();
  }
});

test('KIP-554: users created, described and deleted through the Admin client, with Kafka error codes', async () => {
  const adminConn = { bootstrap: [`127.0.0.1:${node.port}`] };
  const admin = new Admin(adminConn);
  try {
    await admin.alterUserScramCredentials([{ op: 'upsert', user: 'alice', mechanism: 'SCRAM-SHA-512', password: ALICE_PASSWORD, iterations: 8192 }]);
    assert.deepEqual(await admin.describeUserScramCredentials(['alice']), [{ user: 'alice', mechanisms: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] }]);
    const conn = await connect(saslPort);
    assert.equal((await login(conn, 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD)).errorCode, ErrorCode.NONE);
    // alice has no SHA-256 credential: that login fails like a wrong password.
    assert.equal((await login(await connect(saslPort), 'SCRAM-SHA-256', 'alice', ALICE_PASSWORD)).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);

    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return ErrorCode.NONE;
      } catch (err) {
        assert.ok(err instanceof KafkaError, String(err));
        return err.code;
      }
    };
    const upsert = (user: string, iterations = 4096) => ({ op: 'upsert' as const, user, mechanism: 'SCRAM-SHA-256' as const, password: 'x', iterations });
    assert.equal(await code(admin.alterUserScramCredentials([upsert('bob', 1000)])), ErrorCode.UNACCEPTABLE_CREDENTIAL);
    assert.equal(await code(admin.alterUserScramCredentials([upsert('bob', 20_000)])), ErrorCode.UNACCEPTABLE_CREDENTIAL);
    assert.equal(await code(admin.alterUserScramCredentials([upsert('')])), ErrorCode.UNACCEPTABLE_CREDENTIAL);
    assert.equal(await code(admin.alterUserScramCredentials([upsert('bob'), upsert('bob')])), ErrorCode.DUPLICATE_RESOURCE);
    assert.equal(await code(admin.alterUserScramCredentials([{ op: 'delete', user: 'bob', mechanism: 'SCRAM-SHA-256' }])), ErrorCode.RESOURCE_NOT_FOUND);
    assert.equal(await code(admin.describeUserScramCredentials(['bob'])), ErrorCode.RESOURCE_NOT_FOUND);
    // None of the refused alterations created bob.
    assert.deepEqual(
      (await admin.describeUserScramCredentials()).map((u) => u.user),
      ['admin', 'alice'],
    );

    await admin.alterUserScramCredentials([{ op: 'delete', user: 'alice', mechanism: 'SCRAM-SHA-512' }]);
    assert.equal((await login(await connect(saslPort), 'SCRAM-SHA-512', 'alice', ALICE_PASSWORD)).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    // A connection that logged in before stays logged in (Kafka checks credentials at login).
    assert.equal(await served(conn), true);
  } finally {
    await admin.close();
  }
});

test('issue 15: runnel user create|list|delete manage users; the password comes from the environment, never argv', async () => {
  const bootstrap = ['-b', `127.0.0.1:${node.port}`];
  const carolPassword = 'carol-Pa55word-cli';
  const missing = await runnelInProcess(['user', 'create', 'carol', ...bootstrap], {});
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /RUNNEL_CLI_PASSWORD/);
  const created = await runnelInProcess(['user', 'create', 'carol', '--mechanism', 'SCRAM-SHA-256', ...bootstrap], { RUNNEL_CLI_PASSWORD: carolPassword });
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await login(await connect(saslPort), 'SCRAM-SHA-256', 'carol', carolPassword)).errorCode, ErrorCode.NONE);
  const listed = await runnelInProcess(['user', 'list', '--json', ...bootstrap], {});
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ user: string; mechanisms: unknown[] }>).find((u) => u.user === 'carol'),
    { user: 'carol', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
  );
  const deleted = await runnelInProcess(['user', 'delete', 'carol', ...bootstrap], {});
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stdout, /carol: SCRAM-SHA-256 deleted/);
  const again = await runnelInProcess(['user', 'delete', 'carol', ...bootstrap], {});
  assert.equal(again.code, 1);
  assert.match(again.stderr, /user carol does not exist/);
  assert.equal(JSON.stringify(log.lines).includes(carolPassword), false);
});

test('KIP-368: SaslAuthenticate v1 tells the session lifetime; an expired session is closed unless the client re-authenticated', async () => {
  const stale = await connect(expiringPort);
  const answer = await login(stale, 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD);
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.equal(Number(answer.sessionLifetimeMs), 60_000);
  const fresh = await connect(expiringPort);
  assert.equal((await login(fresh, 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD)).errorCode, ErrorCode.NONE);
  assert.equal(await served(stale), true);

  clockMs += 59_000;
  // Re-authentication on the same connection, before the session ends: a new handshake and login.
  assert.equal((await login(fresh, 'SCRAM-SHA-512', 'admin', ADMIN_PASSWORD)).errorCode, ErrorCode.NONE);
  clockMs += 2_000;
  assert.equal(await served(fresh), true, 're-authenticated: a new lifetime from the re-login');
  assert.equal(await served(stale), false, 'expired without re-authenticating: closed');
  assert.match(JSON.stringify(log.matching('before SASL').concat(log.lines.filter((l) => String(l.msg).includes('expired')))), /session expired/);
});

test('issue 15: no password appears in the broker log', () => {
  const text = JSON.stringify(log.lines);
  assert.ok(log.lines.length > 0);
  for (const secret of [ADMIN_PASSWORD, ALICE_PASSWORD, WRONG_PASSWORD]) assert.equal(text.includes(secret), false, secret);
  assert.match(text, /sasl.bootstrap_user created/);
});

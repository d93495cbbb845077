// issue 15, `runnel` on a secured listener (src/cli/runnel/security-flags.ts, target.ts) against
// a scripted broker with an independent SASL server (test/helpers/fake-sasl.ts): --username with
// the password from RUNNEL_PASSWORD, --password-file or (with a warning) --password; --tls with
// --tls-ca; a refused login is exit 1 naming SASL_AUTHENTICATION_FAILED without the password;
// every mistake in the flags is exit 2 naming the flag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Target } from '../../../src/cli/runnel/target.ts';
import { ApiKey, metadata } from '../../../src/protocol/apis/index.ts';
import { type ClientTestCerts, makeClientTestCerts } from '../../helpers/client-certs.ts';
import { FakeKafkaBroker } from '../../helpers/fake-kafka-broker.ts';
import { fakeSasl } from '../../helpers/fake-sasl.ts';
import { runnelInProcess } from '../../helpers/runnel-in-process.ts';

const PASSWORD = 's3cret-for-the-cli';
const sasl = fakeSasl({ users: { alice: PASSWORD } });
let certs: ClientTestCerts;
let plain: FakeKafkaBroker;
let secure: FakeKafkaBroker;

async function metadataBroker(tls?: { cert: string; key: string }): Promise<FakeKafkaBroker> {
  let port = 0;
  const broker = await FakeKafkaBroker.start(
    sasl.handlers({ [ApiKey.Metadata]: () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port }], clusterId: 'cli', controllerId: 1, topics: [] }) }),
    tls ? { tls } : {},
  );
  port = broker.port;
  return broker;
}

before(async () => {
  certs = makeClientTestCerts();
  writeFileSync(join(certs.dir, 'ca-for-cli.pem'), certs.ca);
  writeFileSync(join(certs.dir, 'password'), `${PASSWORD}\n`);
  plain = await metadataBroker();
  secure = await metadataBroker({ cert: certs.brokerCert, key: certs.brokerKey });
});

after(async () => {
  await plain?.close();
  await secure?.close();
  certs?.remove();
});

test('--username logs in with SCRAM-SHA-512 by default, the password from RUNNEL_PASSWORD', async () => {
  const before = sasl.logins.length;
  const r = await runnelInProcess(['topic', 'list', '-b', plain.address, '--username', 'alice'], { RUNNEL_PASSWORD: PASSWORD });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    sasl.logins.slice(before).map((l) => l.mechanism),
    ['SCRAM-SHA-512'],
  );
  assert.equal(r.stderr, '');
});

test('--password-file (its first line) and --sasl-mechanism; --password works but warns', async () => {
  const file = await runnelInProcess(
    ['topic', 'list', '-b', plain.address, '--username', 'alice', '--sasl-mechanism', 'scram-sha-256', '--password-file', join(certs.dir, 'password')],
    {},
  );
  assert.equal(file.code, 0, file.stderr);
  assert.equal(sasl.logins.at(-1)?.mechanism, 'SCRAM-SHA-256');
  const flag = await runnelInProcess(['topic', 'list', '-b', plain.address, '--username', 'alice', '--password', PASSWORD], {});
  assert.equal(flag.code, 0, flag.stderr);
  assert.match(flag.stderr, /warning: --password puts the password where other users can see it/);
  assert.ok(!flag.stderr.includes(PASSWORD), 'the warning does not repeat the password');
});

test('a wrong password: exit 1 with SASL_AUTHENTICATION_FAILED, and the password is printed nowhere', async () => {
  const wrong = 'wrong-password-7';
  const r = await runnelInProcess(['topic', 'list', '-b', plain.address, '--username', 'alice'], { RUNNEL_PASSWORD: wrong });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /SASL_AUTHENTICATION_FAILED/);
  assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong));
});

test('--tls-ca: the CLI reaches a TLS listener and logs in over it (SASL_SSL); without the CA the certificate is refused', async () => {
  const ok = await runnelInProcess(
    ['topic', 'list', '-b', secure.address, '--tls-ca', join(certs.dir, 'ca-for-cli.pem'), '--username', 'alice', '--sasl-mechanism', 'PLAIN'],
    {
      RUNNEL_PASSWORD: PASSWORD,
    },
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(sasl.logins.at(-1)?.mechanism, 'PLAIN');
  assert.equal(ok.stderr, '', 'PLAIN over TLS draws no warning');
  const untrusted = await runnelInProcess(['topic', 'list', '-b', secure.address, '--tls'], {});
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /TLS handshake failed/);
});

test('Target.kafka(), the raw connection of reassign and logs, logs in too', async () => {
  const before = sasl.logins.length;
  const target = new Target({ bootstrap: plain.address, security: { sasl: { mechanism: 'plain', username: 'alice', password: PASSWORD } }, env: {} });
  try {
    const connection = await target.kafka();
    assert.equal((await connection.request(metadata, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).clusterId, 'cli');
  } finally {
    target.close();
  }
  assert.equal(sasl.logins.length, before + 1);
  assert.deepEqual(sasl.refused, []);
});

test('mistakes in the security flags are exit 2 and name the flag', async () => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--username', 'alice'], {}, /--username alice needs a password: set RUNNEL_PASSWORD or give --password-file/],
    [['--password-file', 'x'], {}, /--password-file without --username/],
    [['--username', 'a', '--password-file', join(certs.dir, 'password'), '--password', 'p'], {}, /--password-file or --password, not both/],
    [['--username', 'a', '--sasl-mechanism', 'GSSAPI'], { RUNNEL_PASSWORD: 'p' }, /--sasl-mechanism GSSAPI: use SCRAM-SHA-512/],
    [['--tls-cert', join(certs.dir, 'password')], {}, /--tls-cert and --tls-key go together/],
    [['--tls-ca', join(certs.dir, 'no-such.pem')], {}, /--tls-ca .*no-such\.pem: cannot read it \(ENOENT\)/],
  ];
  for (const [flags, env, why] of cases) {
    const r = await runnelInProcess(['topic', 'list', '-b', plain.address, ...flags], env);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
  const plainWarning = await runnelInProcess(['topic', 'list', '-b', plain.address, '--username', 'alice', '--sasl-mechanism', 'plain'], {
    RUNNEL_PASSWORD: PASSWORD,
  });
  assert.equal(plainWarning.code, 0, plainWarning.stderr);
  assert.match(plainWarning.stderr, /warning: PLAIN without --tls sends the password in clear/);
});

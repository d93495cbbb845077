// issue 15 "SASL": kcat (librdkafka 2.0.2), KafkaJS and Python confluent-kafka log in to a broker's
// SASL_PLAINTEXT listener with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN as the bootstrap user
// (sasl.bootstrap_user, password from RUNNEL_BOOTSTRAP_PASSWORD), produce and read back; a wrong
// password and an unknown user are refused; the broker's log holds no password.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts, startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
const PASSWORD = 'compat-Adm1n-pw-8472';
const WRONG = 'compat-Wr0ng-pw-1234';

let broker: BrokerHandle;
let saslBootstrap: string;

before(async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  const [plainPort, saslPort] = await freePorts(2);
  saslBootstrap = `127.0.0.1:${saslPort}`;
  broker = await startBroker({
    port: plainPort,
    env: {
      RUNNEL_LISTENERS: JSON.stringify([
        { name: 'PLAINTEXT', host: '127.0.0.1', port: plainPort, security_protocol: 'PLAINTEXT' },
        { name: 'SASL', host: '127.0.0.1', port: saslPort, security_protocol: 'SASL_PLAINTEXT' },
      ]),
      RUNNEL_SASL__MECHANISMS: 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
      RUNNEL_SASL__BOOTSTRAP_USER: 'admin',
      RUNNEL_BOOTSTRAP_PASSWORD: PASSWORD,
    },
  });
});

after(async () => {
  await broker?.stop();
});

function kcatSasl(mechanism: string, user: string, password: string, args: string[], input?: string) {
  const full = [
    '-b',
    saslBootstrap,
    '-m',
    '10',
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    `sasl.mechanisms=${mechanism}`,
    '-X',
    `sasl.username=${user}`,
    '-X',
    `sasl.password=${password}`,
    ...args,
  ];
  return run(KCAT, full, { input, timeoutMs: 30_000 }).then((r) => ({ r, describe: `${describeRun(KCAT, full, r)}\n${broker.logs().slice(-10).join('\n')}` }));
}

for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN']) {
  test(`kcat -X sasl.mechanisms=${mechanism}: produces and consumes as the bootstrap user`, async () => {
    const topic = `kcat-sasl-${mechanism.toLowerCase()}`;
    const produced = await kcatSasl(mechanism, 'admin', PASSWORD, ['-P', '-t', topic, '-p', '0'], 'hello-sasl\n');
    assert.equal(produced.r.code, 0, produced.describe);
    const consumed = await kcatSasl(mechanism, 'admin', PASSWORD, ['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
    assert.equal(consumed.r.code, 0, consumed.describe);
    assert.equal(consumed.r.stdout.trim(), 'hello-sasl', consumed.describe);
  });
}

test('kcat: a wrong password and an unknown user are refused with an authentication error', async () => {
  for (const [user, password] of [
    ['admin', WRONG],
    ['nobody', PASSWORD],
  ]) {
    const { r, describe } = await kcatSasl('SCRAM-SHA-512', user, password, ['-L']);
    assert.notEqual(r.code, 0, describe);
    assert.match(r.stderr, /Authentication failed|SASL authentication error|invalid credentials/i, describe);
  }
});

test("KafkaJS sasl: { mechanism: 'scram-sha-512' } produces and its admin reads the offsets; a wrong password is refused", async () => {
  const kafka = (password: string) =>
    new Kafka({
      clientId: 'kafkajs-sasl',
      brokers: [saslBootstrap],
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
  const producer = kafka(PASSWORD).producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'kafkajs-sasl', messages: [{ value: 'from-kafkajs' }] });
  } finally {
    await producer.disconnect();
  }
  const admin = kafka(PASSWORD).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets('kafkajs-sasl');
    assert.equal(offsets[0]!.high, '1');
  } finally {
    await admin.disconnect();
  }
  const refused = kafka(WRONG).producer();
  await assert.rejects(refused.connect(), /SASL|[Aa]uthentication/);
  await refused.disconnect().catch(() => {});
});

test('Python confluent-kafka (SASL_PLAINTEXT, SCRAM-SHA-256): produces and reads back', async (t) => {
  const probe = await run(PYTHON, ['-c', 'import confluent_kafka']);
  if (probe.code !== 0) {
    t.skip('python3-confluent-kafka is not installed');
    return;
  }
  const args = [join(SCRIPTS, 'sasl_roundtrip.py'), saslBootstrap, 'py-sasl', 'SCRAM-SHA-256', 'admin'];
  const r = await run(PYTHON, args, { timeoutMs: 45_000, env: { ...process.env, SASL_TEST_PASSWORD: PASSWORD, PYTHONUNBUFFERED: '1' } });
  const describe = describeRun(PYTHON, args, r);
  assert.equal(r.code, 0, describe);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out, { delivered: null, read: 'from-python', error: null }, describe);
});

test("issue 15: the broker's log holds none of the passwords it was sent", () => {
  const text = broker.logs().join('\n');
  assert.match(text, /SASL authentication failed/);
  for (const secret of [PASSWORD, WRONG]) assert.equal(text.includes(secret), false, secret);
});

// issue 15 (TLS listeners) with the clients users run: kcat (librdkafka 2.0.2, `-X
// security.protocol=ssl`), KafkaJS (`ssl: { ca }`) and Python confluent-kafka, against one broker
// process with a PLAINTEXT and an SSL listener (client_auth requested). Each produces and reads
// back over SSL and is told the SSL listener's endpoint in Metadata; a client that does not trust
// the broker's CA fails. A missing tool skips its test with the reason.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { freePorts, startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { makeTestCerts, type TestCerts } from '../helpers/certs.ts';
import { describeRun, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
const PY_DIR = fileURLToPath(new URL('./python/', import.meta.url));
const PY_SCRIPT = join(PY_DIR, 'tls_roundtrip.py');

let broker: BrokerHandle;
let certs: TestCerts;
let sslPort: number;
let pythonMissing: string | false = false;

before(async () => {
  certs = makeTestCerts();
  const [plainPort, port] = await freePorts(2);
  sslPort = port!;
  broker = await startBroker({
    port: plainPort,
    env: {
      RUNNEL_LISTENERS: JSON.stringify([
        { name: 'PLAINTEXT', host: '127.0.0.1', port: plainPort },
        { name: 'SSL', host: '127.0.0.1', port: sslPort, security_protocol: 'SSL' },
      ]),
      RUNNEL_TLS__CERT_FILE: certs.brokerCertFile,
      RUNNEL_TLS__KEY_FILE: certs.brokerKeyFile,
      RUNNEL_TLS__CA_FILE: certs.caFile,
      RUNNEL_TLS__CLIENT_AUTH: 'requested',
    },
  });
  if (!existsSync(PYTHON)) pythonMissing = `${PYTHON} is missing`;
  else {
    const probe = await run(PYTHON, ['-c', 'import confluent_kafka']);
    if (probe.code !== 0) pythonMissing = 'python3-confluent-kafka is missing (install the Debian package; .ci/run does)';
  }
});

after(async () => {
  await broker?.stop();
  certs?.remove();
});

const sslBootstrap = () => `127.0.0.1:${sslPort}`;

function brokerTail(): string {
  return broker.logs().slice(-15).join('\n');
}

async function kcat(args: string[], input?: string) {
  const full = ['-b', sslBootstrap(), '-m', '10', '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caFile}`, ...args];
  const r = await run(KCAT, full, { input, timeoutMs: 30_000 });
  return { ...r, describe: `${describeRun(KCAT, full, r)}\n--- broker log tail\n${brokerTail()}` };
}

test('kcat over SSL: metadata names the SSL endpoint; produce and consume; with a client certificate too', {
  skip: !existsSync(KCAT) && `${KCAT} is missing`,
}, async () => {
  const listed = await kcat(['-L', '-J']);
  assert.equal(listed.code, 0, listed.describe);
  const metadata = JSON.parse(listed.stdout) as { brokers: Array<{ name: string }> };
  assert.deepEqual(
    metadata.brokers.map((b) => b.name),
    [`127.0.0.1:${sslPort}`],
    listed.describe,
  );
  const produced = await kcat(['-P', '-t', 'kcat-tls', '-p', '0'], 'one\ntwo\nthree\n');
  assert.equal(produced.code, 0, produced.describe);
  const consumed = await kcat(['-C', '-t', 'kcat-tls', '-p', '0', '-o', 'beginning', '-e', '-q']);
  assert.equal(consumed.code, 0, consumed.describe);
  assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two', 'three'], consumed.describe);
  const withCert = await kcat(['-L', '-X', `ssl.certificate.location=${certs.clientCertFile}`, '-X', `ssl.key.location=${certs.clientKeyFile}`]);
  assert.equal(withCert.code, 0, withCert.describe);
});

test('kcat refuses a broker whose certificate it cannot verify, and a plaintext kcat gets nothing from the SSL port', {
  skip: !existsSync(KCAT) && `${KCAT} is missing`,
}, async () => {
  const untrusting = await run(KCAT, ['-b', sslBootstrap(), '-m', '5', '-L', '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.otherCaFile}`], {
    timeoutMs: 30_000,
  });
  assert.notEqual(untrusting.code, 0);
  assert.match(untrusting.stderr, /certificate verify failed|SSL handshake failed/i);
  const plaintext = await run(KCAT, ['-b', sslBootstrap(), '-m', '3', '-L'], { timeoutMs: 30_000 });
  assert.notEqual(plaintext.code, 0);
  assert.ok(broker.alive());
});

test('KafkaJS over SSL (ssl: { ca }): produces, and Metadata names the SSL endpoint', async () => {
  const kafka = new Kafka({
    clientId: 'runnel-compat-tls',
    brokers: [sslBootstrap()],
    ssl: { ca: [certs.read(certs.caFile).toString()], servername: 'localhost' },
    connectionTimeout: 5_000,
    requestTimeout: 15_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kafkajs-tls', numPartitions: 1 }], waitForLeaders: true });
    const cluster = await admin.describeCluster();
    assert.deepEqual(
      cluster.brokers.map((b) => `${b.host}:${b.port}`),
      [`127.0.0.1:${sslPort}`],
    );
    await producer.connect();
    await producer.send({ topic: 'kafkajs-tls', messages: [{ value: 'a' }, { value: 'b' }] });
    const offsets = await admin.fetchTopicOffsets('kafkajs-tls');
    assert.equal(offsets[0]!.high, '2', brokerTail());
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

test('Python confluent-kafka over SSL with a client certificate: produces, reads back, sees the SSL endpoint', async (t) => {
  if (pythonMissing) {
    t.skip(pythonMissing);
    return;
  }
  const tls = {
    'security.protocol': 'SSL',
    'ssl.ca.location': certs.caFile,
    'ssl.certificate.location': certs.clientCertFile,
    'ssl.key.location': certs.clientKeyFile,
  };
  const args = [PY_SCRIPT, sslBootstrap(), 'py-tls', '5', certs.caFile, certs.clientCertFile, certs.clientKeyFile];
  const r = await run(PYTHON, args, { timeoutMs: 60_000 });
  const describe = `${describeRun(PYTHON, args, r)}\n--- broker log tail\n${brokerTail()}`;
  assert.equal(r.code, 0, describe);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { brokers: string[]; delivered: number; errors: string[] };
  assert.deepEqual(out.brokers, [`127.0.0.1:${sslPort}`], describe);
  assert.equal(out.delivered, 5, describe);
  const readArgs = [join(PY_DIR, 'consumer.py'), sslBootstrap(), 'py-tls', '0', '0', '5'];
  const read = await run(PYTHON, readArgs, { timeoutMs: 60_000, env: { ...process.env, KAFKA_EXTRA_CONFIG: JSON.stringify(tls) } });
  assert.equal(read.code, 0, describeRun(PYTHON, readArgs, read));
  const records = (JSON.parse(read.stdout.trim().split('\n').pop()!) as { records: Array<[number, string | null, string]> }).records;
  assert.deepEqual(
    records.map((record) => record[2]),
    ['py-tls-0', 'py-tls-1', 'py-tls-2', 'py-tls-3', 'py-tls-4'],
  );
});

// issue 15, the cross-client security matrix: our SDK, kcat (librdkafka), KafkaJS and Python
// confluent-kafka (librdkafka) each connect over PLAINTEXT, SSL, SASL_PLAINTEXT (PLAIN and
// SCRAM-SHA-512) and SASL_SSL (SCRAM-SHA-256 and SCRAM-SHA-512), produce one record and read it
// back; a wrong password is refused with SASL_AUTHENTICATION_FAILED as each client shows it;
// a broker certificate from a CA the client does not trust is refused by the client. One
// in-process broker with four listeners serves it all; certificates are made by the test.
// A client that is not installed is skipped with a message saying what to install.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import pino from 'pino';
import { Admin } from '../../src/client/admin/admin.ts';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { KafkaError } from '../../src/client/errors.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import type { ConnectionSecurity } from '../../src/client/security.ts';
import type { SecurityProtocolName } from '../../src/config/types.ts';
import { type BrokerNode, startBrokerNode } from '../../src/node/broker-node.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { type ClientTestCerts, makeClientTestCerts } from '../helpers/client-certs.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';
import { describeRun, run } from '../helpers/run.ts';

const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
const USER = 'admin';
const PASSWORD = 'matrix-Pa55word-42';
const WRONG = 'wrong-Pa55word-17';

type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

interface Mode {
  /** How the test names it, e.g. "SASL_SSL SCRAM-SHA-256". */
  name: string;
  protocol: SecurityProtocolName;
  mechanism: Mechanism | null;
}

const MODES: Mode[] = [
  { name: 'PLAINTEXT', protocol: 'PLAINTEXT', mechanism: null },
  { name: 'SSL', protocol: 'SSL', mechanism: null },
  { name: 'SASL_PLAINTEXT PLAIN', protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN' },
  { name: 'SASL_PLAINTEXT SCRAM-SHA-512', protocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512' },
  { name: 'SASL_SSL SCRAM-SHA-256', protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-256' },
  { name: 'SASL_SSL SCRAM-SHA-512', protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512' },
];
const SASL_SSL_512 = MODES.at(-1)!;
const SSL_ONLY = MODES[1]!;

/** The CA files in the certificates' directory (test/helpers/client-certs.ts): the one that signed the broker's certificate, and one that did not. */
const CA_FILE = 'ca.pem';
const OTHER_CA_FILE = 'other-ca.pem';

let node: BrokerNode;
let dataDir: string;
let certs: ClientTestCerts;
/** Security protocol → that listener's `host:port`. */
const addresses = new Map<SecurityProtocolName, string>();

before(async () => {
  certs = makeClientTestCerts();
  const made = inProcessConfig('security-matrix', (config) => {
    config.http.enabled = false;
    config.listeners = (['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const).map((protocol) => ({
      name: protocol,
      host: '127.0.0.1',
      port: 0,
      advertised_host: null,
      advertised_port: null,
      security_protocol: protocol,
    }));
    config.tls.cert_file = join(certs.dir, 'broker.pem');
    config.tls.key_file = join(certs.dir, 'localhost.key');
    Object.assign(config, { sasl: { mechanisms: ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'], session_lifetime_ms: 0, bootstrap_user: USER } });
  });
  dataDir = made.dataDir;
  // The bootstrap user's password is read from the environment at the first start only.
  process.env.RUNNEL_BOOTSTRAP_PASSWORD = PASSWORD;
  try {
    node = await startBrokerNode(made.config, pino({ level: 'silent' }));
  } finally {
    delete process.env.RUNNEL_BOOTSTRAP_PASSWORD;
  }
  for (const listener of node.listeners) addresses.set(listener.name as SecurityProtocolName, `127.0.0.1:${listener.port}`);
  // One single-partition topic per client and mode, made over the PLAINTEXT listener.
  const admin = new Admin({ bootstrap: [addresses.get('PLAINTEXT')!] });
  try {
    await admin.createTopics(CLIENTS.flatMap((client) => MODES.map((mode) => ({ name: topicOf(client, mode), partitions: 1, replicationFactor: 1 }))));
  } finally {
    await admin.close();
  }
});

after(async () => {
  await node?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  certs?.remove();
});

const CLIENTS = ['sdk', 'kcat', 'kafkajs', 'python'] as const;
type ClientName = (typeof CLIENTS)[number];

function topicOf(client: ClientName, mode: Mode): string {
  return `sec-${client}-${mode.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

function usesTls(mode: Mode): boolean {
  return mode.protocol === 'SSL' || mode.protocol === 'SASL_SSL';
}

/** How one client connects, produces one record to partition 0 and reads it back; rejects with what the client said. */
interface MatrixClient {
  /** Why the client cannot run here, or null. */
  missing(): Promise<string | null>;
  roundTrip(mode: Mode, topic: string, value: string, options: { password?: string; caFile?: string }): Promise<string>;
}

// ---- our SDK ----

function sdkSecurity(mode: Mode, password: string, caFile: string): ConnectionSecurity {
  return {
    ...(usesTls(mode) ? { ssl: { ca: certFile(caFile) } } : {}),
    ...(mode.mechanism ? { sasl: { mechanism: mode.mechanism.toLowerCase(), username: USER, password } } : {}),
  };
}

function certFile(name: string): string {
  return name === CA_FILE ? certs.ca : certs.otherCa;
}

const sdk: MatrixClient = {
  missing: async () => null,
  async roundTrip(mode, topic, value, { password = PASSWORD, caFile = CA_FILE }) {
    const bootstrap = [addresses.get(mode.protocol)!];
    const security = sdkSecurity(mode, password, caFile);
    const limits = { connectTimeoutMs: 3_000, requestAttemptsMax: 1 };
    const producer = new Producer({ bootstrap, ...security, limits: { ...limits, deliveryTimeoutMs: 10_000 } });
    try {
      await producer.send({ topic, partition: 0, value });
    } finally {
      await producer.close();
    }
    // A group member: FindCoordinator, and the group lane's own connection, log in too.
    const consumer = new Consumer({ bootstrap, ...security, limits, groupId: `sec-sdk-${topic}`, autoOffsetReset: 'earliest' });
    consumer.subscribe([topic]);
    const timer = setTimeout(() => void consumer.close(), 20_000);
    try {
      for await (const record of consumer) return record.value?.toString() ?? '';
      throw new Error('the SDK consumer ended without a record');
    } finally {
      clearTimeout(timer);
      await consumer.close();
    }
  },
};

// ---- kcat (librdkafka) ----

/** The command line as a failure shows it: without the password we gave, so that what the client printed is what the test checks. */
function redacted(args: string[], password: string): string[] {
  return args.map((a) => a.replaceAll(password, '<password>'));
}

function librdkafkaSettings(mode: Mode, password: string, caFile: string): Record<string, string> {
  return {
    'security.protocol': mode.protocol.toLowerCase(),
    ...(usesTls(mode) ? { 'ssl.ca.location': join(certs.dir, caFile) } : {}),
    ...(mode.mechanism ? { 'sasl.mechanisms': mode.mechanism, 'sasl.username': USER, 'sasl.password': password } : {}),
  };
}

const kcat: MatrixClient = {
  missing: async () => (existsSync(KCAT) ? null : `${KCAT} is missing: install the Debian package kcat`),
  async roundTrip(mode, topic, value, { password = PASSWORD, caFile = CA_FILE }) {
    const settings = Object.entries(librdkafkaSettings(mode, password, caFile)).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
    const base = ['-b', addresses.get(mode.protocol)!, '-m', '5', ...settings];
    const produce = [...base, '-P', '-t', topic, '-p', '0'];
    const produced = await run(KCAT, produce, { input: `${value}\n`, timeoutMs: 20_000 });
    if (produced.code !== 0 || /ERROR|failed/i.test(produced.stderr)) throw new Error(describeRun(KCAT, redacted(produce, password), produced));
    const consume = [...base, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', '1', '-e', '-f', '%s\\n'];
    const consumed = await run(KCAT, consume, { timeoutMs: 20_000 });
    if (consumed.code !== 0) throw new Error(describeRun(KCAT, redacted(consume, password), consumed));
    return consumed.stdout.trim();
  },
};

// ---- KafkaJS ----

const kafkajs: MatrixClient = {
  missing: async () => null,
  async roundTrip(mode, topic, value, { password = PASSWORD, caFile = CA_FILE }) {
    const log: string[] = [];
    const kafka = new Kafka({
      clientId: 'security-matrix',
      brokers: [addresses.get(mode.protocol)!],
      ...(usesTls(mode) ? { ssl: { ca: [certFile(caFile)] } } : {}),
      ...(mode.mechanism ? { sasl: { mechanism: mode.mechanism.toLowerCase(), username: USER, password } as SASLOptions } : {}),
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => void log.push(`${entry.namespace} ${entry.log.message}`),
    });
    const producer = kafka.producer();
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ value, partition: 0 }] });
    } finally {
      await producer.disconnect();
    }
    const consumer = kafka.consumer({ groupId: `sec-kafkajs-${topic}`, heartbeatInterval: 500, maxWaitTimeInMs: 500, sessionTimeout: 10_000 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`KafkaJS read nothing within 20 s: ${log.slice(-5).join('; ')}`)), 20_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolve(message.value?.toString() ?? '');
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
  },
};

// ---- Python confluent-kafka (librdkafka) ----

const python: MatrixClient = {
  async missing() {
    if (!existsSync(PYTHON)) return `${PYTHON} is missing: install python3 (Debian)`;
    const probe = await run(PYTHON, ['-c', 'import confluent_kafka']);
    return probe.code === 0 ? null : 'python3-confluent-kafka is missing: install the Debian package';
  },
  async roundTrip(mode, topic, value, { password = PASSWORD, caFile = CA_FILE }) {
    const args = [
      join(SCRIPTS, 'secure_roundtrip.py'),
      addresses.get(mode.protocol)!,
      topic,
      value,
      JSON.stringify(librdkafkaSettings(mode, password, caFile)),
    ];
    const r = await run(PYTHON, args, { timeoutMs: 45_000, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let out: { delivered: string | null; read: string | null; errors: string[] } | null = null;
    try {
      out = JSON.parse(last);
    } catch {
      out = null;
    }
    if (r.code !== 0 || !out) throw new Error(describeRun(PYTHON, redacted(args, password), r));
    if (out.delivered !== null || out.read === null) throw new Error(`delivered: ${out.delivered}; read: ${out.read}; errors: ${out.errors.join(' | ')}`);
    return out.read;
  },
};

const MATRIX: Record<ClientName, MatrixClient> = { sdk, kcat, kafkajs, python };

/** How each client shows a refused login, and a refused certificate. */
const REFUSED_LOGIN: Record<ClientName, (err: Error) => boolean> = {
  sdk: (err) => err instanceof KafkaError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED,
  // KafkaJS: "SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials ..."
  kafkajs: (err) => err.name === 'KafkaJSSASLAuthenticationError' && /Authentication failed/.test(err.message),
  // librdkafka: "SASL authentication error: Authentication failed during authentication due to invalid credentials ..."
  kcat: (err) => /SASL authentication error|Authentication failed/i.test(err.message),
  python: (err) => /_AUTHENTICATION|SASL authentication error|Authentication failed/i.test(err.message),
};
const REFUSED_CERT: Record<ClientName, (err: Error) => boolean> = {
  sdk: (err) => /TLS handshake failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(err.message),
  kafkajs: (err) => /unable to verify the first certificate/.test(err.message),
  kcat: (err) => /certificate verify failed/i.test(err.message),
  python: (err) => /certificate verify failed/i.test(err.message),
};

async function skipIfMissing(t: { skip(message: string): void }, client: ClientName): Promise<boolean> {
  const why = await MATRIX[client].missing();
  if (why) t.skip(why);
  return why !== null;
}

for (const client of CLIENTS) {
  for (const mode of MODES) {
    test(`${client} over ${mode.name}: produces one record and reads it back`, async (t) => {
      if (await skipIfMissing(t, client)) return;
      const value = `${client} over ${mode.name} at ${Date.now()}`;
      assert.equal(await MATRIX[client].roundTrip(mode, topicOf(client, mode), value, {}), value);
    });
  }

  test(`${client}: a wrong password over SASL_SSL is refused with SASL_AUTHENTICATION_FAILED`, async (t) => {
    if (await skipIfMissing(t, client)) return;
    await assert.rejects(MATRIX[client].roundTrip(SASL_SSL_512, topicOf(client, SASL_SSL_512), 'never written', { password: WRONG }), (err: Error) => {
      assert.ok(REFUSED_LOGIN[client](err), `${client} said: ${err.message}`);
      assert.ok(!err.message.includes(WRONG), 'the error does not repeat the password');
      return true;
    });
  });

  test(`${client}: a broker certificate from a CA it does not trust is refused`, async (t) => {
    if (await skipIfMissing(t, client)) return;
    await assert.rejects(MATRIX[client].roundTrip(SSL_ONLY, topicOf(client, SSL_ONLY), 'never written', { caFile: OTHER_CA_FILE }), (err: Error) => {
      assert.ok(REFUSED_CERT[client](err), `${client} said: ${err.message}`);
      return true;
    });
  });
}

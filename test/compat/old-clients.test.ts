// Issue 12, "old clients": message formats v0 and v1 (Produce v0-v2, Fetch v0-v3) are answered as
// Kafka 4.0 answers them (KIP-896): Produce v0-v2 with UNSUPPORTED_VERSION on every partition
// (still advertised, for librdkafka's compression check, KAFKA-18659), Fetch v0-v3 not offered.
// docs/protocol.md ("Old clients") says why we do not convert as Kafka 3.x did.
//
// The client is kcat (librdkafka 2.0.2) forced to an old broker's protocol: no ApiVersions
// request, and the versions librdkafka assumes for Kafka 0.8.2 (Produce v0, Fetch v0) or 0.9.0
// (Produce v1, Fetch v1), both with message format v0. (With a fallback of 0.10.0 or later
// librdkafka asks ApiVersions anyway and speaks the current protocol; a Produce v2 with message
// format v1 is covered byte by byte in test/integration/bad-input.test.ts.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';

const KCAT = '/usr/bin/kcat';
let broker: BrokerHandle;

before(async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

const oldProtocol = (version: string) => ['-X', 'api.version.request=false', '-X', `broker.version.fallback=${version}`];

async function latestOffset(topic: string): Promise<number> {
  const client = await RawClient.connect({ port: broker.port });
  try {
    const r = await client.listOffset(topic, 0, -1);
    assert.equal(r.errorCode, 0);
    return r.offset;
  } finally {
    client.close();
  }
}

for (const version of ['0.8.2.2', '0.9.0']) {
  test(`a producer speaking Kafka ${version}'s protocol is told UNSUPPORTED_VERSION and nothing is stored`, async () => {
    const topic = `old-producer-${version.replaceAll('.', '-')}`;
    const args = ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', ...oldProtocol(version)];
    const r = await run(KCAT, args, { input: 'k1:v1\nk2:v2\n', timeoutMs: 30_000 });
    const why = `${describeRun(KCAT, args, r)}\n--- broker log\n${broker.logs().slice(-10).join('\n')}`;
    assert.match(r.stderr, /Delivery failed.*Broker: API version not supported/, why);
    assert.notEqual(r.code, 0, why);
    // Metadata v0 created the topic (as Kafka does for such clients); no record reached it.
    assert.equal(await latestOffset(topic), 0);
    assert.ok(
      broker.logs().some((l) => /Produce v[0-2] \(message format v0\/v1\) is not supported/.test(l)),
      'the broker says why in its log',
    );
  });
}

test("a consumer speaking Kafka 0.9.0's protocol gets no records and the broker logs why", async () => {
  const topic = 'old-consumer';
  const produce = ['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'];
  const produced = await run(KCAT, produce, { input: 'current-format\n', timeoutMs: 30_000 });
  assert.equal(produced.code, 0, describeRun(KCAT, produce, produced));
  const consume = ['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', ...oldProtocol('0.9.0')];
  const r = await run(KCAT, consume, { timeoutMs: 30_000 });
  const why = describeRun(KCAT, consume, r);
  // Fetch v1 is not offered: as with Kafka 4.0 the connection is closed and kcat gives up.
  assert.equal(r.stdout, '', why);
  assert.notEqual(r.code, 0, why);
  assert.ok(
    broker.logs().some((l) => l.includes('Fetch v1 is not supported')),
    'the broker says why in its log',
  );
});

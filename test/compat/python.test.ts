// Python confluent-kafka 1.7 (Debian's python3-confluent-kafka, librdkafka 2.0.2) against
// a single broker: Producer with delivery reports, Consumer with assign() and explicit
// offsets, AdminClient create/delete topics. The scripts live in test/compat/python/ and
// run with /usr/bin/python3 (not a pyenv python that lacks the Debian module).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run, type RunResult } from '../helpers/run.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { decodeBatches } from '../../bench/lib/record-batch.ts';

const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
let broker: BrokerHandle;

before(async () => {
  requireExecutable(PYTHON, 'install python3 (Debian)');
  const probe = await run(PYTHON, ['-c', 'import confluent_kafka; print(confluent_kafka.version()[0], confluent_kafka.libversion()[0])']);
  assert.equal(probe.code, 0, `python3-confluent-kafka is missing (install the Debian package; .ci/run does):\n${probe.stderr}`);
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

async function py(script: string, args: string[], timeoutMs = 45_000): Promise<{ r: RunResult; out: any; describe: string }> {
  const full = [join(SCRIPTS, script), ...args];
  const r = await run(PYTHON, full, { timeoutMs, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const describe = describeRun(PYTHON, full, r, 6000);
  let out: any = null;
  const last = r.stdout.trim().split('\n').pop();
  if (last) {
    try {
      out = JSON.parse(last);
    } catch {
      out = null;
    }
  }
  return { r, out, describe };
}

test('AdminClient creates topics, refuses a duplicate, and deletes a topic', async () => {
  const { r, out, describe } = await py('admin.py', [broker.bootstrap, 'py-admin']);
  assert.equal(r.code, 0, describe);
  assert.ok(out, describe);
  assert.deepEqual(out.create, { 'py-admin-a': null, 'py-admin-b': null }, describe);
  assert.match(String(out.duplicate), /TOPIC_ALREADY_EXISTS|already exists/i, describe);
  assert.deepEqual(out.listed, { 'py-admin-a': 3, 'py-admin-b': 1 }, describe);
  assert.equal(out.delete, null, describe);
  assert.deepEqual(out.after_delete, ['py-admin-a'], describe);
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`Producer (${compression}) gets a delivery report per record, and Consumer.assign() reads them back in order`, async () => {
    const topic = `py-records-${compression}`;
    const n = 100;
    // The producer relies on auto-creation through Metadata, like kcat.
    const prod = await py('producer.py', [broker.bootstrap, topic, '0', String(n), compression]);
    assert.equal(prod.r.code, 0, prod.describe);
    const delivered = prod.out.delivered as Array<[string, number, number, string | null]>;
    assert.equal(delivered.length, n, prod.describe);
    delivered.forEach(([key, partition, offset, err], i) => {
      assert.equal(err, null, `record ${i}: ${err}`);
      assert.equal(key, `py-key-${i}`);
      assert.equal(partition, 0);
      assert.equal(offset, i, `delivery report offsets follow produce order`);
    });

    // librdkafka compresses only when the broker's advertised versions enable the codec
    // (reference/client-versions.md); the stored batches show what it really sent.
    const client = await RawClient.connect({ port: broker.port });
    try {
      const res = await client.fetch(topic, 0, 0);
      const batches = decodeBatches(res.records, { records: false });
      assert.ok(batches.length > 0);
      for (const b of batches) {
        assert.equal(b.compression, CODEC_IDS[compression], `batch at ${b.baseOffset}: attributes ${b.attributes}`);
        assert.ok(b.crcValid);
      }
    } finally {
      client.close();
    }

    const start = 10;
    const cons = await py('consumer.py', [broker.bootstrap, topic, '0', String(start), String(n - start)]);
    assert.equal(cons.r.code, 0, cons.describe);
    const records = cons.out.records as Array<[number, string, string, Array<[string, string]>]>;
    assert.equal(records.length, n - start, cons.describe);
    records.forEach(([offset, key, value, headers], k) => {
      const i = start + k;
      assert.equal(offset, i);
      assert.equal(key, `py-key-${i}`);
      assert.equal(value, `py-value-${i}-${'x'.repeat(100)}`);
      assert.deepEqual(headers, [
        ['seq', String(i)],
        ['lang', 'python'],
      ]);
    });
    assert.deepEqual(cons.out.errors, [], cons.describe);
    // enable.auto.commit=false with explicit offsets: the consumer must never commit or ask
    // the coordinator for committed offsets. (librdkafka may still look the coordinator up
    // because group.id is set; fetching must not depend on it, which the records above show.)
    const stderr = cons.r.stderr;
    assert.doesNotMatch(stderr, /Sent OffsetCommitRequest/, 'no offset commits with enable.auto.commit=false');
    assert.doesNotMatch(stderr, /Sent OffsetFetchRequest/, 'no committed-offset lookups with explicit start offsets');
    assert.match(stderr, /Sent FetchRequest/, 'debug output shows the fetches');
  });
}

// issue 13 "Interoperability both ways with Python confluent-kafka": for each codec (none, gzip,
// snappy, lz4, zstd) confluent-kafka (librdkafka, murmur2_random) writes keyed records with
// headers and timestamps and the SDK consumer reads them — every field equal, each key on the
// partition murmur2 picks, the batches stored with that codec — and the SDK producer writes and a
// confluent-kafka consumer reads every field back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, run } from '../helpers/run.ts';
import { assertSameRecords, CODEC_ID, CODECS, interopRecords, PARTITIONS, type SeenRecord, sdkRead, sdkWrite, storedCodecs } from '../helpers/sdk-interop.ts';
import { createTopic } from '../helpers/sdk-records.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const PYTHON = '/usr/bin/python3';
/** Writes the records on stdin (JSON) with the codec argv[3]; exits 1 if any is not delivered. */
const PYTHON_PRODUCER = `
import json, sys
from confluent_kafka import Producer
bootstrap, topic, codec = sys.argv[1:4]
p = Producer({'bootstrap.servers': bootstrap, 'partitioner': 'murmur2_random', 'compression.type': codec,
              'linger.ms': 50, 'acks': 'all'})
failed = []
def done(err, msg):
    if err is not None: failed.append(str(err))
for r in json.load(sys.stdin):
    p.produce(topic, key=r['key'].encode(), value=r['value'].encode(),
              headers=[(k, v.encode()) for k, v in r['headers']], timestamp=r['timestamp'], on_delivery=done)
left = p.flush(30)
print(json.dumps({'undelivered': left, 'failed': failed}))
sys.exit(1 if left or failed else 0)
`;
/** Reads COUNT records of every partition from the beginning (assign, no commits); prints them as JSON. */
const PYTHON_CONSUMER = `
import json, sys, time
from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, partitions, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'sdk-interop', 'enable.auto.commit': False})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
seen, errors = [], []
deadline = time.monotonic() + 20
while len(seen) < count and time.monotonic() < deadline:
    m = c.poll(0.2)
    if m is None: continue
    if m.error():
        errors.append(str(m.error()))
        continue
    seen.append({'partition': m.partition(), 'offset': m.offset(), 'key': m.key().decode(), 'value': m.value().decode(),
                 'headers': [[k, v.decode()] for k, v in (m.headers() or [])], 'timestamp': m.timestamp()[1]})
c.close()
print(json.dumps({'seen': seen, 'errors': errors}))
sys.exit(0 if len(seen) >= count else 1)
`;

const sdk = useSdkBroker({ executables: [[PYTHON, 'install python3 and confluent-kafka (.ci/run does)']] });

async function python(script: string, args: string[], input?: string): Promise<string> {
  const full = ['-c', script, sdk.bootstrap, ...args];
  const r = await run(PYTHON, full, { input, timeoutMs: 40_000 });
  assert.equal(r.code, 0, describeRun(PYTHON, full, r));
  return r.stdout;
}

for (const codec of CODECS) {
  test(`Python confluent-kafka writes with ${codec}, the SDK consumer reads keys, values, headers, timestamps and partitions`, async () => {
    const topic = `python-to-sdk-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const written = interopRecords(`python-${codec}`);
    await python(PYTHON_PRODUCER, [topic, codec], JSON.stringify(written));
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `confluent-kafka's batches are stored with ${codec}`);
    assertSameRecords(written, await sdkRead(sdk.cluster, topic, written.length));
  });

  test(`the SDK producer writes with ${codec}, a confluent-kafka consumer reads keys, values, headers, timestamps and partitions`, async () => {
    const topic = `sdk-to-python-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const written = interopRecords(`sdk-${codec}`);
    await sdkWrite(sdk.cluster, topic, written, codec);
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `the SDK's batches are stored with ${codec}`);
    const out = JSON.parse(await python(PYTHON_CONSUMER, [topic, String(PARTITIONS), String(written.length)])) as { seen: SeenRecord[]; errors: string[] };
    assert.deepEqual(out.errors, []);
    assertSameRecords(written, out.seen);
  });
}

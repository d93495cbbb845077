// issue 13 "Interoperability both ways with KafkaJS": KafkaJS 2.2.4 writes keyed records with
// headers and timestamps (its default partitioner) and the SDK consumer reads them — every field
// equal, each key on the partition murmur2 picks — and the SDK producer writes and a KafkaJS
// consumer reads every field back, each key on the partition KafkaJS's own partitioner picks.
// Codecs: KafkaJS has gzip built in and nothing else; node_modules holds no KafkaJS codec
// plugin for snappy, lz4 or zstd, so those three are covered against kcat
// (sdk-interop-kcat.test.ts) and Python confluent-kafka (sdk-interop-python.test.ts) only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { assertSameRecords, CODEC_ID, interopRecords, PARTITIONS, type SeenRecord, sdkRead, sdkWrite, storedCodecs } from '../helpers/sdk-interop.ts';
import { createTopic } from '../helpers/sdk-records.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const KAFKAJS_CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;

let kafka: Kafka;
const sdk = useSdkBroker({
  onStart: () => {
    kafka = new Kafka({ clientId: 'sdk-interop', brokers: [sdk.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  },
});

/** The partition KafkaJS's default partitioner picks for `key`. */
function kafkajsPartition(key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  return Partitioners.DefaultPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } });
}

for (const codec of ['none', 'gzip'] as const) {
  test(`KafkaJS writes with ${codec}, the SDK consumer reads keys, values, headers, timestamps and partitions`, async (t) => {
    const topic = `kafkajs-to-sdk-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const written = interopRecords(`kafkajs-${codec}`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    t.after(() => producer.disconnect());
    await producer.send({
      topic,
      acks: -1,
      compression: KAFKAJS_CODECS[codec],
      messages: written.map((r) => ({ key: r.key, value: r.value, headers: Object.fromEntries(r.headers), timestamp: String(r.timestamp) })),
    });
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `KafkaJS's batches are stored with ${codec}`);
    assertSameRecords(written, await sdkRead(sdk.cluster, topic, written.length));
  });

  test(`the SDK producer writes with ${codec}, a KafkaJS consumer reads keys, values, headers, timestamps and partitions`, async (t) => {
    const topic = `sdk-to-kafkajs-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const written = interopRecords(`sdk-${codec}`);
    await sdkWrite(sdk.cluster, topic, written, codec);
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `the SDK's batches are stored with ${codec}`);

    const seen: SeenRecord[] = [];
    const consumer = kafka.consumer({ groupId: `kafkajs-reads-${codec}`, maxWaitTimeInMs: 100, heartbeatInterval: 300 });
    t.after(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? '<null>',
          value: message.value?.toString() ?? '<null>',
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
          timestamp: Number(message.timestamp),
        });
      },
    });
    await waitFor(() => seen.length >= written.length, `KafkaJS reading ${written.length} records (has ${seen.length})`, 30_000, 20);
    assertSameRecords(written, seen);
    for (const r of seen) assert.equal(r.partition, kafkajsPartition(r.key), `key ${r.key} where KafkaJS's partitioner puts it`);
  });
}

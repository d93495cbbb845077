// KafkaJS 2.2.4 against a single broker: admin createTopics / listTopics / deleteTopics,
// and producer send / sendBatch with acks -1, 1 and 0. Records are read back through a
// RecordReader (test/helpers/read-back.ts): today our raw client, because consumer
// groups are a later issue; a KafkaJS consumer can implement the same interface then.
// KafkaJS behaviour worth knowing is in reference/client-versions.md (ApiVersions v2
// first, partitionLeaderEpoch 0 in batches, createTopics waits for leaders).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawRecordReader, type RecordReader, type DecodedRecord } from '../helpers/read-back.ts';

let broker: BrokerHandle;
let kafka: Kafka;
let admin: Admin;
let reader: RecordReader;
const clientLog: string[] = [];

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({
    clientId: 'runnel-compat',
    brokers: [broker.bootstrap],
    connectionTimeout: 5_000,
    requestTimeout: 15_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    // Keep KafkaJS's own log for failure messages instead of printing it.
    logCreator: () => (entry) => {
      clientLog.push(`${entry.label} ${entry.namespace} ${JSON.stringify(entry.log)}`);
      if (clientLog.length > 500) clientLog.shift();
    },
  });
  admin = kafka.admin();
  await admin.connect();
  reader = await RawRecordReader.connect(broker.port);
});

after(async () => {
  await admin?.disconnect().catch(() => {});
  await reader?.close();
  await broker?.stop();
});

function context(): string {
  return `\nKafkaJS log:\n${clientLog.slice(-20).join('\n')}\nbroker log:\n${broker.logs().slice(-20).join('\n')}`;
}

async function withProducer<T>(fn: (p: Producer) => Promise<T>): Promise<T> {
  // Idempotence off: InitProducerId is not what these tests are about.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, retry: { retries: 2 } });
  await producer.connect();
  try {
    return await fn(producer);
  } finally {
    await producer.disconnect();
  }
}

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

test('admin createTopics, listTopics and deleteTopics', async () => {
  const created = await admin.createTopics({
    topics: [
      { topic: 'kjs-admin-a', numPartitions: 3 },
      { topic: 'kjs-admin-b', numPartitions: 1 },
    ],
    waitForLeaders: true,
    timeout: 10_000,
  });
  assert.equal(created, true, `createTopics should report creation${context()}`);
  // Creating an existing topic is not an error for KafkaJS: it answers false.
  const again = await admin.createTopics({ topics: [{ topic: 'kjs-admin-a', numPartitions: 3 }], waitForLeaders: true });
  assert.equal(again, false);

  const topics = await admin.listTopics();
  assert.ok(topics.includes('kjs-admin-a') && topics.includes('kjs-admin-b'), JSON.stringify(topics));
  const md = await admin.fetchTopicMetadata({ topics: ['kjs-admin-a'] });
  assert.equal(md.topics[0].partitions.length, 3);

  await admin.deleteTopics({ topics: ['kjs-admin-b'], timeout: 10_000 });
  // Deletion goes through the metadata log; allow it a bounded moment to show in Metadata.
  let after: string[] = [];
  for (let i = 0; i < 50; i++) {
    after = await admin.listTopics();
    if (!after.includes('kjs-admin-b')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!after.includes('kjs-admin-b'), `deleted topic still listed: ${JSON.stringify(after)}${context()}`);
  assert.ok(after.includes('kjs-admin-a'));
});

for (const acks of [-1, 1, 0] as const) {
  test(`producer.send with acks=${acks}: every record read back in order per partition`, async () => {
    const topic = `kjs-send-acks${acks === -1 ? 'all' : acks}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const perPartition = 50;
    await withProducer(async (producer) => {
      // Several sends per partition, so ordering across requests is checked too.
      for (let chunk = 0; chunk < 5; chunk++) {
        const res = await producer.send({
          topic,
          acks,
          messages: [0, 1].flatMap((partition) =>
            Array.from({ length: perPartition / 5 }, (_, k) => {
              const i = chunk * (perPartition / 5) + k;
              return { partition, key: `p${partition}-k${i}`, value: `p${partition}-v${i}`, headers: { idx: String(i) } };
            }),
          ),
        });
        if (acks !== 0) {
          for (const r of res) assert.equal(r.errorCode, 0, JSON.stringify(res));
        }
      }
    });
    for (const partition of [0, 1]) {
      // With acks=0 nothing tells us when the records landed: read with a bounded wait.
      const got = await reader.read(topic, partition, { count: perPartition, timeoutMs: 15_000 });
      assert.equal(got.length, perPartition, `partition ${partition}: ${got.length} records${context()}`);
      got.forEach((r: DecodedRecord, i: number) => {
        assert.equal(r.offset, i);
        assert.equal(text(r.key), `p${partition}-k${i}`);
        assert.equal(text(r.value), `p${partition}-v${i}`);
        assert.deepEqual(
          r.headers.map((h) => [h.key, text(h.value)]),
          [['idx', String(i)]],
        );
      });
    }
  });
}

test('producer.sendBatch across topics and partitions: each key stays in one partition, in send order', async () => {
  const topics = ['kjs-batch-x', 'kjs-batch-y'];
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
  const n = 60;
  await withProducer(async (producer) => {
    const res = await producer.sendBatch({
      acks: -1,
      topicMessages: topics.map((topic) => ({
        topic,
        // No explicit partition: KafkaJS hashes the key (murmur2, like the Java client).
        messages: Array.from({ length: n }, (_, i) => ({ key: `key-${i % 7}`, value: `${topic}-${i}` })),
      })),
    });
    assert.ok(res.length > 0);
    for (const r of res) assert.equal(r.errorCode, 0, JSON.stringify(res));
  });
  for (const topic of topics) {
    const seen: Array<{ key: string; value: string; partition: number }> = [];
    for (const partition of [0, 1, 2]) {
      for (const r of await reader.read(topic, partition, { toEnd: true, timeoutMs: 10_000 })) {
        seen.push({ key: text(r.key)!, value: text(r.value)!, partition });
      }
    }
    assert.equal(seen.length, n, `${topic}: ${seen.length} records${context()}`);
    // Same key, same partition; and per key, the values appear in send order.
    const partitionOf = new Map<string, number>();
    const valuesOf = new Map<string, number[]>();
    for (const s of seen) {
      const p = partitionOf.get(s.key);
      assert.ok(p === undefined || p === s.partition, `${s.key} in partitions ${p} and ${s.partition}`);
      partitionOf.set(s.key, s.partition);
      valuesOf.set(s.key, [...(valuesOf.get(s.key) ?? []), Number(s.value.split('-').pop())]);
    }
    for (const [key, values] of valuesOf)
      assert.deepEqual(
        values,
        [...values].sort((a, b) => a - b),
        `order of ${key}`,
      );
  }
});

test('KafkaJS sees offsets through admin.fetchTopicOffsets after producing', async () => {
  const topic = 'kjs-offsets';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await withProducer((p) => p.send({ topic, acks: -1, messages: Array.from({ length: 7 }, (_, i) => ({ value: `v${i}` })) }));
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.deepEqual(
    offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })),
    [{ partition: 0, low: '0', high: '7' }],
  );
});

// issue 13: the SDK producer next to other clients. The partition chosen for each of 1,000 keys
// is the one KafkaJS's default partitioner chooses and the one librdkafka's murmur2_random
// chooses (kcat and Python confluent-kafka with murmur2_random write, the SDK reads where each
// key landed). Records in every codec, both ways, are in sdk-interop-*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners } from 'kafkajs';
import { keyPartition } from '../../src/client/partitioner.ts';
import { createTopic as createTopicIn } from '../helpers/sdk-records.ts';
import { describeRun, run } from '../helpers/run.ts';
import { readPartition } from '../helpers/sdk-read-back.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
/** confluent-kafka's Producer with librdkafka's murmur2_random: one message per stdin line, key = value = the line. */
const PYTHON_PRODUCER = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'partitioner': 'murmur2_random'})
for line in sys.stdin.read().splitlines():
    p.produce(sys.argv[2], key=line.encode(), value=line.encode())
left = p.flush(30)
sys.exit(1 if left else 0)
`;
const PARTITIONS = 7;
const KEYS = Array.from({ length: 1_000 }, (_, i) => (i % 10 === 9 ? `ключ-${i}-é` : `key-${i}`));

const sdk = useSdkBroker({ executables: [[KCAT, 'install the Debian package kcat (.ci/run does)']] });

function createTopic(name: string, partitions: number): Promise<void> {
  return createTopicIn(sdk.cluster, name, partitions);
}

async function kcat(args: string[], input?: string) {
  const full = ['-b', sdk.bootstrap, '-m', '10', ...args];
  const r = await run(KCAT, full, { input, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(KCAT, full, r));
  return r;
}

test("each of 1,000 keys goes to the partition KafkaJS's default partitioner picks", () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
  const differ = KEYS.filter((key) => kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }) !== keyPartition(Buffer.from(key), PARTITIONS));
  assert.deepEqual(differ.slice(0, 5), [], `${differ.length} keys differ`);
});

/** Where each key of `topic` landed, read back through the SDK. */
async function landedPartitions(topic: string): Promise<Map<string, number>> {
  const landed = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p++) {
    for (const r of (await readPartition(sdk.cluster, topic, p)).records) landed.set(r.key!.toString(), p);
  }
  assert.equal(landed.size, KEYS.length);
  return landed;
}

function keysThatDiffer(landed: Map<string, number>): string[] {
  return KEYS.filter((key) => landed.get(key) !== keyPartition(Buffer.from(key), PARTITIONS));
}

test("each of 1,000 keys goes to the partition librdkafka's murmur2_random picks (kcat writes, the SDK reads)", async () => {
  await createTopic('keys-kcat', PARTITIONS);
  await kcat(['-P', '-t', 'keys-kcat', '-K', '\t', '-X', 'topic.partitioner=murmur2_random'], `${KEYS.map((k) => `${k}\t${k}`).join('\n')}\n`);
  const differ = keysThatDiffer(await landedPartitions('keys-kcat'));
  assert.deepEqual(differ.slice(0, 5), [], `${differ.length} keys differ`);
});

test("each of 1,000 keys goes to the partition Python confluent-kafka's murmur2_random picks", async () => {
  await createTopic('keys-python', PARTITIONS);
  const args = ['-c', PYTHON_PRODUCER, sdk.bootstrap, 'keys-python'];
  const r = await run(PYTHON, args, { input: `${KEYS.join('\n')}\n`, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(PYTHON, args, r));
  const differ = keysThatDiffer(await landedPartitions('keys-python'));
  assert.deepEqual(differ.slice(0, 5), [], `${differ.length} keys differ`);
});

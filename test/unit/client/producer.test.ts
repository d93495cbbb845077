// issue 13, the SDK producer (src/client/producer) against a scripted broker on 127.0.0.1:
// batching by linger and by bytes, the murmur2 key partitioner, acks=0, back-pressure from a
// bounded buffer, and idempotent retries that resend the same batches with the same sequence
// numbers in the same order (never reordering or duplicating), and what fails for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, type ProducerOptions } from '../../../src/client/producer/producer.ts';
import { KafkaError } from '../../../src/client/errors.ts';
import { keyPartition, murmur2, StickyPartitioner, toPositive } from '../../../src/client/partitioner.ts';
import { ApiKey } from '../../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { decodeRecords, readBatchHeader } from '../../../src/protocol/record-batch.ts';
import { FakeKafkaBroker } from '../../helpers/fake-kafka-broker.ts';
import { waitFor } from '../../helpers/wait-for.ts';

interface SeenBatch {
  partition: number;
  acks: number;
  producerId: number;
  baseSequence: number;
  values: string[];
}

type Verdict = { errorCode: number } | null | Promise<{ errorCode: number } | null>;

/**
 * One broker (node 1) leading every partition of `orders` (`partitions` of them). Each Produce
 * batch is recorded and answered by `verdict` (default: accepted); accepted batches get offsets
 * from a per-partition counter, and a batch whose (producer, sequence) was accepted before gets
 * its first offsets again, as a broker's duplicate detection does.
 */
async function produceBroker(
  t: { after(fn: () => Promise<void> | void): void },
  partitions: number,
  verdict: (b: SeenBatch, n: number) => Verdict = () => null,
) {
  const seen: SeenBatch[] = [];
  const next = new Map<number, number>();
  const accepted = new Map<string, number>();
  const broker: FakeKafkaBroker = await FakeKafkaBroker.start({
    [ApiKey.Metadata]: (body: { topics: { name: string }[] | null }) => ({
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port }],
      controllerId: 1,
      topics: (body.topics ?? [{ name: 'orders' }]).map(({ name }) =>
        name === 'orders'
          ? {
              errorCode: 0,
              name,
              partitions: Array.from({ length: partitions }, (_, i) => ({
                errorCode: 0,
                partitionIndex: i,
                leaderId: 1,
                leaderEpoch: 0,
                replicaNodes: [1],
                isrNodes: [1],
              })),
            }
          : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] },
      ),
    }),
    [ApiKey.InitProducerId]: () => ({ errorCode: 0, producerId: 4242, producerEpoch: 0 }),
    [ApiKey.Produce]: async (body: { acks: number; topicData: { name: string; partitionData: { index: number; records: Buffer }[] }[] }) => {
      const { index, records } = body.topicData[0]!.partitionData[0]!;
      const header = readBatchHeader(records, 0);
      const batch: SeenBatch = {
        partition: index,
        acks: body.acks,
        producerId: header.producerId,
        baseSequence: header.baseSequence,
        values: decodeRecords(records).map((r) => r.value!.toString()),
      };
      seen.push(batch);
      const forced = await verdict(batch, seen.length);
      const answer = (errorCode: number, baseOffset: number) => ({ responses: [{ name: 'orders', partitionResponses: [{ index, errorCode, baseOffset }] }] });
      if (forced) return answer(forced.errorCode, -1);
      const key = `${index}/${header.producerId}/${header.baseSequence}`;
      const before = accepted.get(key);
      if (before !== undefined && header.producerId >= 0) return answer(0, before);
      const baseOffset = next.get(index) ?? 0;
      next.set(index, baseOffset + header.recordCount);
      accepted.set(key, baseOffset);
      return body.acks === 0 ? null : answer(0, baseOffset);
    },
  });
  t.after(() => broker.close());
  return { broker, seen };
}

function producer(t: { after(fn: () => Promise<void> | void): void }, broker: FakeKafkaBroker, options: Partial<ProducerOptions> = {}): Producer {
  const p = new Producer({ bootstrap: [broker.address], ...options, limits: { retryBackoffMsMin: 5, retryBackoffMsMax: 20, ...options.limits } });
  t.after(() => p.close().catch(() => {}));
  return p;
}

test("murmur2 matches the Java client's Utils.murmur2 test vectors; toPositive clears the sign bit", () => {
  // Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java)
  const vectors: [Uint8Array, number][] = [
    [Buffer.from('21'), -973932308],
    [Buffer.from('foobar'), -790332482],
    [Buffer.from('a-little-bit-long-string'), -985981536],
    [Buffer.from('a-little-bit-longer-string'), -1486304829],
    [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
    [Buffer.from([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [key, want] of vectors) assert.equal(murmur2(key), want, key.toString());
  assert.equal(toPositive(-2147483648), 0, 'not Math.abs');
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(keyPartition(Buffer.from('foobar'), 7), toPositive(-790332482) % 7);
});

test('records without a key stick to one partition until its batch closes, then move to another', () => {
  let i = 0;
  const rolls = [0.1, 0.1, 0.9];
  const sticky = new StickyPartitioner(() => rolls[i++ % rolls.length]!);
  assert.equal(sticky.partition('t', 4), 0);
  assert.equal(sticky.partition('t', 4), 0);
  sticky.nextBatch('t', 2, 4);
  assert.equal(sticky.partition('t', 4), 0, 'another partition closing does not move it');
  sticky.nextBatch('t', 0, 4);
  assert.equal(sticky.partition('t', 4), 1, 'never the same one again');
  sticky.nextBatch('t', 1, 4);
  assert.equal(sticky.partition('t', 4), 3);
});

test('records sent within lingerMs go in one batch with consecutive offsets; keys pick partitions by murmur2', async (t) => {
  const { broker, seen } = await produceBroker(t, 3);
  const p = producer(t, broker, { limits: { lingerMs: 50 } });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => p.send({ topic: 'orders', key: 'k', value: `v${i}` })));
  const partition = keyPartition(Buffer.from('k'), 3);
  assert.deepEqual(
    results.map((r) => [r.partition, r.offset]),
    Array.from({ length: 10 }, (_, i) => [partition, i]),
  );
  assert.equal(seen.length, 1, 'one batch');
  assert.deepEqual(seen[0], { partition, acks: -1, producerId: 4242, baseSequence: 0, values: results.map((_, i) => `v${i}`) });
  const more = await p.send({ topic: 'orders', key: 'k', value: 'v10' });
  assert.equal(more.offset, 10);
  assert.equal(seen[1]!.baseSequence, 10, 'the next batch continues the sequence');
});

test('a batch is closed at batchBytesMax; a record that cannot fit any batch is MESSAGE_TOO_LARGE', async (t) => {
  const { broker, seen } = await produceBroker(t, 1);
  const p = producer(t, broker, { limits: { lingerMs: 1_000, batchBytesMax: 400 } });
  const value = 'x'.repeat(100);
  await Promise.all(Array.from({ length: 6 }, () => p.send({ topic: 'orders', value })));
  assert.deepEqual(
    seen.map((b) => b.values.length),
    [2, 2, 2],
    'batches hold what fits in 400 bytes, and full ones leave without waiting 1 s',
  );
  await assert.rejects(p.send({ topic: 'orders', value: 'y'.repeat(500) }), (e: unknown) => e instanceof KafkaError && e.errorName === 'MESSAGE_TOO_LARGE');
});

test('a retriable error resends the same batch with the same producer id and sequence; the record is acknowledged once', async (t) => {
  const { broker, seen } = await produceBroker(t, 1, (_b, n) => (n === 1 ? { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER } : null));
  const p = producer(t, broker);
  const metadataBefore = () => broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).length;
  const result = await p.send({ topic: 'orders', value: 'once' });
  assert.equal(result.offset, 0);
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1], seen[0], 'the same batch again');
  assert.equal(metadataBefore(), 2, 'NOT_LEADER_OR_FOLLOWER made the leader be looked up again');
});

test('after a failure with batches in flight, every failed batch goes again in sequence order; nothing reorders', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // Batch 1 waits for the gate and then fails (not written); batches 2 and 3, already in flight,
  // are then out of order, as a broker answers; the retries are accepted.
  const { broker, seen } = await produceBroker(t, 1, async (_b, n) => {
    if (n === 1) {
      await gate;
      return { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS };
    }
    if (n <= 3) return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
    return null;
  });
  const p = producer(t, broker, { limits: { lingerMs: 0 } });
  const sends: Promise<{ offset: number }>[] = [];
  for (let i = 0; i < 3; i++) {
    sends.push(p.send({ topic: 'orders', value: `r${i}` }));
    await waitFor(() => seen.length === i + 1, `batch ${i} in flight`); // each in its own batch
  }
  release();
  const offsets = (await Promise.all(sends)).map((r) => r.offset);
  assert.deepEqual(offsets, [0, 1, 2]);
  assert.deepEqual(
    seen.map((b) => [b.baseSequence, b.values[0]]),
    [
      [0, 'r0'],
      [1, 'r1'],
      [2, 'r2'],
      [0, 'r0'],
      [1, 'r1'],
      [2, 'r2'],
    ],
  );
});

test('a batch that fails for good rejects its sends, and later batches move down to fill its sequence numbers', async (t) => {
  const { broker, seen } = await produceBroker(t, 1, (b) => (b.values[0] === 'bad' ? { errorCode: ErrorCode.INVALID_RECORD } : null));
  const p = producer(t, broker, { limits: { lingerMs: 0 } });
  await p.send({ topic: 'orders', value: 'good' });
  await assert.rejects(p.send({ topic: 'orders', value: 'bad' }), (e: unknown) => e instanceof KafkaError && e.errorName === 'INVALID_RECORD' && !e.retriable);
  await p.send({ topic: 'orders', value: 'after' });
  assert.deepEqual(
    seen.map((b) => [b.baseSequence, b.values[0]]),
    [
      [0, 'good'],
      [1, 'bad'],
      [1, 'after'],
    ],
  );
});

test('a partition whose leader keeps failing rejects with REQUEST_TIMED_OUT after deliveryTimeoutMs', async (t) => {
  const { broker, seen } = await produceBroker(t, 1, () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  const p = producer(t, broker, { limits: { deliveryTimeoutMs: 200 } });
  await assert.rejects(
    p.send({ topic: 'orders', value: 'x' }),
    (e: unknown) => e instanceof KafkaError && e.errorName === 'REQUEST_TIMED_OUT' && /deliveryTimeoutMs/.test(e.message),
  );
  assert.ok(seen.length >= 2, 'it was retried');
  assert.ok(seen.every((b) => b.baseSequence === 0));
});

test('send waits while bufferBytesMax bytes are unacknowledged, and goes on once they are', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { broker } = await produceBroker(t, 1, async (_b, n) => {
    if (n === 1) await gate;
    return null;
  });
  const p = producer(t, broker, { limits: { lingerMs: 0, bufferBytesMax: 1_000 } });
  const first = p.send({ topic: 'orders', value: 'a'.repeat(600) });
  await new Promise((resolve) => setTimeout(resolve, 20));
  let secondDone = false;
  const second = p.send({ topic: 'orders', value: 'b'.repeat(600) }).then((r) => {
    secondDone = true;
    return r;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(secondDone, false, 'the second send waits for buffer space');
  assert.equal(broker.requests.filter((r) => r.apiKey === ApiKey.Produce).length, 1, 'and is not sent');
  release();
  assert.deepEqual([(await first).offset, (await second).offset], [0, 1]);
});

test('acks=0 sends without waiting for an answer and resolves with offset -1; no producer id is asked for', async (t) => {
  const { broker, seen } = await produceBroker(t, 1);
  const p = producer(t, broker, { acks: 0 });
  const result = await p.send({ topic: 'orders', value: 'fire' });
  assert.equal(result.offset, -1);
  await waitFor(() => seen.length === 1, 'the broker got the batch');
  assert.equal(seen[0]!.acks, 0);
  assert.equal(seen[0]!.producerId, -1);
  assert.equal(broker.requests.filter((r) => r.apiKey === ApiKey.InitProducerId).length, 0);
  assert.throws(() => new Producer({ bootstrap: [broker.address], acks: 1, idempotent: true }), /idempotent needs acks 'all'/);
});

test('a topic that does not exist rejects with a message that says how to create it', async (t) => {
  const { broker } = await produceBroker(t, 1);
  const p = producer(t, broker);
  await assert.rejects(p.send({ topic: 'nope', value: 'x' }), (e: unknown) => e instanceof KafkaError && /runnel topic create nope/.test(e.message));
  await assert.rejects(p.send({ topic: 'orders', partition: 3, value: 'x' }), /has no partition 3/);
});

test('close waits for what was sent; sends after close, or still waiting when it began, reject', async (t) => {
  const { broker } = await produceBroker(t, 1);
  // A buffer of 100 bytes: 'before' (28 bytes counted) and 'accepted' (30) fit, a record of 82 bytes must wait for room.
  const p = producer(t, broker, { limits: { lingerMs: 1_000, bufferBytesMax: 100 } });
  const sent = p.send({ topic: 'orders', value: 'before' });
  await waitFor(() => broker.requests.some((r) => r.apiKey === ApiKey.Metadata), 'the first send looked the topic up');
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Taken at once (the topic is known, the buffer has room): sent before close began, so close delivers it.
  const accepted = p.send({ topic: 'orders', value: 'accepted' });
  // Settled either way, so the rejection is never unhandled while close() runs.
  const late = p.send({ topic: 'orders', value: 'x'.repeat(60) }).then(
    (meta) => `sent at ${meta.offset}`,
    (err: Error) => err.message,
  );
  await p.close();
  assert.equal((await sent).offset, 0, 'close sent the lingering batch at once and waited for it');
  assert.equal((await accepted).offset, 1, 'a send taken before close began is delivered');
  assert.equal(await late, 'the producer is closed', 'a send still waiting (for buffer room) when close began is refused');
  await assert.rejects(p.send({ topic: 'orders', value: 'after' }), /the producer is closed/);
});

// issue 13 (performance): sendBatch hands many records over with one promise and one wait for
// buffer room per chunk, with the same per-record results, order and checks as send.
test('sendBatch resolves once with each record’s partition and offset, in the order given, in shared batches', async (t) => {
  const { broker, seen } = await produceBroker(t, 3);
  const p = producer(t, broker, { limits: { lingerMs: 50 } });
  const records = Array.from({ length: 300 }, (_, i) => ({ topic: 'orders', key: `k${i % 7}`, value: `v${i}` }));
  const results = await p.sendBatch(records);
  assert.equal(results.length, 300);
  const nextOffset = [0, 0, 0];
  records.forEach((r, i) => {
    const partition = keyPartition(Buffer.from(r.key), 3);
    assert.deepEqual([results[i]!.topic, results[i]!.partition, results[i]!.offset], ['orders', partition, nextOffset[partition]!++], `record ${i}`);
  });
  assert.ok(seen.length <= 3, `one batch per partition, got ${seen.length}`);
  for (const b of seen) {
    const expected = records.filter((r) => keyPartition(Buffer.from(r.key), 3) === b.partition).map((r) => r.value);
    assert.deepEqual(b.values, expected, `partition ${b.partition} got its records in the order given`);
  }
  const timestamps = new Set(results.map((r) => r.timestamp));
  assert.ok(
    [...timestamps].every((ts) => Number.isInteger(ts) && ts > 0),
    'every record has its timestamp',
  );
});

test('sendBatch checks a chunk before adding any of it: a record too large or a partition that does not exist rejects, nothing is sent', async (t) => {
  const { broker, seen } = await produceBroker(t, 2);
  const p = producer(t, broker, { limits: { lingerMs: 0, batchBytesMax: 400 } });
  await assert.rejects(
    p.sendBatch([
      { topic: 'orders', value: 'fine' },
      { topic: 'orders', value: 'y'.repeat(500) },
    ]),
    (e: unknown) => e instanceof KafkaError && e.errorName === 'MESSAGE_TOO_LARGE',
  );
  await assert.rejects(
    p.sendBatch([
      { topic: 'orders', value: 'fine' },
      { topic: 'orders', value: 'nowhere', partition: 2 },
    ]),
    (e: unknown) => e instanceof KafkaError && e.errorName === 'UNKNOWN_TOPIC_OR_PARTITION',
  );
  await assert.rejects(p.sendBatch([{ topic: 'missing', value: 'x' }]), /topic missing does not exist/);
  await p.flush();
  assert.equal(seen.length, 0, 'nothing of a refused chunk was sent');
  assert.deepEqual(await p.sendBatch([]), [], 'an empty call resolves at once');
});

test('sendBatch above bufferBytesMax goes in chunks that wait for room; a batch that fails rejects the call', async (t) => {
  const { broker, seen } = await produceBroker(t, 1, (b) => (b.values.includes('bad') ? { errorCode: ErrorCode.INVALID_RECORD } : null));
  // 122 bytes counted per record: four fit in the buffer, so 20 records go in five chunks.
  const p = producer(t, broker, { limits: { lingerMs: 0, bufferBytesMax: 500 } });
  const value = 'x'.repeat(100);
  const results = await p.sendBatch(Array.from({ length: 20 }, () => ({ topic: 'orders', value })));
  assert.deepEqual(
    results.map((r) => r.offset),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.ok(seen.length >= 5, `chunks of at most four records, ${seen.length} batches`);
  assert.ok(
    seen.every((b) => b.values.length <= 4),
    'no batch holds more than the buffer allows',
  );
  await assert.rejects(p.sendBatch([{ topic: 'orders', value: 'bad' }]), (e: unknown) => e instanceof KafkaError && e.errorName === 'INVALID_RECORD');
});

test('records keep the order of the calls: sendBatch then send in the same tick, and sends waiting for metadata', async (t) => {
  const { broker } = await produceBroker(t, 1);
  const p = producer(t, broker, { limits: { lingerMs: 20 } });
  // The topic is not known yet: every call waits for the same Metadata answer.
  const first = p.send({ topic: 'orders', value: 'a' });
  const batch = p.sendBatch([
    { topic: 'orders', value: 'b' },
    { topic: 'orders', value: 'c' },
  ]);
  const last = p.send({ topic: 'orders', value: 'd' });
  assert.deepEqual([(await first).offset, ...(await batch).map((m) => m.offset), (await last).offset], [0, 1, 2, 3]);
  // Known now: sendBatch takes its records before a send made right after it.
  const batch2 = p.sendBatch([
    { topic: 'orders', value: 'e' },
    { topic: 'orders', value: 'f' },
  ]);
  const after = p.send({ topic: 'orders', value: 'g' });
  assert.deepEqual([...(await batch2).map((m) => m.offset), (await after).offset], [4, 5, 6]);
});

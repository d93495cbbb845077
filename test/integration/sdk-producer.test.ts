// issue 13: the SDK producer against a real broker process: records with keys, headers and
// timestamps round trip in every codec; keyed records land on the murmur2 partition; the
// offsets `send` resolves with are where the records are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyPartition } from '../../src/client/partitioner.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import { createTopic as createTopicIn } from '../helpers/sdk-records.ts';
import { readPartition } from '../helpers/sdk-read-back.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const sdk = useSdkBroker();

function createTopic(name: string, partitions: number): Promise<void> {
  return createTopicIn(sdk.cluster, name, partitions);
}

for (const [codecId, compression] of (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).entries()) {
  test(`keys, values, headers and timestamps round trip with compression ${compression}`, async () => {
    const topic = `sdk-${compression}`;
    await createTopic(topic, 3);
    const producer = new Producer({ cluster: sdk.cluster, compression, limits: { lingerMs: 20 } });
    const timestamp = 1_700_000_000_000;
    const sent = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        producer.send({ topic, key: `key-${i % 7}`, value: `value-${i}`, headers: { h: `x${i}`, empty: null }, timestamp: timestamp + i }),
      ),
    );
    await producer.close();
    for (const [i, meta] of sent.entries()) assert.equal(meta.partition, keyPartition(Buffer.from(`key-${i % 7}`), 3), `record ${i}`);
    for (const partition of [0, 1, 2]) {
      const back = await readPartition(sdk.cluster, topic, partition);
      const mine = sent.map((m, i) => ({ m, i })).filter(({ m }) => m.partition === partition);
      assert.equal(back.records.length, mine.length, `partition ${partition}: no record lost or doubled`);
      for (const { m, i } of mine) {
        const r = back.records.find((x) => x.offset === m.offset)!;
        assert.ok(r, `record ${i} at offset ${m.offset}`);
        assert.equal(r.key?.toString(), `key-${i % 7}`);
        assert.equal(r.value?.toString(), `value-${i}`);
        assert.equal(r.timestamp, timestamp + i);
        assert.deepEqual(
          r.headers.map((h) => [h.key, h.value?.toString() ?? null]),
          [
            ['h', `x${i}`],
            ['empty', null],
          ],
        );
      }
      if (mine.length > 0)
        assert.ok(
          back.codecs.every((c) => c === codecId),
          `batches in codec ${compression}: ${back.codecs}`,
        );
    }
  });
}

test('acks=1 and acks=0 write too; records without a key fill one partition per batch', async () => {
  const topic = 'sdk-acks';
  await createTopic(topic, 4);
  const one = new Producer({ cluster: sdk.cluster, acks: 1, limits: { lingerMs: 50 } });
  const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => one.send({ topic, value: `a${i}` })));
  await one.close();
  assert.equal(new Set(sent.map((m) => m.partition)).size, 1, 'one batch, one partition');
  const zero = new Producer({ cluster: sdk.cluster, acks: 0 });
  const other = (sent[0]!.partition + 1) % 4;
  const fire = await zero.send({ topic, partition: other, value: 'fire' });
  await zero.close();
  assert.equal(fire.offset, -1);
  // Nothing acknowledges acks=0: read until the record is there (bounded).
  let back = await readPartition(sdk.cluster, topic, other);
  for (let i = 0; i < 50 && back.records.length === 0; i++) back = await readPartition(sdk.cluster, topic, other);
  assert.deepEqual(
    back.records.map((r) => r.value?.toString()),
    ['fire'],
  );
});

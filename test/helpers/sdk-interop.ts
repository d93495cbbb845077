// Issue 13's interoperability tests (test/compat/sdk-interop-*.test.ts): one set of records —
// keys (some non-ASCII), values, two headers, timestamps — that another client (kcat, KafkaJS,
// Python confluent-kafka) or the SDK writes, the other side reads, and one comparison of what was
// read with what was written: every field, each key on the partition the Java client's murmur2
// picks, and the records of each partition in the order they were written.
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer/consumer.ts';
import { keyPartition } from '../../src/client/partitioner.ts';
import { Producer } from '../../src/client/producer/producer.ts';
import type { CompressionName } from '../../src/protocol/record-batch.ts';
import { readPartition } from './sdk-read-back.ts';
import { waitFor } from './wait-for.ts';

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const satisfies readonly CompressionName[];
/** Codec ids in a batch's attributes (Kafka's order). */
export const CODEC_ID: Record<CompressionName, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
export const PARTITIONS = 3;
/** A fixed creation time in the past, so a client that put "now" instead would be seen. */
export const BASE_TIMESTAMP_MS = 1_600_000_000_000;

export interface InteropRecord {
  key: string;
  value: string;
  headers: [string, string][];
  timestamp: number;
}

/** What a reader saw of one record. */
export interface SeenRecord extends InteropRecord {
  partition: number;
  offset: number;
}

/**
 * `count` records named after `tag`. The values repeat a padding so that even a small batch
 * shrinks when compressed: librdkafka sends a batch uncompressed when compressing does not help,
 * which would leave a codec untested.
 */
export function interopRecords(tag: string, count = 30): InteropRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 5 === 4 ? `ключ-${tag}-${i}` : `key-${tag}-${i}`,
    value: `value-${tag}-${i}-é-${'abc'.repeat(40)}`,
    headers: [
      ['seq', String(i)],
      ['from', tag],
    ],
    timestamp: BASE_TIMESTAMP_MS + i * 1_000,
  }));
}

/** The partition the Java client (and KafkaJS, and librdkafka's murmur2_random) puts `key` on. */
export function javaPartition(key: string, partitions = PARTITIONS): number {
  return keyPartition(Buffer.from(key), partitions);
}

/**
 * Asserts that `seen` holds each of `written` once, with every field equal, on the partition its
 * key hashes to, and per partition in written order. Headers are compared in order; with
 * `timestamps: 'ignore'` (a writer that cannot set them) the timestamps are not compared.
 */
export function assertSameRecords(written: InteropRecord[], seen: SeenRecord[], opts: { timestamps?: 'compare' | 'ignore' } = {}): void {
  assert.equal(seen.length, written.length, `read ${seen.length} records, ${written.length} written`);
  const byKey = new Map(seen.map((r) => [r.key, r]));
  assert.equal(byKey.size, seen.length, 'no key read twice');
  for (const w of written) {
    const r = byKey.get(w.key);
    assert.ok(r, `record with key ${w.key} read`);
    assert.equal(r.partition, javaPartition(w.key), `key ${w.key} on the partition murmur2 picks`);
    assert.deepEqual(
      { key: r.key, value: r.value, headers: r.headers, ...(opts.timestamps === 'ignore' ? {} : { timestamp: r.timestamp }) },
      { key: w.key, value: w.value, headers: w.headers, ...(opts.timestamps === 'ignore' ? {} : { timestamp: w.timestamp }) },
    );
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const order = seen
      .filter((r) => r.partition === p)
      .sort((a, b) => a.offset - b.offset)
      .map((r) => r.key);
    assert.deepEqual(
      order,
      written.filter((w) => javaPartition(w.key) === p).map((w) => w.key),
      `partition ${p} holds its records in the order written`,
    );
  }
}

/** Writes `records` with the SDK producer (keys pick the partitions) and waits for every acknowledgement. */
export async function sdkWrite(cluster: Cluster, topic: string, records: InteropRecord[], compression: CompressionName): Promise<void> {
  const producer = new Producer({ cluster, compression, limits: { lingerMs: 20 } });
  try {
    await Promise.all(
      records.map((r) =>
        producer.send({ topic, key: r.key, value: r.value, headers: r.headers.map(([key, value]) => ({ key, value })), timestamp: r.timestamp }),
      ),
    );
  } finally {
    await producer.close();
  }
}

/** Reads `count` records of every partition of `topic` with the SDK consumer (assign, from the beginning), within `timeoutMs`. */
export async function sdkRead(cluster: Cluster, topic: string, count: number, timeoutMs = 20_000): Promise<SeenRecord[]> {
  const consumer = new Consumer({ cluster, autoOffsetReset: 'earliest', onError: () => {} });
  const seen: SeenRecord[] = [];
  try {
    await consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    const reading = consumer.run((r) => {
      seen.push({
        partition: r.partition,
        offset: r.offset,
        key: r.key?.toString() ?? '<null>',
        value: r.value?.toString() ?? '<null>',
        headers: r.headers.map((h) => [h.key, h.value?.toString() ?? '<null>']),
        timestamp: r.timestamp,
      });
    });
    reading.catch(() => {});
    await waitFor(() => seen.length >= count, `the SDK consumer reading ${count} records of ${topic} (has ${seen.length})`, timeoutMs, 20);
  } finally {
    await consumer.close();
  }
  return seen;
}

/** The codec ids of every batch stored in `topic`, read back raw: proof a writer really compressed. */
export async function storedCodecs(cluster: Cluster, topic: string): Promise<number[]> {
  const codecs: number[] = [];
  for (let p = 0; p < PARTITIONS; p++) codecs.push(...(await readPartition(cluster, topic, p)).codecs);
  return [...new Set(codecs)].sort();
}

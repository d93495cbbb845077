// issue 13 "Interoperability both ways with kcat": for each codec (none, gzip, snappy, lz4, zstd)
// kcat writes keyed records with headers and the SDK consumer reads them — every field equal,
// each key on the partition murmur2 picks (kcat with librdkafka's murmur2_random), the batches
// stored with that codec — and the SDK producer writes and kcat reads every field back.
// kcat -P cannot set a record's timestamp or vary headers per record: its records carry the
// same headers and librdkafka's "now", which the SDK must report as kcat itself reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, run } from '../helpers/run.ts';
import { assertSameRecords, CODEC_ID, CODECS, interopRecords, PARTITIONS, type SeenRecord, sdkRead, sdkWrite, storedCodecs } from '../helpers/sdk-interop.ts';
import { createTopic } from '../helpers/sdk-records.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const KCAT = '/usr/bin/kcat';
/** kcat's consumer output: one line per record, fields the values and keys never contain. */
const FORMAT = '%p|%o|%k|%s|%h|%T\\n';

const sdk = useSdkBroker({ executables: [[KCAT, 'install the Debian package kcat (.ci/run does)']] });

async function kcat(args: string[], input?: string): Promise<string> {
  const full = ['-b', sdk.bootstrap, '-m', '10', ...args];
  const r = await run(KCAT, full, { input, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(KCAT, full, r));
  return r.stdout;
}

/** Every record of `topic` as kcat reads it. */
async function kcatRead(topic: string): Promise<SeenRecord[]> {
  const out = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-f', FORMAT]);
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [partition, offset, key, value, headers, timestamp] = line.split('|');
      return {
        partition: Number(partition),
        offset: Number(offset),
        key: key!,
        value: value!,
        headers: headers!.split(',').map((h) => h.split('=') as [string, string]),
        timestamp: Number(timestamp),
      };
    });
}

for (const codec of CODECS) {
  test(`kcat writes with ${codec}, the SDK consumer reads keys, values, headers, timestamps and partitions`, async () => {
    const topic = `kcat-to-sdk-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const headers: [string, string][] = [
      ['from', 'kcat'],
      ['codec', codec],
    ];
    const written = interopRecords(`kcat-${codec}`).map((r) => ({ ...r, headers }));
    const startedMs = Date.now();
    await kcat(
      ['-P', '-t', topic, '-K', '\t', '-z', codec, '-X', 'topic.partitioner=murmur2_random', '-X', 'linger.ms=50', '-H', 'from=kcat', '-H', `codec=${codec}`],
      `${written.map((r) => `${r.key}\t${r.value}`).join('\n')}\n`,
    );
    const endedMs = Date.now();
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `kcat's batches are stored with ${codec}`);

    const seen = await sdkRead(sdk.cluster, topic, written.length);
    assertSameRecords(written, seen, { timestamps: 'ignore' });
    // librdkafka stamps each record with its own clock: the SDK reports what kcat itself reads back.
    const kcatTimestamps = new Map((await kcatRead(topic)).map((r) => [`${r.partition}/${r.offset}`, r.timestamp]));
    for (const r of seen) {
      assert.equal(r.timestamp, kcatTimestamps.get(`${r.partition}/${r.offset}`), `timestamp of ${r.partition}/${r.offset}`);
      assert.ok(r.timestamp >= startedMs - 1_000 && r.timestamp <= endedMs + 1_000, `timestamp ${r.timestamp} is kcat's "now"`);
    }
  });

  test(`the SDK producer writes with ${codec}, kcat reads keys, values, headers, timestamps and partitions`, async () => {
    const topic = `sdk-to-kcat-${codec}`;
    await createTopic(sdk.cluster, topic, PARTITIONS);
    const written = interopRecords(`sdk-${codec}`);
    await sdkWrite(sdk.cluster, topic, written, codec);
    assert.deepEqual(await storedCodecs(sdk.cluster, topic), [CODEC_ID[codec]], `the SDK's batches are stored with ${codec}`);
    assertSameRecords(written, await kcatRead(topic));
  });
}

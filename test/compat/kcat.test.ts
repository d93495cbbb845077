// kcat 1.7.1 (librdkafka 2.0.2) against a single broker: metadata, produce with keys,
// headers and every compression codec, consume from beginning / end / absolute /
// relative offsets, and offsets by timestamp. What librdkafka asks of a broker is in
// reference/client-versions.md; kcat relies on topic auto-creation through Metadata.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run, type RunResult } from '../helpers/run.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { decodeBatches } from '../../bench/lib/record-batch.ts';

const KCAT = '/usr/bin/kcat';
let broker: BrokerHandle;

before(async () => {
  requireExecutable(KCAT, 'install the Debian package kcat (.ci/run does)');
  broker = await startBroker();
});

after(async () => {
  await broker?.stop();
});

async function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
  // -m bounds kcat's own metadata wait; -X socket timeouts keep a misbehaving broker from hanging it.
  const full = ['-b', broker.bootstrap, '-m', '10', ...args];
  const r = await run(KCAT, full, { input, timeoutMs });
  (r as RunResult & { describe: string }).describe = describeRun(KCAT, full, r);
  return r;
}

function describe(r: RunResult): string {
  const alive = broker.alive() ? 'running' : 'NOT RUNNING';
  return `${(r as RunResult & { describe?: string }).describe ?? ''}\n--- broker (${alive}) log tail\n${broker.logs().slice(-15).join('\n')}`;
}

async function kcatOk(args: string[], input?: string, timeoutMs?: number): Promise<RunResult> {
  const r = await kcat(args, input, timeoutMs);
  assert.equal(r.code, 0, describe(r));
  return r;
}

/** Produces `lines` (already in kcat's "key:value" form) to partition 0 of `topic`. */
async function produce(topic: string, lines: string[], extra: string[] = []): Promise<void> {
  const r = await kcatOk(['-P', '-t', topic, '-p', '0', '-K', ':', ...extra], `${lines.join('\n')}\n`);
  // kcat reports failed deliveries on stderr but may still exit 0 in some versions.
  assert.doesNotMatch(r.stderr, /Delivery failed|ERROR/i, describe(r));
}

/** Consumes partition 0 with a '|'-separated format: offset|key|value|headers|timestamp. */
async function consume(
  topic: string,
  offset: string,
  extra: string[] = [],
): Promise<Array<{ offset: number; key: string; value: string; headers: string; ts: number }>> {
  const r = await kcatOk(['-C', '-t', topic, '-p', '0', '-o', offset, '-e', '-f', '%o|%k|%s|%h|%T\\n', ...extra]);
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [o, key, value, headers, ts] = l.split('|');
      return { offset: Number(o), key, value, headers, ts: Number(ts) };
    });
}

test('kcat -L lists the broker and a topic with its partitions and leaders', async () => {
  const client = await RawClient.connect({ port: broker.port });
  await client.createTopics([{ name: 'kcat-meta', numPartitions: 3 }]);
  client.close();
  const r = await kcatOk(['-L', '-J', '-t', 'kcat-meta']);
  const md = JSON.parse(r.stdout) as {
    brokers: Array<{ id: number; name: string }>;
    topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }> }> }>;
  };
  assert.equal(md.brokers.length, 1, describe(r));
  assert.equal(md.brokers[0].name, `127.0.0.1:${broker.port}`);
  const t = md.topics.find((x) => x.topic === 'kcat-meta');
  assert.ok(t, describe(r));
  assert.equal(t.error, undefined, describe(r));
  assert.deepEqual(t.partitions.map((p) => p.partition).sort(), [0, 1, 2]);
  for (const p of t.partitions) {
    assert.equal(p.leader, md.brokers[0].id, `partition ${p.partition} leader`);
    assert.deepEqual(
      p.replicas.map((x) => x.id),
      [md.brokers[0].id],
    );
  }
  // Plain -L (all topics) works too and mentions the topic.
  const all = await kcatOk(['-L']);
  assert.match(all.stdout, /topic "kcat-meta" with 3 partitions/, describe(all));
});

test('kcat -P with keys and headers to an auto-created topic, read back exactly from the beginning', async () => {
  const topic = 'kcat-keys';
  const lines = Array.from({ length: 20 }, (_, i) => `key-${i}:value-${i}`);
  await produce(topic, lines, ['-H', 'h1=alpha', '-H', 'h2=beta']);
  const got = await consume(topic, 'beginning');
  assert.equal(got.length, 20, JSON.stringify(got));
  got.forEach((m, i) => {
    assert.equal(m.offset, i);
    assert.equal(m.key, `key-${i}`);
    assert.equal(m.value, `value-${i}`);
    assert.equal(m.headers, 'h1=alpha,h2=beta');
    assert.ok(m.ts > Date.now() - 600_000 && m.ts <= Date.now() + 1_000, `timestamp ${m.ts}`);
  });
});

for (const [codec, id] of [
  ['gzip', 1],
  ['snappy', 2],
  ['lz4', 3],
  ['zstd', 4],
] as const) {
  test(`kcat -z ${codec}: compressed batches are stored as sent and read back exactly`, async () => {
    const topic = `kcat-${codec}`;
    // Repetitive values so that every codec actually compresses.
    const lines = Array.from({ length: 200 }, (_, i) => `k${i}:${codec}-value-${i}-${'abc'.repeat(20)}`);
    await produce(topic, lines, ['-z', codec, '-X', 'linger.ms=50']);
    const got = await consume(topic, 'beginning');
    assert.equal(got.length, 200);
    got.forEach((m, i) => {
      assert.equal(m.offset, i);
      assert.equal(m.key, `k${i}`);
      assert.equal(m.value, `${codec}-value-${i}-${'abc'.repeat(20)}`);
    });
    // The broker keeps batches as they came (docs/architecture.md, Produce): the stored
    // batches still carry the codec in their attributes and a valid CRC.
    const client = await RawClient.connect({ port: broker.port });
    try {
      const res = await client.fetch(topic, 0, 0);
      assert.equal(res.errorCode, 0);
      const batches = decodeBatches(res.records, { records: false });
      assert.ok(batches.length > 0);
      for (const b of batches) {
        assert.equal(b.compression, id, `batch at ${b.baseOffset} attributes ${b.attributes}`);
        assert.ok(b.crcValid, `batch at ${b.baseOffset} CRC`);
      }
    } finally {
      client.close();
    }
  });
}

test('kcat -C from an absolute offset, a relative offset, and from the end', async () => {
  const topic = 'kcat-offsets';
  await produce(
    topic,
    Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`),
  );

  const fromFive = await consume(topic, '5');
  assert.deepEqual(
    fromFive.map((m) => m.offset),
    [5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    fromFive.map((m) => m.value),
    ['v5', 'v6', 'v7', 'v8', 'v9'],
  );

  const lastThree = await consume(topic, '-3');
  assert.deepEqual(
    lastThree.map((m) => m.offset),
    [7, 8, 9],
  );

  const atEnd = await consume(topic, 'end');
  assert.deepEqual(atEnd, [], 'nothing to read at the end with -e');

  // -o end without -e waits for new records. Produce one record every 300 ms until the
  // consumer, which exits after 3 (-c 3), has them; it must never see the old ten.
  const consumer = run(KCAT, ['-b', broker.bootstrap, '-m', '10', '-C', '-t', topic, '-p', '0', '-o', 'end', '-c', '3', '-f', '%o|%s\\n'], {
    timeoutMs: 30_000,
  });
  let done = false;
  void consumer.then(() => (done = true));
  for (let i = 0; i < 60 && !done; i++) {
    await kcatOk(['-P', '-t', topic, '-p', '0'], `late-${i}\n`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const r = await consumer;
  assert.equal(r.code, 0, describeRun(KCAT, ['-C', '-o', 'end', '-c', '3'], r));
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 3, r.stdout);
  const offsets = lines.map((l) => Number(l.split('|')[0]));
  assert.ok(offsets[0] >= 10, `consumer from the end saw offset ${offsets[0]}`);
  assert.deepEqual(offsets, [offsets[0], offsets[0] + 1, offsets[0] + 2]);
  for (const l of lines) assert.match(l, /^\d+\|late-\d+$/);
});

test('kcat -Q finds offsets by timestamp', async () => {
  const topic = 'kcat-times';
  // Produce in three rounds with pauses, so the records carry distinct timestamps.
  for (let round = 0; round < 3; round++) {
    await produce(topic, [`r${round}a:x`, `r${round}b:y`]);
    await new Promise((r) => setTimeout(r, 30));
  }
  const recs = await consume(topic, 'beginning');
  assert.equal(recs.length, 6);
  const firstAtOrAfter = (ts: number) => recs.find((m) => m.ts >= ts)?.offset;

  for (const probe of [recs[0].ts, recs[2].ts, recs[4].ts, recs[5].ts]) {
    const r = await kcatOk(['-Q', '-t', `${topic}:0:${probe}`]);
    const m = /offset (-?\d+)/.exec(r.stdout);
    assert.ok(m, describe(r));
    assert.equal(Number(m[1]), firstAtOrAfter(probe), `timestamp ${probe}: ${r.stdout}`);
  }
  // After the last record there is no such offset: Kafka answers -1, which kcat prints as
  // the logical "end" offset (-1).
  const later = await kcatOk(['-Q', '-t', `${topic}:0:${recs[5].ts + 60_000}`]);
  assert.match(later.stdout, /offset -1\b/, describe(later));
});

// issue 9 item B: Kafka decompresses the batch the time index finds and answers the first record
// at or after the timestamp; before, Runnel answered a snappy, lz4 or zstd batch's first offset.
// kcat stamps records as it hands them to librdkafka, after reading its input, so thousands of
// records in a batch span a few milliseconds: the records that start a new millisecond inside
// a batch are the probes.
for (const codec of ['snappy', 'lz4', 'zstd', 'gzip'] as const) {
  test(`kcat -Q with a timestamp inside a kcat -z ${codec} batch answers that record's offset`, async () => {
    const topic = `kcat-times-${codec}`;
    const count = 8000;
    await produce(
      topic,
      Array.from({ length: count }, (_, i) => `k${i}:{"n":${i},"v":"${codec}-${'abc'.repeat(10)}"}`),
      ['-z', codec, '-X', 'linger.ms=1000'],
    );
    const recs = await consume(topic, 'beginning');
    assert.equal(recs.length, count);
    const client = await RawClient.connect({ port: broker.port });
    const batchStarts = new Set<number>();
    try {
      for (let offset = 0; offset < count; ) {
        const batches = decodeBatches((await client.fetch(topic, 0, offset)).records, { records: false });
        assert.ok(batches.length > 0, `fetch at ${offset}`);
        for (const b of batches) {
          assert.equal(b.compression, { gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[codec], `batch at ${b.baseOffset}`);
          batchStarts.add(b.baseOffset);
          offset = b.lastOffset + 1;
        }
      }
    } finally {
      client.close();
    }
    const probes = recs.filter((m, i) => i > 0 && m.ts > recs[i - 1]!.ts && !batchStarts.has(m.offset)).slice(0, 5);
    assert.ok(
      probes.length >= 1,
      `no record inside a batch starts a new millisecond (batches at ${[...batchStarts].join(', ')}; times ${recs[0]!.ts}..${recs[count - 1]!.ts})`,
    );
    for (const expected of probes) {
      const r = await kcatOk(['-Q', '-t', `${topic}:0:${expected.ts}`]);
      const m = /offset (-?\d+)/.exec(r.stdout);
      assert.ok(m, describe(r));
      assert.equal(Number(m[1]), expected.offset, `timestamp ${expected.ts} (batches at ${[...batchStarts].join(', ')}): ${r.stdout}`);
    }
  });
}

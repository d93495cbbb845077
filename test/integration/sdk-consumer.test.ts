// issue 13, the SDK consumer against a real broker process: assign and seek (offset, time,
// beginning, end), pause/resume, compressed batches, OFFSET_OUT_OF_RANGE by autoOffsetReset; a
// group of two sharing a topic, a rebalance when one leaves, commits resumed by a new member,
// and nothing processed twice after a commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer/consumer.ts';
import { createTopic, produceTo } from '../helpers/sdk-records.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { useSdkBroker } from '../helpers/sdk-fixture.ts';

const sdk = useSdkBroker();

const values = (records: ConsumerRecord[]) => records.map((r) => r.value?.toString());
const groupOptions = { heartbeatIntervalMs: 200, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, onError: () => {} };

/** Takes `n` records from the iterator, failing after `timeoutMs`. */
async function take(consumer: Consumer, n: number, timeoutMs = 15_000): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  for await (const r of consumer) {
    out.push(r);
    if (out.length >= n) break;
    if (Date.now() > deadline) assert.fail(`only ${out.length} of ${n} records within ${timeoutMs} ms`);
  }
  return out;
}

test('assign: from the beginning through gzip and lz4 batches; seek to an offset, a time, the end; pause and resume', async (t) => {
  await createTopic(sdk.cluster, 'c-assign', 2);
  await produceTo(
    sdk.cluster,
    'c-assign',
    0,
    [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1_000 + i })),
    'gzip',
  );
  await produceTo(
    sdk.cluster,
    'c-assign',
    0,
    [5, 6, 7].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: 1_000 + i, headers: [{ key: 'h', value: 'x' }] })),
    'lz4',
  );
  const consumer = new Consumer({ bootstrap: [sdk.bootstrap], autoOffsetReset: 'earliest', onError: () => {} });
  t.after(() => consumer.close());
  await consumer.assign([{ topic: 'c-assign', partition: 0 }]);
  const all = await take(consumer, 8);
  assert.deepEqual(values(all), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
  assert.deepEqual(
    all.map((r) => r.offset),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  assert.equal(all[6]!.key?.toString(), 'k6');
  assert.deepEqual(all[6]!.headers, [{ key: 'h', value: Buffer.from('x') }]);
  assert.equal(all[3]!.timestamp, 1_003);

  consumer.seek({ topic: 'c-assign', partition: 0 }, 6);
  assert.deepEqual(values(await take(consumer, 2)), ['v6', 'v7']);
  consumer.seekToTimestamp([{ topic: 'c-assign', partition: 0 }], 1_004);
  assert.deepEqual(values(await take(consumer, 1)), ['v4'], 'the first record at or after the time');
  consumer.seekToEnd();
  await waitFor(() => consumer.position({ topic: 'c-assign', partition: 0 }) === 8, 'position at the end', 10_000, 20);
  consumer.pause([{ topic: 'c-assign', partition: 0 }]);
  await produceTo(sdk.cluster, 'c-assign', 0, [{ value: 'v8' }]);
  const paused = consumer[Symbol.asyncIterator]();
  const first = paused.next();
  const raced = await Promise.race([first, new Promise((r) => setTimeout(() => r('nothing'), 700))]);
  assert.equal(raced, 'nothing', 'a paused partition hands out nothing');
  consumer.resume([{ topic: 'c-assign', partition: 0 }]);
  assert.equal(((await first).value as ConsumerRecord).value?.toString(), 'v8');
  await paused.return(undefined);
});

test('OFFSET_OUT_OF_RANGE: earliest starts over; none throws to the application', async (t) => {
  await createTopic(sdk.cluster, 'c-range', 1);
  await produceTo(sdk.cluster, 'c-range', 0, [{ value: 'a' }, { value: 'b' }]);
  const earliest = new Consumer({ bootstrap: [sdk.bootstrap], autoOffsetReset: 'earliest', onError: () => {} });
  t.after(() => earliest.close());
  await earliest.assign([{ topic: 'c-range', partition: 0 }]);
  earliest.seek({ topic: 'c-range', partition: 0 }, 1_000);
  assert.deepEqual(values(await take(earliest, 2)), ['a', 'b']);

  const none = new Consumer({ bootstrap: [sdk.bootstrap], autoOffsetReset: 'none', onError: () => {} });
  t.after(() => none.close());
  await none.assign([{ topic: 'c-range', partition: 0 }]);
  none.seek({ topic: 'c-range', partition: 0 }, 1_000);
  await assert.rejects(take(none, 1), /OFFSET_OUT_OF_RANGE/);
});

for (const assignor of ['range', 'cooperative-sticky'] as const) {
  test(`${assignor}: a group of two shares a topic; when one leaves the other takes all; nothing processed twice after a commit`, async (t) => {
    const topic = `c-group-${assignor}`;
    await createTopic(sdk.cluster, topic, 4);
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    const consumers: Consumer[] = [];
    const runs: Promise<void>[] = [];
    const start = (name: string) => {
      const c = new Consumer({
        bootstrap: [sdk.bootstrap],
        groupId: `g-share-${assignor}`,
        assignors: [assignor],
        autoOffsetReset: 'earliest',
        autoCommitIntervalMs: 300,
        ...groupOptions,
      });
      c.subscribe([topic]);
      runs.push(
        c.run((r) => {
          const id = `${r.partition}/${r.offset}`;
          if (seen.has(id)) duplicates.push(`${id} by ${name} after ${seen.get(id)}`);
          seen.set(id, name);
        }),
      );
      consumers.push(c);
      return c;
    };
    t.after(async () => {
      for (const c of consumers) await c.close();
    });
    const produceRound = async (round: number) => {
      for (let p = 0; p < 4; p++)
        await produceTo(
          sdk.cluster,
          topic,
          p,
          [0, 1, 2].map((i) => ({ value: `r${round}-p${p}-${i}` })),
        );
    };
    const a = start('a');
    await produceRound(0);
    await waitFor(() => seen.size === 12, 'round 0 consumed', 20_000, 20);
    const b = start('b');
    await waitFor(() => a.assignment().length === 2 && b.assignment().length === 2, 'two partitions each', 20_000, 20);
    await produceRound(1);
    await waitFor(() => seen.size === 24, 'round 1 consumed', 20_000, 20);
    assert.ok([...seen.values()].includes('b'), 'the second member consumed its share');
    await a.close();
    await waitFor(() => b.assignment().length === 4, 'b has all four', 20_000, 20);
    await produceRound(2);
    await waitFor(() => seen.size === 36, 'round 2 consumed', 20_000, 20);
    assert.deepEqual(duplicates, []);
  });
}

test('manual commits are where a new member of the group resumes', async (t) => {
  const topic = 'c-resume';
  await createTopic(sdk.cluster, topic, 1);
  await produceTo(
    sdk.cluster,
    topic,
    0,
    [0, 1, 2, 3, 4, 5].map((i) => ({ value: `m${i}` })),
  );
  const first = new Consumer({ bootstrap: [sdk.bootstrap], groupId: 'g-resume', autoOffsetReset: 'earliest', autoCommit: false, ...groupOptions });
  first.subscribe([topic]);
  const got = await take(first, 3);
  assert.deepEqual(values(got), ['m0', 'm1', 'm2']);
  await first.commit();
  await first.close();
  const second = new Consumer({ bootstrap: [sdk.bootstrap], groupId: 'g-resume', autoOffsetReset: 'earliest', autoCommit: false, ...groupOptions });
  t.after(() => second.close());
  second.subscribe([topic]);
  assert.deepEqual(values(await take(second, 3)), ['m3', 'm4', 'm5'], 'after m2, the last record processed and committed');
});

// A group's requests do not queue behind a Fetch long poll to the same broker (a broker answers
// one connection's requests in order): as in the Java client, coordinator requests (commit,
// heartbeat, join) have their own connection. Before, with the partition's leader also the group
// coordinator, each commit waited out the consumer's Fetch (fetchWaitMsMax): found by
// sdk-failover.test.ts, where commits took 500 ms each once the new leader was the coordinator.
test('a commit is not held behind a long-polling Fetch to the same broker', async (t) => {
  const topic = 'c-commit-lane';
  await createTopic(sdk.cluster, topic, 1);
  await produceTo(sdk.cluster, topic, 0, [{ value: 'only' }]);
  const longPollMs = 20_000;
  const consumer = new Consumer({
    bootstrap: [sdk.bootstrap],
    groupId: 'g-commit-lane',
    autoOffsetReset: 'earliest',
    autoCommit: false,
    limits: { fetchWaitMsMax: longPollMs },
    ...groupOptions,
  });
  t.after(() => consumer.close());
  consumer.subscribe([topic]);
  assert.deepEqual(values(await take(consumer, 1)), ['only']);
  // The consumer now long-polls the (only) broker for records that do not come.
  await new Promise((r) => setTimeout(r, 200));
  const startedMs = Date.now();
  await consumer.commit([{ topic, partition: 0, offset: 1 }]);
  const tookMs = Date.now() - startedMs;
  assert.ok(tookMs < longPollMs / 4, `the commit took ${tookMs} ms: it waited for the Fetch long poll (${longPollMs} ms) on a shared connection`);
});

// issue 14, live tailing over WebSocket: a real WebSocket client (ws) against a running broker
// (in this process, with its logger teed into a LogRing as the `broker` command does).
// Topic tails: records in order, from an offset or a timestamp, a key filter, bad parameters
// refused before the upgrade, a slow reader bounded, the connection limit. Log tails: the ring
// first, then new lines, with a level filter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { RunnelConfig } from '../../src/config/index.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';
import { createLogger, LogRing, type Logger } from '../../src/log/index.ts';
import { startBrokerNode, type BrokerNode } from '../../src/node/broker-node.ts';
import { buildRecordBatch, type RecordInput } from '../../src/protocol/record-batch.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';
import { connectWebSocket } from '../../src/cli/runnel/ws-client.ts';
import { TailClient } from '../helpers/ws-tail.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface Broker {
  node: BrokerNode;
  client: RawClient;
  logger: Logger;
  httpPort: number;
  url(path: string): string;
  close(): Promise<void>;
}

async function startBroker(name: string, tune: (config: RunnelConfig) => void = () => {}): Promise<Broker> {
  const { dataDir, config } = inProcessConfig(`ws-${name}`, tune);
  const logRing = new LogRing({ linesMax: config.limits.log_ring_lines, lineBytesMax: config.limits.max_log_line_bytes });
  // The lines go to the ring only; a test's output stays quiet.
  const logger = createLogger({ level: 'info', format: 'json', ring: logRing, destination: { write: () => undefined } });
  const node = await startBrokerNode(config, logger, { logRing });
  const client = await RawClient.connect({ port: node.port });
  const status = await fetch(`http://127.0.0.1:${httpPortOf(node)}/health`);
  assert.ok(status.ok);
  return {
    node,
    client,
    logger,
    httpPort: httpPortOf(node),
    url: (path) => `ws://127.0.0.1:${httpPortOf(node)}${path}`,
    async close() {
      client.close();
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The HTTP port the broker bound (it advertises it to clients through DescribeConfigs). */
function httpPortOf(node: BrokerNode): number {
  const address = node.services.brokerConfigs['runnel.admin.address'];
  assert.ok(address, 'the broker advertises its admin address');
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

async function produce(broker: Broker, topic: string, partition: number, records: RecordInput[]): Promise<number> {
  const result = await broker.client.produce(topic, partition, buildRecordBatch({ records }));
  assert.equal(result.errorCode, 0, 'produce');
  return result.baseOffset;
}

async function withBroker(name: string, run: (broker: Broker) => Promise<void>, tune?: (config: RunnelConfig) => void): Promise<void> {
  const broker = await startBroker(name, tune);
  try {
    await run(broker);
  } finally {
    await broker.close();
  }
}

test('a topic tail from the end sends each new record once, in order, as JSON with its encodings', async () => {
  await withBroker('order', async (broker) => {
    await broker.client.createTopics([{ name: 'orders', numPartitions: 2 }], { waitForLeaders: true });
    await produce(broker, 'orders', 0, [{ key: 'before', value: 'not shown' }]);
    const tail = await TailClient.open(broker.url('/v1/ws/topics/orders'));
    try {
      const subscribed = await tail.waitForType('subscribed');
      assert.deepEqual(subscribed.partitions, [0, 1]);
      // issue 14: records arrive in order, each once.
      for (let i = 0; i < 20; i++)
        await produce(broker, 'orders', i % 2, [{ key: `k${i}`, value: `v${i}`, headers: [{ key: 'h', value: Buffer.from([0xff, 0x00]) }] }]);
      const records = await tail.waitForRecords(20);
      for (const partition of [0, 1]) {
        const values = records.filter((r) => r.partition === partition).map((r) => r.value);
        assert.deepEqual(
          values,
          Array.from({ length: 10 }, (_, j) => `v${j * 2 + partition}`),
        );
        const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset as number);
        assert.deepEqual(
          offsets,
          [...offsets].sort((a, b) => a - b),
        );
      }
      const first = records.find((r) => r.value === 'v0')!;
      assert.equal(first.topic, 'orders');
      assert.equal(first.offset, 1, 'the record before the tail began is not shown');
      assert.equal(first.key, 'k0');
      assert.equal(first.keyEncoding, 'utf8');
      assert.equal(typeof first.timestamp, 'number');
      // Header bytes that are not UTF-8 come as base64, and say so.
      assert.deepEqual(first.headers, [{ key: 'h', value: Buffer.from([0xff, 0x00]).toString('base64'), valueEncoding: 'base64' }]);
    } finally {
      await tail.close();
    }
  });
});

test('a topic tail starts at an offset, at a timestamp, or at the earliest record, in one partition', async () => {
  await withBroker('from', async (broker) => {
    await broker.client.createTopics([{ name: 'from', numPartitions: 2 }], { waitForLeaders: true });
    const t0 = Date.now() - 10_000;
    for (let i = 0; i < 6; i++) await produce(broker, 'from', 0, [{ value: `r${i}`, timestamp: t0 + i * 1000 }]);
    await produce(broker, 'from', 1, [{ value: 'other partition', timestamp: t0 }]);

    const byOffset = await TailClient.open(broker.url('/v1/ws/topics/from?partition=0&from=offset:4'));
    const byTime = await TailClient.open(broker.url(`/v1/ws/topics/from?partition=0&from=time:${t0 + 2500}`));
    const earliest = await TailClient.open(broker.url('/v1/ws/topics/from?partition=0&from=earliest'));
    try {
      assert.deepEqual(
        (await byOffset.waitForRecords(2)).map((r) => r.value),
        ['r4', 'r5'],
      );
      // The first record at or after the timestamp: r3 (t0 + 3000).
      assert.deepEqual(
        (await byTime.waitForRecords(3)).map((r) => r.value),
        ['r3', 'r4', 'r5'],
      );
      assert.deepEqual(
        (await earliest.waitForRecords(6)).map((r) => r.offset),
        [0, 1, 2, 3, 4, 5],
      );
      // Then live: a new record reaches every tail.
      await produce(broker, 'from', 0, [{ value: 'r6' }]);
      for (const tail of [byOffset, byTime, earliest]) {
        await waitFor(() => tail.records().some((r) => r.value === 'r6'), 'the new record');
        assert.ok(
          tail.records().every((r) => r.partition === 0),
          'only partition 0',
        );
      }
    } finally {
      await Promise.all([byOffset.close(), byTime.close(), earliest.close()]);
    }
  });
});

test('a tail of a topic that is deleted ends with a close that says so', async () => {
  await withBroker('deleted', async (broker) => {
    await broker.client.createTopics([{ name: 'doomed', numPartitions: 1 }], { waitForLeaders: true });
    const tail = await TailClient.open(broker.url('/v1/ws/topics/doomed'));
    await tail.waitForType('subscribed');
    await broker.client.deleteTopics(['doomed']);
    await waitFor(() => tail.closed !== null, 'the tail to end', 5_000, 20);
    assert.deepEqual(tail.closed, { code: 1000, reason: 'topic "doomed" was deleted' });
  });
});

test('a key filter passes only records whose key is the one given, or matches the regex', async () => {
  await withBroker('keys', async (broker) => {
    await broker.client.createTopics([{ name: 'keys', numPartitions: 1 }], { waitForLeaders: true });
    const exact = await TailClient.open(broker.url('/v1/ws/topics/keys?from=earliest&key=user-7'));
    const regex = await TailClient.open(broker.url(`/v1/ws/topics/keys?from=earliest&keyRegex=${encodeURIComponent('^user-[0-9]$')}`));
    try {
      await produce(broker, 'keys', 0, [
        { key: 'user-7', value: 'a' },
        { key: 'user-17', value: 'b' },
        { key: null, value: 'c' },
        { key: 'user-3', value: 'd' },
      ]);
      await produce(broker, 'keys', 0, [
        { key: 'user-7', value: 'e' },
        { key: 'x', value: 'marker' },
      ]);
      await regex.waitForRecords(3);
      await exact.waitForRecords(2);
      // Both tails have read past the marker once the regex one has 3: give the exact one the same chance.
      assert.deepEqual(
        exact.records().map((r) => r.value),
        ['a', 'e'],
      );
      assert.deepEqual(
        regex.records().map((r) => r.value),
        ['a', 'd', 'e'],
      );
    } finally {
      await Promise.all([exact.close(), regex.close()]);
    }
  });
});

test('bad tail parameters are refused before the upgrade with a status and a message naming the parameter', async () => {
  await withBroker('bad', async (broker) => {
    await broker.client.createTopics([{ name: 'bad', numPartitions: 2 }], { waitForLeaders: true });
    const refused = async (path: string): Promise<{ status: number; message: string }> => {
      const error = (await connectWebSocket(broker.url(path)).then(
        () => assert.fail(`${path} was accepted`),
        (err: unknown) => err,
      )) as { status: number; message: string };
      return error;
    };
    const cases: Array<[string, number, RegExp]> = [
      ['/v1/ws/topics/bad?from=yesterday', 400, /parameter "from"/],
      ['/v1/ws/topics/bad?from=offset:-1', 400, /offset must be a non-negative integer/],
      ['/v1/ws/topics/bad?partition=2', 400, /partitions 0 to 1/],
      ['/v1/ws/topics/bad?partition=x', 400, /parameter "partition"/],
      ['/v1/ws/topics/bad?keyRegex=(a%2B)%2B%24', 400, /keyRegex.*exponential/],
      ['/v1/ws/topics/bad?keyRegex=(', 400, /not a valid regular expression/],
      [`/v1/ws/topics/bad?key=${'k'.repeat(300)}`, 400, /max_tail_key_bytes/],
      ['/v1/ws/topics/bad?key=a&keyRegex=b', 400, /either "key" or "keyRegex"/],
      ['/v1/ws/topics/bad?color=red', 400, /unknown parameter "color"/],
      ['/v1/ws/topics/nope', 404, /topic "nope" does not exist/],
      ['/v1/ws/logs?level=loud', 400, /parameter "level"/],
    ];
    for (const [path, status, message] of cases) {
      const error = await refused(path);
      assert.equal(error.status, status, path);
      assert.match(error.message, message, path);
    }
    // /openapi.json lists the tails with their parameters.
    const doc = (await (await fetch(`http://127.0.0.1:${broker.httpPort}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { parameters: Array<{ name: string }> } }>;
    };
    assert.deepEqual(
      doc.paths['/v1/ws/topics/{topic}']?.get?.parameters.map((p) => p.name),
      ['topic', 'from', 'partition', 'key', 'keyRegex'],
    );
    assert.ok(doc.paths['/v1/ws/logs']?.get, '/v1/ws/logs is documented');
    // The broker is unaffected: a good tail works.
    const tail = await TailClient.open(broker.url('/v1/ws/topics/bad?from=earliest'));
    await produce(broker, 'bad', 1, [{ value: 'fine' }]);
    await tail.waitForRecords(1);
    await tail.close();
  });
});

test('a reader that does not keep up is bounded: records for it are dropped and counted, never buffered without limit', async () => {
  const bufferBytes = 64 * 1024;
  await withBroker(
    'slow',
    async (broker) => {
      await broker.client.createTopics([{ name: 'slow', numPartitions: 1 }], { waitForLeaders: true });
      const tail = await TailClient.open(broker.url('/v1/ws/topics/slow'));
      await tail.waitForType('subscribed');
      // The client stops reading: the kernel buffers fill, then the broker's queue for the socket.
      tail.socket.pause();
      const value = Buffer.alloc(64 * 1024, 'x');
      const batches = 256;
      const perBatch = 8;
      for (let i = 0; i < batches; i++)
        await produce(
          broker,
          'slow',
          0,
          Array.from({ length: perBatch }, () => ({ value })),
        );
      const produced = batches * perBatch;
      tail.socket.resume();
      // issue 14: the server drops records for a slow client and tells it how many.
      await waitFor(() => tail.records().length + tail.droppedCount() === produced, 'every record sent or counted as dropped', 30_000, 20);
      assert.ok(tail.droppedCount() > 0, 'records were dropped for the slow reader');
      // What it got is in order, each once; the sum above says nothing else is missing.
      tail.assertOffsetsAscending();
      // And the tail goes on live after it caught up.
      await produce(broker, 'slow', 0, [{ value: 'after' }]);
      await waitFor(() => tail.records().some((r) => r.value === 'after'), 'the record after the drop');
      await tail.close();
    },
    (config) => {
      config.limits.tail_buffer_bytes = bufferBytes;
      // The socket's buffer is what this test bounds, not the rate.
      config.limits.tail_messages_per_second = 1_000_000;
    },
  );
});

test('a tail is sent at most limits.tail_messages_per_second; the rest is dropped and counted', async () => {
  await withBroker(
    'rate',
    async (broker) => {
      await broker.client.createTopics([{ name: 'rate', numPartitions: 1 }], { waitForLeaders: true });
      const tail = await TailClient.open(broker.url('/v1/ws/topics/rate'));
      await tail.waitForType('subscribed');
      const startedMs = performance.now();
      const produced = 1000;
      for (let i = 0; i < produced / 250; i++)
        await produce(
          broker,
          'rate',
          0,
          Array.from({ length: 250 }, (_, j) => ({ value: `r${i * 250 + j}` })),
        );
      const dropped = () => tail.droppedCount();
      await waitFor(() => tail.records().length + dropped() === produced, 'every record sent or counted as dropped', 10_000, 20);
      const elapsedS = (performance.now() - startedMs) / 1000;
      // A bucket of one second's worth (100), refilled at 100 a second while the records came.
      assert.ok(tail.records().length <= 100 + Math.ceil(elapsedS * 100) + 1, `${tail.records().length} records in ${elapsedS.toFixed(2)} s`);
      assert.ok(dropped() > 0);
      tail.assertOffsetsAscending();
      await tail.close();
    },
    (config) => {
      config.limits.tail_messages_per_second = 100;
    },
  );
});

test('tails beyond limits.max_tail_connections are refused, and a freed slot is usable again', async () => {
  await withBroker(
    'limit',
    async (broker) => {
      await broker.client.createTopics([{ name: 'limit', numPartitions: 1 }], { waitForLeaders: true });
      const tails = [
        await TailClient.open(broker.url('/v1/ws/topics/limit')),
        await TailClient.open(broker.url('/v1/ws/topics/limit')),
        await TailClient.open(broker.url('/v1/ws/logs')),
      ];
      // A flood: ten more at once, each refused.
      const flood = await Promise.allSettled(Array.from({ length: 10 }, () => connectWebSocket(broker.url('/v1/ws/topics/limit'))));
      for (const attempt of flood) {
        if (attempt.status === 'fulfilled') {
          // Admitted past the pre-upgrade check in the same instant: closed at once with 1013.
          const tail = attempt.value;
          const code = await new Promise<number>((resolve) => tail.on('close', (c) => resolve(c)));
          assert.equal(code, 1013);
        } else {
          assert.equal((attempt.reason as { status: number }).status, 503);
          assert.match((attempt.reason as Error).message, /max_tail_connections/);
        }
      }
      await tails[0]!.close();
      const again = await TailClient.open(broker.url('/v1/ws/topics/limit'));
      await produce(broker, 'limit', 0, [{ value: 'ok' }]);
      await again.waitForRecords(1);
      await Promise.all([again.close(), tails[1]!.close(), tails[2]!.close()]);
    },
    (config) => {
      config.limits.max_tail_connections = 3;
    },
  );
});

test('a log tail sends the kept lines, then new ones, at or above its level', async () => {
  await withBroker('logs', async (broker) => {
    broker.logger.warn({ marker: 'early-warn' }, 'logged before the tail');
    broker.logger.info({ marker: 'early-info' }, 'logged before the tail');
    const warnTail = await TailClient.open(broker.url('/v1/ws/logs?level=warn'));
    const infoTail = await TailClient.open(broker.url('/v1/ws/logs'));
    try {
      broker.logger.info({ marker: 'late-info' }, 'logged after');
      broker.logger.error({ marker: 'late-error' }, 'logged after');
      const markers = (tail: TailClient) =>
        tail
          .of('log')
          .map((m) => (m.line as { marker?: string }).marker)
          .filter((x) => x !== undefined);
      await waitFor(() => markers(warnTail).includes('late-error') && markers(infoTail).includes('late-error'), 'the error line on both tails');
      assert.deepEqual(markers(warnTail), ['early-warn', 'late-error']);
      assert.deepEqual(markers(infoTail), ['early-warn', 'early-info', 'late-info', 'late-error']);
      const line = warnTail.of('log').at(-1)!.line as { level: string; msg: string };
      assert.equal(line.level, 'error');
      assert.equal(line.msg, 'logged after');
    } finally {
      await Promise.all([warnTail.close(), infoTail.close()]);
    }
  });
});

test('runnel tail --ws and runnel logs print the streams, finding the HTTP server through the broker', async () => {
  await withBroker('cli', async (broker) => {
    await broker.client.createTopics([{ name: 'cli', numPartitions: 2 }], { waitForLeaders: true });
    await produce(broker, 'cli', 0, [
      { key: 'a', value: 'one' },
      { key: 'b', value: Buffer.from([0xc3, 0x28]) },
    ]);
    await produce(broker, 'cli', 1, [{ key: 'a', value: 'two' }]);
    const env = { RUNNEL_BOOTSTRAP: `127.0.0.1:${broker.node.port}` };
    // No --admin: the command asks the broker for runnel.admin.address (DescribeConfigs).
    const tail = await runnelInProcess(['tail', 'cli', '--ws', '--from-beginning', '--partition', '0', '--max-messages', '2'], env);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout, `a:one\nb:base64:${Buffer.from([0xc3, 0x28]).toString('base64')}\n`);
    const keyed = await runnelInProcess(['tail', 'cli', '--ws', '--from-beginning', '--key', 'a', '--max-messages', '2', '--json'], env);
    assert.equal(keyed.code, 0, keyed.stderr);
    const lines = keyed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { value: string; partition: number });
    assert.deepEqual(lines.map((l) => l.value).sort(), ['one', 'two']);
    const wrongFlag = await runnelInProcess(['tail', 'cli', '--key', 'a'], env);
    assert.equal(wrongFlag.code, 2);
    assert.match(wrongFlag.stderr, /--key needs --ws/);
    const badRegex = await runnelInProcess(['tail', 'cli', '--ws', '--key-regex', '(a*)*'], env);
    assert.equal(badRegex.code, 1);
    assert.match(badRegex.stderr, /HTTP 400: parameter "keyRegex"/);

    broker.logger.warn({ marker: 'cli-warn' }, 'a warning for runnel logs');
    // Without --follow: the kept lines, then the command ends.
    const logs = await runnelInProcess(['logs', '--level', 'warn'], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /WARN a warning for runnel logs \{.*"marker":"cli-warn"/);
    assert.doesNotMatch(logs.stdout, / INFO /);
    const byNode = await runnelInProcess(['logs', '--node', '1', '--json'], env);
    assert.equal(byNode.code, 0, byNode.stderr);
    assert.ok(byNode.stdout.split('\n').some((l) => l.includes('"marker":"cli-warn"')));
    const noNode = await runnelInProcess(['logs', '--node', '7'], env);
    assert.equal(noNode.code, 1);
    assert.match(noNode.stderr, /no broker 7 in the cluster/);
  });
});

// KafkaJS 2.2.4 consumer groups and idempotent producer against a real broker:
// - three members share a six-partition topic; one leaves and one joins while records flow;
//   every record is processed, and none twice (clean rebalances with committed offsets);
// - a consumer restarted after its commit continues exactly at the committed offset, also after
//   the broker was stopped and after it was killed with SIGKILL (offsets are durable);
// - an idempotent producer (KIP-98) whose broker is killed (SIGKILL) and restarted while it sends
//   leaves neither duplicates nor gaps.
// KafkaJS's own log is kept and printed on failure.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawRecordReader } from '../helpers/read-back.ts';

let broker: BrokerHandle;
let kafka: Kafka;
let admin: Admin;
const clientLog: string[] = [];

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({
    clientId: 'runnel-groups',
    brokers: [broker.bootstrap],
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      clientLog.push(`${entry.label} ${entry.namespace} ${JSON.stringify(entry.log)}`);
      if (clientLog.length > 400) clientLog.shift();
    },
  });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect().catch(() => {});
  await broker?.stop();
});

function context(): string {
  return `\nKafkaJS log:\n${clientLog.slice(-25).join('\n')}\nbroker log:\n${broker.logs().slice(-25).join('\n')}`;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Group settings that keep the test short: the rebalance logic is the same as with defaults. */
const fastGroup = { heartbeatInterval: 500, maxWaitTimeInMs: 500, sessionTimeout: 10_000, rebalanceTimeout: 10_000 };

test('three members share six partitions; a member leaves and one joins mid-stream; every record processed exactly once', async () => {
  const topic = 'groups-share';
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: false });
  await producer.connect();
  const total = 600;
  let sent = 0;
  const sendSome = async (n: number) => {
    const messages = Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value: String(sent + i) }));
    sent += n;
    await producer.send({ topic, messages });
  };

  // Which consumer processed each value, and how often each value was seen.
  const seen = new Map<string, number>();
  const byMember = new Map<string, Set<number>>();
  const members = new Map<string, Consumer>();
  const start = async (name: string) => {
    const consumer = kafka.consumer({ groupId: 'share', ...fastGroup });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    byMember.set(name, new Set());
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const value = message.value!.toString();
        seen.set(value, (seen.get(value) ?? 0) + 1);
        byMember.get(name)!.add(partition);
      },
    });
    members.set(name, consumer);
  };

  try {
    await Promise.all(['a', 'b', 'c'].map(start));
    await sendSome(150);
    await waitFor('the first 150 records', () => seen.size >= 150, 30_000);
    // Six partitions among three members: each got some, and together all six.
    const firstShare = [...byMember.values()].map((s) => [...s].sort());
    assert.ok(
      firstShare.every((s) => s.length > 0),
      `every member got partitions: ${JSON.stringify(firstShare)}${context()}`,
    );
    assert.equal(new Set(firstShare.flat()).size, 6);
    const described = await admin.describeGroups(['share']);
    assert.equal(described.groups[0].state, 'Stable');
    assert.equal(described.groups[0].members.length, 3);

    // Member c leaves cleanly (KafkaJS commits, then sends LeaveGroup) while records keep coming.
    const leaving = members.get('c')!;
    members.delete('c');
    await Promise.all([leaving.disconnect(), sendSome(150)]);
    await sendSome(100);
    await waitFor('records after the leave', () => seen.size >= 400, 30_000);

    // Member d joins while records keep coming.
    await Promise.all([start('d'), sendSome(100)]);
    await sendSome(100);
    await waitFor('every record', () => seen.size >= total, 45_000);
    await waitFor('d to get partitions', () => byMember.get('d')!.size > 0, 30_000);

    assert.equal(sent, total);
    const missing = Array.from({ length: total }, (_, i) => String(i)).filter((v) => !seen.has(v));
    assert.deepEqual(missing, [], `every record is processed${context()}`);
    const twice = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    assert.deepEqual(twice, [], `no record is processed twice after clean rebalances${context()}`);
    const final = await admin.describeGroups(['share']);
    assert.deepEqual(final.groups[0].members.map((m) => m.clientId).length, 3);
  } finally {
    await Promise.all([...members.values()].map((c) => c.disconnect().catch(() => {})));
    await producer.disconnect();
  }
});

test('a consumer restarted after its commit continues exactly at the committed offset, across a broker restart and a SIGKILL', async () => {
  const topic = 'groups-resume';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: false });
  await producer.connect();
  const send = async (from: number, n: number) => producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: String(from + i) })) });

  /** Runs a group member until it has seen `count` records; returns their offsets. */
  const consume = async (count: number): Promise<number[]> => {
    const consumer = kafka.consumer({ groupId: 'resume', ...fastGroup });
    const offsets: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void offsets.push(Number(message.offset)) });
    try {
      await waitFor(`${count} records`, () => offsets.length >= count, 30_000);
      // Let a stray extra record show up if the position were wrong.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await consumer.disconnect();
    }
    return offsets;
  };

  try {
    await send(0, 40);
    assert.deepEqual(
      await consume(40),
      Array.from({ length: 40 }, (_, i) => i),
    );
    const committed = await admin.fetchOffsets({ groupId: 'resume', topics: [topic] });
    assert.equal(committed[0].partitions[0].offset, '40');

    // Graceful restart: committed offsets and the group come back from __consumer_offsets.
    await broker.restart();
    const afterRestart = await admin.fetchOffsets({ groupId: 'resume', topics: [topic] });
    assert.equal(afterRestart[0].partitions[0].offset, '40', `offsets survive a restart${context()}`);
    await send(40, 20);
    assert.deepEqual(
      await consume(20),
      Array.from({ length: 20 }, (_, i) => 40 + i),
      'continues at the committed offset',
    );

    // SIGKILL: what was acknowledged was durable.
    await broker.kill9();
    await broker.restart();
    await send(60, 10);
    assert.deepEqual(
      await consume(10),
      Array.from({ length: 10 }, (_, i) => 60 + i),
      `continues after SIGKILL${context()}`,
    );
    const groups = await admin.listGroups();
    assert.ok(
      groups.groups.some((g) => g.groupId === 'resume'),
      JSON.stringify(groups),
    );
  } finally {
    await producer.disconnect();
  }
});

test('KIP-98: an idempotent producer whose broker is killed (SIGKILL) and restarted mid-stream leaves no duplicates and no gaps', async () => {
  const topic = 'groups-idempotent';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1_000 } });
  await producer.connect();
  const total = 300;
  const perSend = 5;
  let acked = 0;
  const sending = (async () => {
    for (let i = 0; i < total; i += perSend) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: perSend }, (_, j) => ({ value: String(i + j) })) });
      acked = i + perSend;
    }
  })();
  try {
    await waitFor('some acknowledged sends', () => acked >= 60, 30_000);
    await broker.kill9();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    await sending;
  } finally {
    await sending.catch(() => {});
    await producer.disconnect();
  }
  const reader = await RawRecordReader.connect(broker.port);
  try {
    const records = await reader.read(topic, 0, { fromOffset: 0, count: total, timeoutMs: 10_000 });
    const values = records.map((r) => Number(r.value!.toString()));
    assert.deepEqual(
      values,
      Array.from({ length: total }, (_, i) => i),
      `each record once, in order${context()}`,
    );
    const more = await reader.read(topic, 0, { fromOffset: total, toEnd: true, timeoutMs: 1_000 });
    assert.equal(more.length, 0, 'nothing beyond the records sent');
  } finally {
    await reader.close();
  }
});

// issue 12: topic configs through real admin clients against one broker. Each creates a topic
// with the configs Kafka tools and client test suites set, changes them with AlterConfigs
// (KafkaJS 2.2.4, Python confluent-kafka 1.7 on librdkafka 2.0.2) or IncrementalAlterConfigs
// (@platformatic/kafka 1.35: SET, DELETE, APPEND, SUBTRACT), and reads them back with
// DescribeConfigs, sources included. @platformatic/kafka also reads DescribeLogDirs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type ConfigResourceTypes } from 'kafkajs';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { describeRun, requireExecutable, run } from '../helpers/run.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('./python/', import.meta.url));
const TOPIC_TYPE = 2;
// kafkajs is CommonJS and its enum is not a named export under ESM: the number Kafka uses.
const KAFKAJS_TOPIC = TOPIC_TYPE as ConfigResourceTypes;
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

const CREATE: Record<string, string> = {
  'compression.type': 'zstd',
  'min.insync.replicas': '1',
  'message.timestamp.type': 'LogAppendTime',
  'message.timestamp.difference.max.ms': '3600000',
  'max.message.bytes': '2000000',
  'cleanup.policy': 'delete',
  'retention.ms': '86400000',
  'segment.bytes': '1048576',
  'unclean.leader.election.enable': 'false',
};
const ALTER: Record<string, string> = {
  'compression.type': 'lz4',
  'min.insync.replicas': '1',
  'message.timestamp.type': 'CreateTime',
  'message.timestamp.difference.max.ms': '7200000',
  'max.message.bytes': '500000',
  'cleanup.policy': 'compact,delete',
  'retention.ms': '172800000',
  'segment.bytes': '2097152',
  'unclean.leader.election.enable': 'true',
};

let broker: BrokerHandle;
let kafka: Kafka;
let admin: Admin;

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: 'runnel-configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect().catch(() => {});
  await broker?.stop();
});

async function kafkajsConfigs(topic: string): Promise<Record<string, [string, number]>> {
  const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: KAFKAJS_TOPIC, name: topic }] });
  const entries = res.resources[0].configEntries as Array<{ configName: string; configValue: string; configSource: number }>;
  return Object.fromEntries(entries.map((e) => [e.configName, [e.configValue, e.configSource]]));
}

function expectValues(shown: Record<string, [string, number]>, want: Record<string, string>, source: number, what: string): void {
  for (const [name, value] of Object.entries(want)) assert.deepEqual(shown[name], [value, source], `${what}: ${name}`);
}

test('issue 12: KafkaJS admin creates a topic with Kafka configs, alterConfigs replaces them, describeConfigs reads both back', async () => {
  await admin.createTopics({
    topics: [{ topic: 'js-configs', numPartitions: 1, replicationFactor: 1, configEntries: Object.entries(CREATE).map(([name, value]) => ({ name, value })) }],
  });
  expectValues(await kafkajsConfigs('js-configs'), CREATE, DYNAMIC_TOPIC_CONFIG, 'after create');
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: KAFKAJS_TOPIC, name: 'js-configs', configEntries: Object.entries(ALTER).map(([name, value]) => ({ name, value })) }],
  });
  expectValues(await kafkajsConfigs('js-configs'), ALTER, DYNAMIC_TOPIC_CONFIG, 'after alter');
  // AlterConfigs sets the whole set: what it does not name goes back to the broker's value.
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: KAFKAJS_TOPIC, name: 'js-configs', configEntries: [{ name: 'retention.ms', value: '1000' }] }],
  });
  const after = await kafkajsConfigs('js-configs');
  assert.deepEqual(after['retention.ms'], ['1000', DYNAMIC_TOPIC_CONFIG]);
  assert.deepEqual(after['compression.type'], ['producer', DEFAULT_CONFIG]);
  assert.equal(after['segment.bytes'][1], STATIC_BROKER_CONFIG);
  await assert.rejects(
    admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: KAFKAJS_TOPIC, name: 'js-configs', configEntries: [{ name: 'compression.type', value: 'brotli' }] }],
    }),
    /compression.type|invalid/i,
  );
});

test('issue 12: @platformatic/kafka incrementalAlterConfigs SET, DELETE, APPEND, SUBTRACT; describeConfigs and describeLogDirs', async () => {
  const pa = new PlatformaticAdmin({ clientId: 'runnel-configs', bootstrapBrokers: [broker.bootstrap], retries: 2 });
  try {
    await pa.createTopics({ topics: ['pk-configs'], partitions: 1, replicas: 1, configs: Object.entries(CREATE).map(([name, value]) => ({ name, value })) });
    const read = async () => {
      const [d] = await pa.describeConfigs({ resources: [{ resourceType: TOPIC_TYPE, resourceName: 'pk-configs' }], includeSynonyms: true });
      return Object.fromEntries(d.configs.map((c) => [c.name, [c.value, c.configSource]])) as Record<string, [string, number]>;
    };
    expectValues(await read(), CREATE, DYNAMIC_TOPIC_CONFIG, 'after create');
    const set = Object.entries(ALTER)
      .filter(([name]) => name !== 'cleanup.policy')
      .map(([name, value]) => ({ name, configOperation: 0 as const, value }));
    await pa.incrementalAlterConfigs({
      resources: [
        { resourceType: TOPIC_TYPE, resourceName: 'pk-configs', configs: [...set, { name: 'cleanup.policy', configOperation: 2 as const, value: 'compact' }] },
      ],
    });
    // APPEND adds at the end of the list in force (delete): "delete,compact".
    expectValues(await read(), { ...ALTER, 'cleanup.policy': 'delete,compact' }, DYNAMIC_TOPIC_CONFIG, 'after SET and APPEND');
    await pa.incrementalAlterConfigs({
      resources: [
        {
          resourceType: TOPIC_TYPE,
          resourceName: 'pk-configs',
          configs: [
            { name: 'cleanup.policy', configOperation: 3 as const, value: 'delete' },
            { name: 'compression.type', configOperation: 1 as const },
          ],
        },
      ],
    });
    const shown = await read();
    assert.deepEqual(shown['cleanup.policy'], ['compact', DYNAMIC_TOPIC_CONFIG]);
    assert.deepEqual(shown['compression.type'], ['producer', DEFAULT_CONFIG]);
    assert.deepEqual(shown['retention.ms'], ['172800000', DYNAMIC_TOPIC_CONFIG], 'IncrementalAlterConfigs leaves the rest');
    const dirs = await pa.describeLogDirs({ topics: [{ name: 'pk-configs', partitions: [0] }] });
    const topics = dirs.flatMap((b) => b.results.flatMap((r) => r.topics));
    assert.deepEqual(
      topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]),
      [['pk-configs', [0]]],
    );
  } finally {
    await pa.close();
  }
});

test('issue 12: Python confluent-kafka AdminClient creates with configs, alter_configs, describe_configs', async () => {
  requireExecutable(PYTHON, 'install python3 (Debian)');
  const args = [join(SCRIPTS, 'configs.py'), broker.bootstrap, 'py-configs'];
  const r = await run(PYTHON, args, { timeoutMs: 60_000, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const describe = describeRun(PYTHON, args, r, 6000);
  assert.equal(r.code, 0, describe);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.create, null, describe);
  for (const [name, value] of Object.entries(CREATE)) assert.deepEqual(out.after_create[name], [value, DYNAMIC_TOPIC_CONFIG], `${name}\n${describe}`);
  assert.equal(out.alter, null, describe);
  for (const [name, value] of Object.entries(ALTER)) assert.deepEqual(out.after_alter[name], [value, DYNAMIC_TOPIC_CONFIG], `${name}\n${describe}`);
  assert.match(String(out.bad_alter), /INVALID_CONFIG|min.insync.replicas/, describe);
});

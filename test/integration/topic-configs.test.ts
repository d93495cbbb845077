// issue 12, topic configs on one in-process broker: CreateTopics accepts Kafka's topic configs,
// AlterConfigs and IncrementalAlterConfigs change them (and the broker's dynamic defaults) at once,
// DescribeConfigs shows where each value comes from, and the honoured ones act on Produce and on
// the open logs. Also DescribeLogDirs and DescribeProducers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerNode } from '../../src/node/broker-node.ts';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ATTRIBUTE_TIMESTAMP_TYPE, batchCrcIsValid, buildRecordBatch, decodeBatches } from '../../src/protocol/record-batch.ts';
import { ConfigSource } from '../../src/metadata/topic-configs.ts';
import type { RawClient } from '../../bench/lib/raw-client.ts';

let broker: InProcessBroker;
// The tests below use these: they change when the broker restarts.
let dataDir: string;
let node: BrokerNode;
let client: RawClient;

before(async () => {
  broker = await startInProcessBroker('configs');
  ({ dataDir, node, client } = broker);
});

after(() => broker.close());

const api = (key: number) => apiByKey.get(key)!;

async function createTopic(name: string, configs: Record<string, string>): Promise<any> {
  const res = await client.request(api(ApiKey.CreateTopics), 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return res.topics[0];
}

async function describe(resourceType: number, resourceName: string, keys: string[] | null = null): Promise<Map<string, any>> {
  const res = await client.request(api(ApiKey.DescribeConfigs), 4, {
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: true,
  });
  assert.equal(res.results[0].errorCode, ErrorCode.NONE, res.results[0].errorMessage);
  return new Map(res.results[0].configs.map((c: any) => [c.name, c]));
}

async function incremental(resourceType: number, resourceName: string, configs: Array<[string, number, string | null]>, validateOnly = false): Promise<any> {
  const res = await client.request(api(ApiKey.IncrementalAlterConfigs), 1, {
    resources: [{ resourceType, resourceName, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
    validateOnly,
  });
  return res.responses[0];
}

async function alter(resourceType: number, resourceName: string, configs: Record<string, string>, validateOnly = false): Promise<any> {
  const res = await client.request(api(ApiKey.AlterConfigs), 2, {
    resources: [{ resourceType, resourceName, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    validateOnly,
  });
  return res.responses[0];
}

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;

function batch(count: number, timestamp: number, valueBytes = 10): Buffer {
  return buildRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(valueBytes, 97 + (i % 26)), timestamp: timestamp + i })) });
}

test('issue 12: CreateTopics accepts the configs Kafka tools set; DescribeConfigs shows them as DYNAMIC_TOPIC_CONFIG, the rest with their source', async () => {
  const configs = {
    'compression.type': 'zstd',
    'min.insync.replicas': '1',
    'message.timestamp.type': 'CreateTime',
    'message.timestamp.difference.max.ms': '86400000',
    'max.message.bytes': '2000000',
    'cleanup.policy': 'delete',
    'retention.ms': '3600000',
    'segment.bytes': '1048576',
    'unclean.leader.election.enable': 'false',
  };
  const created = await createTopic('cfg-create', configs);
  assert.equal(created.errorCode, ErrorCode.NONE, created.errorMessage);
  const shown = await describe(TOPIC, 'cfg-create');
  for (const [name, value] of Object.entries(configs)) {
    assert.equal(shown.get(name)?.value, value, name);
    assert.equal(shown.get(name)?.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG, name);
  }
  assert.equal(shown.get('retention.bytes').configSource, ConfigSource.STATIC_BROKER_CONFIG);
  assert.deepEqual(
    shown.get('segment.ms').synonyms.map((s: any) => [s.name, s.source]),
    [['log.roll.ms', ConfigSource.DEFAULT_CONFIG]],
  );
  assert.match(shown.get('compression.type').documentation, /keeps the producer's codec/);
  // An unknown name or a bad value is refused, naming it.
  const bad = await createTopic('cfg-bad', { 'compression.type': 'brotli' });
  assert.equal(bad.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(bad.errorMessage, /compression.type/);
  const unknown = await createTopic('cfg-bad', { 'retention.msec': '1' });
  assert.equal(unknown.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(unknown.errorMessage, /retention.msec/);
});

test('issue 12: max.message.bytes refuses a larger batch (MESSAGE_TOO_LARGE), and raising it with AlterConfigs applies at once', async () => {
  assert.equal((await createTopic('cfg-size', { 'max.message.bytes': '1000' })).errorCode, ErrorCode.NONE);
  const big = batch(1, Date.now(), 2000);
  assert.equal((await client.produce('cfg-size', 0, big, -1)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal((await alter(TOPIC, 'cfg-size', { 'max.message.bytes': '10000' }, true)).errorCode, ErrorCode.NONE);
  assert.equal((await client.produce('cfg-size', 0, big, -1)).errorCode, ErrorCode.MESSAGE_TOO_LARGE, 'validateOnly changes nothing');
  assert.equal((await alter(TOPIC, 'cfg-size', { 'max.message.bytes': '10000' })).errorCode, ErrorCode.NONE);
  assert.equal((await client.produce('cfg-size', 0, big, -1)).errorCode, ErrorCode.NONE);
});

test('issue 12: message.timestamp.type=LogAppendTime stamps each batch with the broker time, sets the attribute bit and a valid CRC', async () => {
  assert.equal((await createTopic('cfg-lat', { 'message.timestamp.type': 'LogAppendTime' })).errorCode, ErrorCode.NONE);
  const before = Date.now();
  const produced = await client.produce('cfg-lat', 0, batch(3, 1_000), -1);
  const after = Date.now();
  assert.equal(produced.errorCode, ErrorCode.NONE);
  assert.ok(produced.logAppendTimeMs >= before && produced.logAppendTimeMs <= after, `logAppendTimeMs ${produced.logAppendTimeMs}`);
  const fetched = await client.fetch('cfg-lat', 0, 0);
  const [stored] = decodeBatches(fetched.records!);
  assert.equal(stored.header.attributes & ATTRIBUTE_TIMESTAMP_TYPE, ATTRIBUTE_TIMESTAMP_TYPE);
  assert.equal(stored.header.maxTimestamp, produced.logAppendTimeMs);
  assert.equal(stored.header.baseTimestamp, 1_000, 'the first timestamp stays as sent, as in Kafka');
  assert.ok(batchCrcIsValid(fetched.records!, 0, stored.sizeBytes));
  assert.deepEqual(
    stored.records.map((r) => r.timestamp),
    [produced.logAppendTimeMs, produced.logAppendTimeMs, produced.logAppendTimeMs],
  );
  // Back to CreateTime: the producer's timestamps are kept again.
  assert.equal((await incremental(TOPIC, 'cfg-lat', [['message.timestamp.type', DELETE, null]])).errorCode, ErrorCode.NONE);
  const second = await client.produce('cfg-lat', 0, batch(1, 5_000), -1);
  assert.equal(second.logAppendTimeMs, -1);
  const [kept] = decodeBatches((await client.fetch('cfg-lat', 0, second.baseOffset)).records!);
  assert.equal(kept.records[0].timestamp, 5_000);
});

test('issue 12: message.timestamp.difference.max.ms refuses CreateTime records too far from the broker clock (INVALID_TIMESTAMP)', async () => {
  assert.equal((await createTopic('cfg-ts', { 'message.timestamp.difference.max.ms': '60000' })).errorCode, ErrorCode.NONE);
  const old = await client.produce('cfg-ts', 0, batch(2, 1_000), -1);
  assert.equal(old.errorCode, ErrorCode.INVALID_TIMESTAMP);
  const future = await client.produce('cfg-ts', 0, batch(1, Date.now() + 3_600_000), -1);
  assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP);
  // Every record counts, not only the first: the second is out of range here.
  const mixed = buildRecordBatch({
    records: [
      { value: 'a', timestamp: Date.now() },
      { value: 'b', timestamp: 1_000 },
    ],
    compression: 'gzip',
  });
  assert.equal((await client.produce('cfg-ts', 0, mixed, -1)).errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.equal((await client.produce('cfg-ts', 0, batch(2, Date.now()), -1)).errorCode, ErrorCode.NONE);
});

test('issue 12: min.insync.replicas above the replicas in sync refuses acks=all (NOT_ENOUGH_REPLICAS), not acks=1', async () => {
  assert.equal((await createTopic('cfg-isr', { 'min.insync.replicas': '2' })).errorCode, ErrorCode.NONE);
  assert.equal((await client.produce('cfg-isr', 0, batch(1, Date.now()), -1)).errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal((await client.produce('cfg-isr', 0, batch(1, Date.now()), 1)).errorCode, ErrorCode.NONE);
  assert.equal((await incremental(TOPIC, 'cfg-isr', [['min.insync.replicas', SET, '1']])).errorCode, ErrorCode.NONE);
  assert.equal((await client.produce('cfg-isr', 0, batch(1, Date.now()), -1)).errorCode, ErrorCode.NONE);
});

test('issue 12: segment.bytes and retention.ms changed by IncrementalAlterConfigs apply to the open log at once', async () => {
  assert.equal((await createTopic('cfg-seg', {})).errorCode, ErrorCode.NONE);
  const dir = join(dataDir, 'cfg-seg-0');
  const segments = () => readdirSync(dir).filter((f) => f.endsWith('.log')).length;
  for (let i = 0; i < 4; i++) assert.equal((await client.produce('cfg-seg', 0, batch(1, Date.now(), 600), -1)).errorCode, ErrorCode.NONE);
  assert.equal(segments(), 1);
  assert.equal((await incremental(TOPIC, 'cfg-seg', [['segment.bytes', SET, '1024']])).errorCode, ErrorCode.NONE);
  for (let i = 0; i < 4; i++) assert.equal((await client.produce('cfg-seg', 0, batch(1, Date.now(), 600), -1)).errorCode, ErrorCode.NONE);
  assert.ok(segments() >= 4, `${segments()} segments after segment.bytes=1024`);
  // retention.ms=1: every sealed segment is past retention at the next run.
  assert.equal((await incremental(TOPIC, 'cfg-seg', [['retention.ms', SET, '1']])).errorCode, ErrorCode.NONE);
  node.services.replicas.runRetention(Date.now() + 10);
  assert.equal(segments(), 1);
  assert.ok(node.services.replicas.partition('cfg-seg', 0)!.logStartOffset >= 7);
});

test("issue 12: segment.ms rolls a segment by the records' timestamps, as Kafka measures it", async () => {
  assert.equal((await createTopic('cfg-roll', { 'segment.ms': '60000' })).errorCode, ErrorCode.NONE);
  const segments = () => readdirSync(join(dataDir, 'cfg-roll-0')).filter((f) => f.endsWith('.log')).length;
  const t0 = Date.now() - 600_000;
  assert.equal((await client.produce('cfg-roll', 0, batch(1, t0), -1)).errorCode, ErrorCode.NONE);
  assert.equal((await client.produce('cfg-roll', 0, batch(1, t0 + 60_000), -1)).errorCode, ErrorCode.NONE);
  assert.equal(segments(), 1);
  assert.equal((await client.produce('cfg-roll', 0, batch(1, t0 + 60_001), -1)).errorCode, ErrorCode.NONE);
  assert.equal(segments(), 2);
});

test('issue 12: IncrementalAlterConfigs APPEND, DELETE; AlterConfigs replaces the set; errors name the config', async () => {
  assert.equal((await createTopic('cfg-ops', { 'retention.ms': '5000' })).errorCode, ErrorCode.NONE);
  assert.equal((await incremental(TOPIC, 'cfg-ops', [['cleanup.policy', APPEND, 'compact']])).errorCode, ErrorCode.NONE);
  assert.equal((await describe(TOPIC, 'cfg-ops')).get('cleanup.policy').value, 'delete,compact');
  assert.equal((await alter(TOPIC, 'cfg-ops', { 'segment.bytes': '4096' })).errorCode, ErrorCode.NONE);
  const shown = await describe(TOPIC, 'cfg-ops');
  assert.equal(shown.get('segment.bytes').value, '4096');
  assert.equal(shown.get('retention.ms').configSource, ConfigSource.STATIC_BROKER_CONFIG, 'AlterConfigs dropped what it did not name');
  const notList = await incremental(TOPIC, 'cfg-ops', [['retention.ms', APPEND, '5']]);
  assert.equal(notList.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(notList.errorMessage, /retention.ms/);
  const badOp = await incremental(TOPIC, 'cfg-ops', [['retention.ms', 9, '5']]);
  assert.equal(badOp.errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal((await alter(TOPIC, 'nope', { 'retention.ms': '1' })).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('issue 12: broker configs: a small set changes at run time and is the default of topics without an override; the rest is read-only', async () => {
  assert.equal((await createTopic('cfg-broker', {})).errorCode, ErrorCode.NONE);
  const readOnly = await incremental(BROKER, '', [['num.partitions', SET, '3']]);
  assert.equal(readOnly.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(readOnly.errorMessage, /"num.partitions" is read-only/);
  assert.equal((await incremental(BROKER, '', [['log.retention.ms', SET, '120000']])).errorCode, ErrorCode.NONE);
  const topicView = (await describe(TOPIC, 'cfg-broker')).get('retention.ms');
  assert.deepEqual([topicView.value, topicView.configSource], ['120000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);
  assert.equal((await incremental(BROKER, String(node.services.nodeId), [['log.retention.ms', SET, '60000']])).errorCode, ErrorCode.NONE);
  const brokerView = await describe(BROKER, String(node.services.nodeId));
  assert.deepEqual(
    [brokerView.get('log.retention.ms').value, brokerView.get('log.retention.ms').configSource, brokerView.get('log.retention.ms').readOnly],
    ['60000', ConfigSource.DYNAMIC_BROKER_CONFIG, false],
  );
  assert.equal(brokerView.get('num.partitions').readOnly, true);
  assert.equal((await describe(TOPIC, 'cfg-broker')).get('retention.ms').value, '60000');
  // Back to the static value for the next tests.
  assert.equal((await incremental(BROKER, String(node.services.nodeId), [['log.retention.ms', DELETE, null]])).errorCode, ErrorCode.NONE);
  assert.equal((await incremental(BROKER, '', [['log.retention.ms', DELETE, null]])).errorCode, ErrorCode.NONE);
  assert.equal((await describe(TOPIC, 'cfg-broker')).get('retention.ms').configSource, ConfigSource.STATIC_BROKER_CONFIG);
});

test('issue 12: DescribeLogDirs lists the data dir with each partition size; DescribeProducers the idempotent producers', async () => {
  assert.equal((await createTopic('cfg-dirs', {})).errorCode, ErrorCode.NONE);
  const idempotent = buildRecordBatch({
    records: [
      { value: 'x', timestamp: 7_000 },
      { value: 'y', timestamp: 7_001 },
    ],
    producerId: 4242,
    producerEpoch: 3,
    baseSequence: 0,
  });
  assert.equal((await client.produce('cfg-dirs', 0, idempotent, -1)).errorCode, ErrorCode.NONE);
  const dirs = await client.request(api(ApiKey.DescribeLogDirs), 4, { topics: [{ topic: 'cfg-dirs', partitions: [0] }] });
  assert.equal(dirs.results.length, 1);
  assert.equal(dirs.results[0].logDir, node.services.dataDir);
  assert.deepEqual(dirs.results[0].topics, [
    { name: 'cfg-dirs', partitions: [{ partitionIndex: 0, partitionSize: idempotent.length, offsetLag: 0, isFutureKey: false }] },
  ]);
  assert.ok(dirs.results[0].totalBytes > 0);
  const all = await client.request(api(ApiKey.DescribeLogDirs), 1, { topics: null });
  assert.ok(all.results[0].topics.some((t: any) => t.name === 'cfg-seg'));
  const producers = await client.request(api(ApiKey.DescribeProducers), 0, { topics: [{ name: 'cfg-dirs', partitionIndexes: [0, 5] }] });
  const [p0, p5] = producers.topics[0].partitions;
  assert.equal(p0.errorCode, ErrorCode.NONE);
  assert.deepEqual(p0.activeProducers, [
    { producerId: 4242, producerEpoch: 3, lastSequence: 1, lastTimestamp: 7_001, coordinatorEpoch: -1, currentTxnStartOffset: -1 },
  ]);
  assert.equal(p5.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('issue 12: topic overrides and dynamic broker configs survive a restart (the node store saves the metadata with them)', async () => {
  assert.equal((await createTopic('cfg-restart', { 'retention.ms': '4242' })).errorCode, ErrorCode.NONE);
  assert.equal((await incremental(TOPIC, 'cfg-restart', [['message.timestamp.type', SET, 'LogAppendTime']])).errorCode, ErrorCode.NONE);
  assert.equal((await incremental(BROKER, '', [['log.retention.bytes', SET, '123456789']])).errorCode, ErrorCode.NONE);
  await broker.restart();
  ({ node, client } = broker);
  const shown = await describe(TOPIC, 'cfg-restart');
  assert.deepEqual([shown.get('retention.ms').value, shown.get('retention.ms').configSource], ['4242', ConfigSource.DYNAMIC_TOPIC_CONFIG]);
  assert.equal(shown.get('message.timestamp.type').value, 'LogAppendTime');
  assert.deepEqual([shown.get('retention.bytes').value, shown.get('retention.bytes').configSource], ['123456789', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);
  assert.ok((await client.produce('cfg-restart', 0, batch(1, 1_000), -1)).logAppendTimeMs > 1_000);
});

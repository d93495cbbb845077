import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigSource,
  describeTopicConfigs,
  effectiveTopicConfig,
  resolveTopicConfig,
  topicConfigNames,
  topicConfigProblem,
  topicConfigSpec,
} from '../../../src/metadata/topic-configs.ts';

const defaults = { retentionMs: 1000, retentionBytes: -1, segmentBytes: 1 << 20, maxMessageBytes: 1000 };

// issue 12: every topic config Kafka 3.7 documents is accepted (the list of TopicConfig / LogConfig).
const KAFKA_37_TOPIC_CONFIGS = [
  'cleanup.policy',
  'compression.type',
  'delete.retention.ms',
  'file.delete.delay.ms',
  'flush.messages',
  'flush.ms',
  'follower.replication.throttled.replicas',
  'index.interval.bytes',
  'leader.replication.throttled.replicas',
  'local.retention.bytes',
  'local.retention.ms',
  'max.compaction.lag.ms',
  'max.message.bytes',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.after.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.difference.max.ms',
  'message.timestamp.type',
  'min.cleanable.dirty.ratio',
  'min.compaction.lag.ms',
  'min.insync.replicas',
  'preallocate',
  'remote.storage.enable',
  'retention.bytes',
  'retention.ms',
  'segment.bytes',
  'segment.index.bytes',
  'segment.jitter.ms',
  'segment.ms',
  'unclean.leader.election.enable',
];

test('issue 12: the table holds every Kafka 3.7 topic config, and each default is a valid value of its own', () => {
  assert.deepEqual([...topicConfigNames], [...KAFKA_37_TOPIC_CONFIGS].sort());
  for (const name of topicConfigNames) {
    const spec = topicConfigSpec(name)!;
    assert.equal(topicConfigProblem(name, spec.kafkaDefault), null, name);
  }
});

test('issue 12: INVALID_CONFIG only for an unknown name or a bad value, and the message names the config', () => {
  const accepted: Array<[string, string]> = [
    ['compression.type', 'zstd'],
    ['compression.type', 'producer'],
    ['min.insync.replicas', '2'],
    ['message.timestamp.type', 'LogAppendTime'],
    ['message.timestamp.difference.max.ms', '3600000'],
    ['max.message.bytes', '2000000'],
    ['cleanup.policy', 'compact'],
    ['cleanup.policy', 'compact,delete'],
    ['retention.ms', '-1'],
    ['segment.bytes', '1048576'],
    ['unclean.leader.election.enable', 'TRUE'],
    ['min.cleanable.dirty.ratio', '0.25'],
    ['leader.replication.throttled.replicas', '0:1,1:2'],
    ['flush.messages', '9223372036854775807'],
    ['message.format.version', '2.8-IV1'],
  ];
  for (const [name, value] of accepted) assert.equal(topicConfigProblem(name, value), null, `${name}=${value}`);
  const refused: Array<[string, string | null, RegExp]> = [
    ['compresion.type', 'zstd', /unknown topic config "compresion.type"/],
    ['compression.type', 'brotli', /"compression.type" must be one of/],
    ['min.insync.replicas', '0', /"min.insync.replicas" must be at least 1/],
    ['message.timestamp.type', 'logappendtime', /"message.timestamp.type" must be one of CreateTime, LogAppendTime/],
    ['retention.ms', 'soon', /"retention.ms" must be an integer/],
    ['retention.ms', '-2', /"retention.ms" must be at least -1/],
    ['max.message.bytes', '4294967296', /"max.message.bytes" must fit in a 32-bit integer/],
    ['flush.ms', '9223372036854775808', /"flush.ms" must fit in a 64-bit integer/],
    ['cleanup.policy', 'compact,archive', /"cleanup.policy" must be a list/],
    ['unclean.leader.election.enable', 'yes', /must be true or false/],
    ['min.cleanable.dirty.ratio', '1.5', /between 0 and 1/],
    ['segment.bytes', '14', /"segment.bytes" must be at least 1024/],
    ['leader.replication.throttled.replicas', 'all', /partitionId:brokerId/],
    ['segment.bytes', null, /needs a value/],
  ];
  for (const [name, value, message] of refused) assert.match(topicConfigProblem(name, value) ?? 'accepted', message, `${name}=${value}`);
});

test('issue 12: each value shows its source: topic override, dynamic broker, dynamic default, static broker, Kafka default', () => {
  const dynamic = { node: { 'log.segment.bytes': '4096' }, cluster: { 'log.segment.bytes': '8192', 'min.insync.replicas': '2' } };
  const retention = resolveTopicConfig('retention.ms', { 'retention.ms': '5' }, dynamic, defaults);
  assert.equal(retention.value, '5');
  assert.equal(retention.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.deepEqual(retention.synonyms, [
    { name: 'retention.ms', value: '5', source: ConfigSource.DYNAMIC_TOPIC_CONFIG },
    { name: 'log.retention.ms', value: '1000', source: ConfigSource.STATIC_BROKER_CONFIG },
    { name: 'log.retention.ms', value: '604800000', source: ConfigSource.DEFAULT_CONFIG },
  ]);
  const segment = resolveTopicConfig('segment.bytes', {}, dynamic, defaults);
  assert.equal(segment.value, '4096');
  assert.equal(segment.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.deepEqual(
    segment.synonyms.map((s) => s.source),
    [ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG],
  );
  assert.equal(resolveTopicConfig('min.insync.replicas', {}, dynamic, defaults).source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  const compression = resolveTopicConfig('compression.type', {}, dynamic, defaults);
  assert.deepEqual([compression.value, compression.source], ['producer', ConfigSource.DEFAULT_CONFIG]);
  assert.equal(describeTopicConfigs({}, defaults).length, KAFKA_37_TOPIC_CONFIGS.length);
});

test('issue 12: the effective config carries what is honoured', () => {
  const plain = effectiveTopicConfig({}, defaults);
  assert.deepEqual(plain, {
    retentionMs: 1000,
    retentionBytes: -1,
    segmentBytes: 1 << 20,
    segmentMs: 604_800_000,
    indexIntervalBytes: 4096,
    maxMessageBytes: 1000,
    minInsyncReplicas: 1,
    logAppendTime: false,
    timestampBeforeMaxMs: Infinity,
    timestampAfterMaxMs: Infinity,
  });
  const set = effectiveTopicConfig(
    {
      'retention.ms': '5',
      'message.timestamp.type': 'LogAppendTime',
      'min.insync.replicas': '2',
      'message.timestamp.difference.max.ms': '100',
      'message.timestamp.after.max.ms': '7',
    },
    defaults,
  );
  assert.equal(set.retentionMs, 5);
  assert.equal(set.logAppendTime, true);
  assert.equal(set.minInsyncReplicas, 2);
  // Kafka 3.7 (KIP-937): before/after.max.ms when set, else difference.max.ms.
  assert.equal(set.timestampBeforeMaxMs, 100);
  assert.equal(set.timestampAfterMaxMs, 7);
  // A policy without delete keeps every segment, as Kafka's compact-only topics.
  const compact = effectiveTopicConfig({ 'cleanup.policy': 'compact', 'retention.ms': '5', 'retention.bytes': '10' }, defaults);
  assert.deepEqual([compact.retentionMs, compact.retentionBytes], [-1, -1]);
  assert.equal(effectiveTopicConfig({ 'cleanup.policy': 'compact,delete', 'retention.ms': '5' }, defaults).retentionMs, 5);
  // A dynamic broker default applies to a topic without its own override.
  assert.equal(effectiveTopicConfig({}, defaults, { node: {}, cluster: { 'log.retention.ms': '77' } }).retentionMs, 77);
});

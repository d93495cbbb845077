import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, type MetadataCommand, type TopicRecord } from '../../../src/metadata/metadata-state.ts';
import { applyConfigOps, brokerConfigProblem, describeBrokerConfigs, DYNAMIC_BROKER_CONFIGS } from '../../../src/metadata/config-changes.ts';
import { ConfigSource } from '../../../src/metadata/topic-configs.ts';

const topicResource = { type: 'topic' as const, name: 't' };

function topic(name: string, configs: Record<string, string> = {}): TopicRecord {
  return { name, topicId: 'a'.repeat(32), partitionCount: 1, replicationFactor: 1, configs, assignments: [[1]], createdAtMs: 0 };
}

test('issue 12: IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT change only what they name', () => {
  const current = { 'retention.ms': '5', 'cleanup.policy': 'delete', 'segment.bytes': '2048' };
  const r = applyConfigOps(
    topicResource,
    current,
    [
      { name: 'retention.ms', op: 'set', value: ' 60000 ' },
      { name: 'segment.bytes', op: 'delete', value: null },
      { name: 'cleanup.policy', op: 'append', value: 'compact' },
      { name: 'leader.replication.throttled.replicas', op: 'append', value: '0:1,1:2' },
    ],
    false,
  );
  assert.deepEqual(r, {
    ok: true,
    configs: { 'retention.ms': '60000', 'cleanup.policy': 'delete,compact', 'leader.replication.throttled.replicas': '0:1,1:2' },
  });
  const sub = applyConfigOps(topicResource, { 'cleanup.policy': 'delete,compact' }, [{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }], false);
  assert.deepEqual(sub, { ok: true, configs: { 'cleanup.policy': 'compact' } });
  // APPEND to a config without an override starts from Kafka's default, as Kafka does.
  const fromDefault = applyConfigOps(topicResource, {}, [{ name: 'cleanup.policy', op: 'append', value: 'compact' }], false);
  assert.deepEqual(fromDefault, { ok: true, configs: { 'cleanup.policy': 'delete,compact' } });
  // The input is never changed in place (the metadata keeps the old record as a cache key).
  assert.equal(current['retention.ms'], '5');
});

test('issue 12: AlterConfigs replaces the whole set; a refused change changes nothing and names the config', () => {
  assert.deepEqual(applyConfigOps(topicResource, { 'retention.ms': '5' }, [{ name: 'segment.bytes', op: 'set', value: '4096' }], true), {
    ok: true,
    configs: { 'segment.bytes': '4096' },
  });
  const cases: Array<[Parameters<typeof applyConfigOps>[2], RegExp]> = [
    [[{ name: 'retention.ms', op: 'append', value: '5' }], /"retention.ms" is not a list; APPEND/],
    [[{ name: 'nope', op: 'delete', value: null }], /unknown topic config "nope"/],
    [[{ name: 'min.insync.replicas', op: 'set', value: '0' }], /"min.insync.replicas" must be at least 1/],
    [
      [
        { name: 'retention.ms', op: 'set', value: '1' },
        { name: 'retention.ms', op: 'set', value: '2' },
      ],
      /appears more than once/,
    ],
    [[{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }], /"cleanup.policy" must be a list/],
  ];
  for (const [ops, message] of cases) {
    const r = applyConfigOps(topicResource, {}, ops, false);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', message);
  }
});

test('issue 12: only the defaults of honoured topic configs change at run time; other broker configs are read-only', () => {
  assert.deepEqual([...DYNAMIC_BROKER_CONFIGS.keys()].sort(), [
    'log.cleanup.policy',
    'log.index.interval.bytes',
    'log.message.timestamp.after.max.ms',
    'log.message.timestamp.before.max.ms',
    'log.message.timestamp.difference.max.ms',
    'log.message.timestamp.type',
    'log.retention.bytes',
    'log.retention.ms',
    'log.roll.ms',
    'log.segment.bytes',
    'message.max.bytes',
    'min.insync.replicas',
  ]);
  assert.equal(brokerConfigProblem('log.retention.ms', '60000'), null);
  assert.match(brokerConfigProblem('num.partitions', '3')!, /broker config "num.partitions" is read-only/);
  assert.match(brokerConfigProblem('log.retention.ms', 'x')!, /"log.retention.ms" must be an integer/);
  const view = describeBrokerConfigs('1', { 'num.partitions': '1', 'log.retention.ms': '1000' }, { node: {}, cluster: { 'log.retention.ms': '9' } });
  const retention = view.find((e) => e.name === 'log.retention.ms')!;
  assert.deepEqual([retention.value, retention.source, retention.readOnly], ['9', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, false]);
  const partitions = view.find((e) => e.name === 'num.partitions')!;
  assert.deepEqual([partitions.value, partitions.source, partitions.readOnly], ['1', ConfigSource.STATIC_BROKER_CONFIG, true]);
  assert.deepEqual(
    describeBrokerConfigs('', {}, { node: {}, cluster: { 'log.retention.ms': '9' } }).map((e) => e.name),
    ['log.retention.ms'],
  );
});

test('issue 12: the alterConfigs metadata command applies the same everywhere, survives a snapshot, and refuses bad input', () => {
  const commands: MetadataCommand[] = [
    { type: 'createTopic', topic: topic('t', { 'retention.ms': '5' }) },
    { type: 'alterConfigs', resource: topicResource, replace: false, ops: [{ name: 'min.insync.replicas', op: 'set', value: '2' }] },
    { type: 'alterConfigs', resource: { type: 'broker', name: '' }, replace: false, ops: [{ name: 'log.retention.ms', op: 'set', value: '100' }] },
    { type: 'alterConfigs', resource: { type: 'broker', name: '2' }, replace: true, ops: [{ name: 'log.segment.bytes', op: 'set', value: '4096' }] },
  ];
  const a = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  const b = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const command of commands) {
    assert.deepEqual(a.apply(command), { ok: true });
    b.apply(structuredClone(command));
  }
  assert.deepEqual(a.snapshot(), b.snapshot());
  assert.deepEqual(a.topic('t')!.configs, { 'retention.ms': '5', 'min.insync.replicas': '2' });
  assert.deepEqual(a.dynamicBrokerConfigs(2), { node: { 'log.segment.bytes': '4096' }, cluster: { 'log.retention.ms': '100' } });
  assert.deepEqual(a.dynamicBrokerConfigs(1).node, {});
  const restored = new MetadataState(JSON.parse(a.snapshotJson()));
  assert.deepEqual(restored.snapshot(), a.snapshot());

  const before = a.snapshotJson();
  const refusals: Array<[MetadataCommand, string]> = [
    [{ type: 'alterConfigs', resource: topicResource, replace: false, ops: [{ name: 'retention.ms', op: 'set', value: 'x' }] }, 'INVALID_CONFIG'],
    [{ type: 'alterConfigs', resource: { type: 'topic', name: 'gone' }, replace: false, ops: [] }, 'UNKNOWN_TOPIC_OR_PARTITION'],
    [{ type: 'alterConfigs', resource: { type: 'broker', name: 'b1' }, replace: false, ops: [] }, 'INVALID_REQUEST'],
    [
      { type: 'alterConfigs', resource: { type: 'broker', name: '' }, replace: false, ops: [{ name: 'num.partitions', op: 'set', value: '3' }] },
      'INVALID_CONFIG',
    ],
    [{ type: 'alterConfigs', resource: { type: 'group', name: 'x' }, replace: false, ops: [] } as unknown as MetadataCommand, 'INVALID_REQUEST'],
    [{ type: 'alterConfigs', resource: topicResource, replace: false, ops: null } as unknown as MetadataCommand, 'INVALID_REQUEST'],
  ];
  for (const [command, error] of refusals) {
    const r = a.apply(command);
    assert.equal(!r.ok && r.error, error, JSON.stringify(command));
  }
  assert.equal(a.snapshotJson(), before);
  // Deleting the last dynamic config of a broker leaves no empty record behind.
  a.apply({ type: 'alterConfigs', resource: { type: 'broker', name: '2' }, replace: false, ops: [{ name: 'log.segment.bytes', op: 'delete', value: null }] });
  assert.equal(JSON.parse(a.snapshotJson()).brokerConfigs['2'], undefined);
});

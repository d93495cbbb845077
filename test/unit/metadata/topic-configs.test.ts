import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTopicConfigs, effectiveTopicConfig, topicConfigProblem } from '../../../src/metadata/topic-configs.ts';

const defaults = { retentionMs: 1000, retentionBytes: -1, segmentBytes: 1 << 20, maxMessageBytes: 1000 };

test('supported topic configs are validated; unsupported ones are refused, not ignored', () => {
  assert.equal(topicConfigProblem('retention.ms', '-1'), null);
  assert.equal(topicConfigProblem('retention.ms', '60000'), null);
  assert.match(topicConfigProblem('retention.ms', 'soon')!, /integer/);
  assert.match(topicConfigProblem('cleanup.policy', 'compact')!, /compaction is not implemented/);
  assert.match(topicConfigProblem('min.cleanable.dirty.ratio', '0.5')!, /unsupported topic config/);
  assert.match(topicConfigProblem('segment.bytes', null)!, /needs a value/);
});

test('overrides win over broker defaults', () => {
  const effective = effectiveTopicConfig({ 'retention.ms': '5' }, defaults);
  assert.equal(effective.retentionMs, 5);
  assert.equal(effective.segmentBytes, 1 << 20);
  const view = describeTopicConfigs({ 'retention.ms': '5' }, defaults);
  const retention = view.find((e) => e.name === 'retention.ms')!;
  assert.equal(retention.value, '5');
  assert.equal(retention.isDefault, false);
  assert.equal(view.find((e) => e.name === 'segment.bytes')!.isDefault, true);
});

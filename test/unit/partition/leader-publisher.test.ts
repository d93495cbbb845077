// Issue 11: the LeaderPublisher proposes, per window, one publishLeaders command with the
// partitions led here that the applied metadata lacks: bounded in size, one in flight, made again
// from the state when a proposal is lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LeaderPublisher, leadersToPublish, type LedPartition } from '../../../src/partition/leader-publisher.ts';
import { MetadataState, type ApplyResult, type MetadataCommand } from '../../../src/metadata/metadata-state.ts';

const ID = 'c'.repeat(32);
const silent = pino({ level: 'silent' });

function state(partitions: number): MetadataState {
  const s = new MetadataState({ clusterId: 'k', brokers: [], topics: [] });
  s.apply({
    type: 'createTopic',
    topic: {
      name: 't',
      topicId: ID,
      partitionCount: partitions,
      replicationFactor: 1,
      configs: {},
      assignments: Array.from({ length: partitions }, () => [1]),
      createdAtMs: 0,
    },
  });
  return s;
}

function led(partitions: number, epoch: number, topicId = ID): LedPartition[] {
  return Array.from({ length: partitions }, (_, index) => ({ topic: 't', index, topicId, leaderEpoch: epoch }));
}

test('issue 11: leadersToPublish names only what the state lacks or records with an older epoch, at most max', () => {
  const s = state(5);
  s.apply({
    type: 'publishLeaders',
    leaders: [
      { topicId: ID, partition: 0, leaderId: 1, leaderEpoch: 4 },
      { topicId: ID, partition: 1, leaderId: 2, leaderEpoch: 9 },
    ],
  });
  const out = leadersToPublish(led(5, 4), s, 1, 10);
  // 0: already recorded at this epoch; 1: a newer leader is recorded (this one's leadership is over).
  assert.deepEqual(
    out.map((p) => p.partition),
    [2, 3, 4],
  );
  assert.deepEqual(out[0], { topicId: ID, partition: 2, leaderId: 1, leaderEpoch: 4 });
  assert.equal(leadersToPublish(led(5, 4), s, 1, 2).length, 2, 'bounded by max');
  assert.deepEqual(leadersToPublish(led(5, 4, 'd'.repeat(32)), s, 1, 10), [], 'another incarnation of the topic: nothing');
});

test('issue 11: one command per window, one in flight; a lost proposal is made again from the state', async () => {
  const s = state(5);
  const proposed: MetadataCommand[] = [];
  let answer: (r: ApplyResult | Error) => void = () => undefined;
  const publisher = new LeaderPublisher({
    nodeId: 1,
    led: () => led(5, 3),
    state: () => s,
    propose: (command) => {
      proposed.push(command);
      return new Promise((resolve, reject) => (answer = (r) => (r instanceof Error ? reject(r) : resolve(r))));
    },
    batchMax: 3,
    logger: silent,
  });
  publisher.tick();
  publisher.tick(); // still in flight: nothing new
  assert.equal(proposed.length, 1);
  assert.equal(proposed[0].type === 'publishLeaders' && proposed[0].leaders.length, 3, 'bounded by batchMax');
  answer(new Error('no controller')); // lost: not applied
  await new Promise((r) => setImmediate(r));
  publisher.tick();
  assert.equal(proposed.length, 2, 'proposed again');
  assert.deepEqual(proposed[1], proposed[0]);
  // This time it applies (as the metadata group would before resolving).
  s.apply(proposed[1]);
  answer({ ok: true });
  await new Promise((r) => setImmediate(r));
  publisher.tick();
  assert.equal(proposed.length, 3);
  assert.deepEqual(proposed[2].type === 'publishLeaders' && proposed[2].leaders.map((p) => p.partition), [3, 4], 'the rest');
  s.apply(proposed[2]);
  answer({ ok: true });
  await new Promise((r) => setImmediate(r));
  publisher.tick();
  assert.equal(proposed.length, 3, 'nothing left to publish');
  assert.equal(publisher.proposed, 3);
});

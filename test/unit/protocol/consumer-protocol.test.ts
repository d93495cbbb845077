// issue 13: the "consumer" embedded protocol, as Kafka's ConsumerProtocolSubscription and
// ConsumerProtocolAssignment (versions 0-3, an INT16 version then the message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssignerProtocol } from 'kafkajs';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../src/protocol/consumer-protocol.ts';
import { DecodeError } from '../../../src/protocol/primitives.ts';

test('a v0 subscription has the bytes Kafka writes: version, topics, user data (null is length -1)', () => {
  const buf = encodeSubscription({ topics: ['a', 'bc'] }, 0);
  assert.deepEqual([...buf], [0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 2, 0x62, 0x63, 0xff, 0xff, 0xff, 0xff]);
});

test('every version round-trips what it carries (owned partitions v1+, generation v2+, rack v3+)', () => {
  const value = { topics: ['t1', 't2'], userData: Buffer.from('u'), ownedPartitions: [{ topic: 't1', partitions: [0, 2] }], generationId: 7, rackId: 'r1' };
  const expect = [
    { topics: ['t1', 't2'], userData: Buffer.from('u'), ownedPartitions: [], generationId: -1, rackId: null, version: 0 },
    { topics: ['t1', 't2'], userData: Buffer.from('u'), ownedPartitions: value.ownedPartitions, generationId: -1, rackId: null, version: 1 },
    { topics: ['t1', 't2'], userData: Buffer.from('u'), ownedPartitions: value.ownedPartitions, generationId: 7, rackId: null, version: 2 },
    { ...value, version: 3 },
  ];
  for (let v = 0; v <= 3; v++) assert.deepEqual(decodeSubscription(encodeSubscription(value, v)), expect[v], `v${v}`);
  for (let v = 0; v <= 3; v++) {
    const a = { assignedPartitions: [{ topic: 'x', partitions: [3, 1] }], userData: null };
    assert.deepEqual(decodeAssignment(encodeAssignment(a, v)), { ...a, version: v });
  }
});

test('a newer version than 3 is read as v3 and its extra fields ignored (Kafka: versions only append)', () => {
  const v3 = encodeSubscription({ topics: ['t'], rackId: 'r' }, 3);
  const v4 = Buffer.concat([Buffer.from([0, 4]), v3.subarray(2), Buffer.from([1, 2, 3])]);
  const got = decodeSubscription(v4);
  assert.deepEqual(got.topics, ['t']);
  assert.equal(got.rackId, 'r');
});

test('KafkaJS reads ours and we read KafkaJS: subscription and assignment', () => {
  const ours = AssignerProtocol.MemberMetadata.decode(encodeSubscription({ topics: ['a', 'b'], ownedPartitions: [{ topic: 'a', partitions: [1] }] }, 1));
  assert.deepEqual(ours?.topics, ['a', 'b']);
  const theirs = decodeSubscription(AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['q'], userData: Buffer.alloc(0) }));
  assert.deepEqual(theirs.topics, ['q']);
  const theirAssignment = decodeAssignment(AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { q: [0, 2] }, userData: Buffer.alloc(0) }));
  assert.deepEqual(theirAssignment.assignedPartitions, [{ topic: 'q', partitions: [0, 2] }]);
  const ourAssignment = AssignerProtocol.MemberAssignment.decode(encodeAssignment({ assignedPartitions: [{ topic: 'q', partitions: [1, 3] }] }));
  assert.deepEqual(ourAssignment?.assignment, { q: [1, 3] });
});

test('an empty SyncGroup assignment is the empty assignment; bad bytes throw DecodeError, never crash', () => {
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)).assignedPartitions, []);
  assert.throws(() => decodeSubscription(Buffer.from([0xff, 0xff])), DecodeError);
  assert.throws(() => decodeSubscription(Buffer.from([0, 0, 0, 0, 0, 9])), DecodeError);
  assert.throws(() => decodeAssignment(Buffer.from([0, 1, 0x7f, 0, 0, 0])), DecodeError);
});

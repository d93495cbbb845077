// GET /v1/groups/:group shows which partitions each member reads, decoded from the consumer
// protocol's assignment (src/http/consumer-assignment.ts, over the protocol codec); what it cannot read shows as none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerAssignment } from '../../../src/http/consumer-assignment.ts';

/** ConsumerProtocolAssignment v0: version, [topic, [partition]], user_data. */
function encode(topics: Array<[string, number[]]>): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), int32(topics.length)];
  for (const [name, partitions] of topics) {
    const n = Buffer.from(name);
    parts.push(Buffer.from([n.length >> 8, n.length & 0xff]), n, int32(partitions.length), ...partitions.map(int32));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

test('issue 14: an assignment decodes to its topics and partitions', () => {
  assert.deepEqual(
    consumerAssignment(
      encode([
        ['orders', [0, 2]],
        ['audit', [1]],
      ]),
    ),
    [
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'audit', partitions: [1] },
    ],
  );
});

test('issue 14: empty, truncated or nonsense assignments show no partitions instead of failing', () => {
  assert.deepEqual(consumerAssignment(Buffer.alloc(0)), []);
  const whole = encode([['orders', [0, 1, 2]]]);
  for (let cut = 1; cut < whole.length - 4; cut++) assert.deepEqual(consumerAssignment(whole.subarray(0, cut)), [], `cut at ${cut}`);
  assert.deepEqual(consumerAssignment(Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff])), []);
});

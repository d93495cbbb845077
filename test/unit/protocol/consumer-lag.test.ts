import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerLag } from '../../../src/protocol/consumer-lag.ts';

// kafka-consumer-groups.sh: LAG = LOG-END-OFFSET - CURRENT-OFFSET, "-" without a committed offset.
test('lag is the high watermark minus the committed offset, never negative', () => {
  assert.equal(consumerLag(10, 4), 6);
  assert.equal(consumerLag(10, 10), 0);
  assert.equal(consumerLag(3, 10), 0); // committed ahead of a truncated log
});

test('lag is unknown without a committed offset (OffsetFetch answers -1) or without a known end', () => {
  assert.equal(consumerLag(10, -1), null);
  assert.equal(consumerLag(null, 4), null);
  assert.equal(consumerLag(undefined, 4), null);
  assert.equal(consumerLag(-1, 4), null);
});

// issue 11 (join): the peer set is dynamic. setPeers (the registered brokers' Raft addresses)
// adds, moves and removes configured peers; a peer known only from a seed connection is
// transient: setPeers does not remove it, and naming it makes it configured without a "move"
// (its connection stays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerRegistry } from '../../../src/transport/tcp-peers.ts';

test("configured peers: added, moved, removed; this node's own id is ignored", () => {
  const r = new PeerRegistry(1);
  let c = r.update(
    new Map([
      [1, 'h:1'],
      [2, 'h:2'],
      [3, 'h:3'],
    ]),
  );
  assert.deepEqual(
    c.added.map((p) => p.id),
    [2, 3],
  );
  c = r.update(new Map([[2, 'h:22']]));
  assert.deepEqual([c.added.length, c.moved.map((p) => p.id), c.removed.map((p) => p.id)], [0, [2], [3]]);
  assert.equal(r.get(2)?.address, 'h:22');
});

test('a transient peer survives setPeers that does not name it, and becomes configured (added, not moved) when named', () => {
  const r = new PeerRegistry(1);
  r.update(new Map([[2, 'h:2']]));
  const joiner = r.addTransient(4, '');
  assert.equal(joiner.configured, false);
  assert.equal(joiner.address, '');
  let c = r.update(new Map([[2, 'h:2']]));
  assert.deepEqual([c.added.length, c.moved.length, c.removed.length], [0, 0, 0]);
  assert.equal(r.get(4), joiner);
  c = r.update(
    new Map([
      [2, 'h:2'],
      [4, 'h:4'],
    ]),
  );
  assert.deepEqual(
    c.added.map((p) => p.id),
    [4],
  );
  assert.deepEqual(c.moved, []);
  assert.equal(r.get(4), joiner, 'the same record, so its connection stays');
  assert.equal(joiner.configured, true);
  assert.equal(joiner.address, 'h:4');
  // Configured now, it is removed like any other peer.
  c = r.update(new Map([[2, 'h:2']]));
  assert.deepEqual(
    c.removed.map((p) => p.id),
    [4],
  );
});

test('a transient peer found at a seed address keeps that address to report; bad ids are refused', () => {
  const r = new PeerRegistry(1);
  const seed = r.addTransient(3, '127.0.0.1:9300');
  assert.deepEqual([seed.host, seed.port], ['127.0.0.1', 9300]);
  assert.equal(r.status().find((s) => s.nodeId === 3)?.address, '127.0.0.1:9300');
  assert.throws(() => r.addTransient(0, ''), RangeError);
});

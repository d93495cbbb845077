// A proposer recognises its own metadata proposals by their envelope id when it applies them.
// An entry proposed before a restart can commit after it, so ids must not repeat across restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { RaftNode } from '../../../src/raft/index.ts';
import type { Entry } from '../../../src/raft/types.ts';
import { MetadataGroup } from '../../../src/controller/metadata-group.ts';
import type { ApplyResult } from '../../../src/metadata/metadata-state.ts';

const silent = pino({ level: 'silent' });

/** The part of a follower's RaftNode that propose() uses: forwarding keeps the entry data. */
function forwardingNode(forwarded: Uint8Array[]): RaftNode {
  const node = {
    status: () => ({ commit: 0 }),
    forwardProposal: (datas: readonly Uint8Array[]) => {
      forwarded.push(...datas);
      return { ok: true, forwarded: true };
    },
  };
  return node as unknown as RaftNode;
}

/** A broker's metadata group (started empty: no snapshot, nothing committed yet). */
function startGroup(forwarded: Uint8Array[]): MetadataGroup {
  const group = new MetadataGroup({
    nodeId: 2,
    clusterId: 'test-cluster',
    snapshot: { index: 0, term: 0, confState: { voters: [], learners: [] }, data: new Uint8Array(0) },
    logger: silent,
    proposalTimeoutMs: 60_000,
    kick: () => {},
  });
  group.attach(forwardingNode(forwarded));
  return group;
}

test('a proposal forwarded before a restart that commits after it does not answer a proposal of the restarted broker (issue 9 item 7)', async () => {
  const forwarded: Uint8Array[] = [];
  const before = startGroup(forwarded);
  // Forwarded to the controller; the broker is killed before the entry commits.
  const lost = before.propose({ type: 'deleteTopic', name: 'no-such-topic' });
  lost.catch(() => {});
  const oldEntry = forwarded[0]!;

  const after = startGroup(forwarded);
  const mine = after.propose({
    type: 'createTopic',
    topic: { name: 'orders', topicId: '0'.repeat(32), partitionCount: 1, replicationFactor: 1, configs: {}, assignments: [[2]], createdAtMs: 0 },
  });
  let answer: ApplyResult | undefined;
  void mine.then((r) => (answer = r));
  const newEntry = forwarded[1]!;

  // The controller commits the old entry first; the restarted broker applies it.
  const entry = (index: number, data: Uint8Array): Entry => ({ index, term: 1, type: 'normal', data });
  after.apply(entry(1, oldEntry));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(answer, undefined, "the old proposal's result (UNKNOWN_TOPIC_OR_PARTITION) must not answer the new caller");
  after.apply(entry(2, newEntry));
  assert.deepEqual(await mine, { ok: true });
  assert.ok(after.state.topic('orders'));
  // End the pre-restart proposal's timer: a controller change rejects what is still pending.
  after.onLeaderChange(1);
  after.onLeaderChange(3);
  before.onLeaderChange(1);
  before.onLeaderChange(3);
});

// How often the host runs a Ready round (issue 10's simulator speed): a message that leaves the
// group with nothing to do schedules no round, and one that does still gets its round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { RaftNode, Rng } from '../../../src/raft/index.ts';
import { newMessage } from '../../../src/raft/message.ts';
import type { Message } from '../../../src/raft/types.ts';
import { RaftLogStorage } from '../../../src/partition/raft-log-storage.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import type { MessageHandler, PeerTransport } from '../../../src/transport/types.ts';

const group = 'orders-0';

/** A transport the test delivers to by hand; what the host sends is kept. */
class HandTransport implements PeerTransport {
  readonly nodeId = 1;
  handler: MessageHandler | null = null;
  readonly sent: Message[] = [];
  send(_to: number, _group: string, msg: Message): void {
    this.sent.push(msg);
  }
  flush(): void {}
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }
  onPeerIdentity(): void {}
  setPeers(): void {}
  peerStatus() {
    return [];
  }
  async close(): Promise<void> {}
}

async function follower(): Promise<{ host: RaftHost; node: RaftNode; transport: HandTransport }> {
  const storage = RaftLogStorage.inMemory('disk-1');
  storage.bootstrap({ voters: [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` })), learners: [] });
  const node = new RaftNode({ id: 1, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(1));
  const transport = new HandTransport();
  const host = new RaftHost({ nodeId: 1, transport, logger: pino({ level: 'silent' }), tickMs: 5 });
  host.addGroup(group, node, storage, { apply() {} });
  await host.idle();
  return { host, node, transport };
}

test('a message that leaves no Ready schedules no round; one that does is answered (RaftHost.receive)', async () => {
  const { host, node, transport } = await follower();
  assert.equal(host.busy, false);
  // A stale heartbeat answer at a follower changes nothing (Raft §5.1: a follower ignores it).
  transport.handler!(2, group, newMessage('hbResp', 2, 1, node.status().term));
  assert.equal(node.hasReady(), false);
  assert.equal(host.busy, false, 'no round for a message that left nothing to do');
  // A leader's heartbeat of a newer term is answered: its round runs and sends the answer.
  const hb = newMessage('hb', 2, 1, node.status().term + 1);
  hb.storageId = 'disk-2';
  hb.toStorageId = 'disk-1';
  transport.handler!(2, group, hb);
  assert.equal(host.busy, true);
  await host.idle();
  assert.deepEqual(
    transport.sent.map((m) => [m.type, m.to, m.term]),
    [['hbResp', 2, hb.term]],
  );
});

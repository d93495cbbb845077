// When a leader's messages may leave before its own fsync (the early send of round()): only
// when the term they carry is already durable here. Driven with a transport that records every
// message together with the hard state that was durable when it was sent, and a storage whose
// sync() the test releases by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryStorage, RaftNode, Rng } from '../../../src/raft/index.ts';
import { newMessage } from '../../../src/raft/message.ts';
import type { ConfState, Entry, HardState, Message } from '../../../src/raft/types.ts';
import type { MessageHandler, PeerStatus, PeerTransport } from '../../../src/transport/types.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';

const silent = pino({ level: 'silent' });
const group = 'g';

/** A MemoryStorage whose sync() waits until the test releases it; tracks what is durable. */
class GatedStorage extends MemoryStorage {
  durable: HardState;
  syncCalls = 0;
  private written: HardState;
  private gates: Array<() => void> = [];

  constructor(storageId: string, confState: ConfState) {
    super(storageId);
    this.bootstrap(confState);
    this.durable = this.getHardState();
    this.written = this.durable;
  }

  override setHardState(hs: HardState): void {
    super.setHardState(hs);
    this.written = { ...hs };
  }

  sync(): Promise<void> {
    this.syncCalls++;
    const target = this.written;
    return new Promise((resolve) =>
      this.gates.push(() => {
        this.durable = target;
        resolve();
      }),
    );
  }

  /** Completes every sync() started so far; returns how many there were. */
  release(): number {
    const gates = this.gates;
    this.gates = [];
    for (const open of gates) open();
    return gates.length;
  }
}

interface Sent {
  msg: Message;
  /** The storage's durable term when the message was handed to the transport. */
  durableTerm: number;
}

class RecordingTransport implements PeerTransport {
  readonly nodeId: number;
  readonly sent: Sent[] = [];
  handler: MessageHandler | null = null;
  constructor(
    nodeId: number,
    private readonly storage: GatedStorage,
  ) {
    this.nodeId = nodeId;
  }
  send(_to: number, _group: string, msg: Message): void {
    this.sent.push({ msg, durableTerm: this.storage.durable.term });
  }
  flush(): void {}
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }
  onPeerIdentity(): void {}
  setPeers(): void {}
  peerStatus(): PeerStatus[] {
    return [];
  }
  async close(): Promise<void> {}
}

function setup(confState: ConfState): { host: RaftHost; node: RaftNode; storage: GatedStorage; transport: RecordingTransport } {
  const storage = new GatedStorage('disk-1', confState);
  const node = new RaftNode({ id: 1, electionTicks: 10, heartbeatTicks: 1 }, storage, new Rng(1));
  const transport = new RecordingTransport(1, storage);
  const host = new RaftHost({ nodeId: 1, transport, logger: silent, tickMs: 5 });
  host.addGroup(group, node, storage, { apply(_e: Entry) {} });
  return { host, node, storage, transport };
}

/** Lets the host's microtask loop run until it waits on a sync (or has nothing to do). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Releases syncs until the host is idle; bounded. */
async function drain(host: RaftHost, storage: GatedStorage): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await settle();
    if (storage.release() === 0) {
      await host.idle();
      await settle();
      if (storage.release() === 0) return;
    }
  }
  assert.fail('host did not go idle within 50 sync rounds');
}

test('a one-voter leader that won its term in this Ready sends nothing in that term before the term is durable (issue 9 item 4; Raft §5.1, Figure 2 "persistent state")', async () => {
  // metadata_voters: 1 with a learner: the voter pre-votes, votes for itself and becomes leader
  // inside one step, so its first Ready both raises the term and holds appends to the learner.
  const { host, node, storage, transport } = setup({ voters: [{ id: 1, storageId: 'disk-1' }], learners: [{ id: 2, storageId: 'disk-2' }] });
  await drain(host, storage);
  const termBefore = node.status().term;
  node.campaign();
  assert.equal(node.status().state, 'leader', 'one voter wins at once');
  const newTerm = node.status().term;
  assert.ok(newTerm > termBefore);
  host.kick();
  await settle();
  assert.equal(storage.syncCalls > 0, true, 'the round waits on its sync');
  // The power could go now: nothing in the new term may be on the wire yet.
  const early = transport.sent.filter((s) => s.msg.term === newTerm);
  assert.deepEqual(
    early.map((s) => s.msg.type),
    [],
    'no message of the new term before its hard state is durable',
  );
  await drain(host, storage);
  const appends = transport.sent.filter((s) => s.msg.type === 'app' && s.msg.to === 2 && s.msg.term === newTerm);
  assert.ok(appends.length > 0, 'the learner gets its appends once the term is durable');
  for (const s of transport.sent) assert.ok(s.msg.term <= s.durableTerm, `${s.msg.type} in term ${s.msg.term} sent while term ${s.durableTerm} was durable`);
  await host.close();
});

test('a leader whose term is already durable still sends its appends before its own fsync (issue 9 item 4; Raft thesis §10.2.1)', async () => {
  const voters = [1, 2, 3].map((id) => ({ id, storageId: `disk-${id}` }));
  const { host, node, storage, transport } = setup({ voters, learners: [] });
  await drain(host, storage);
  // Win an election: answer the (pre-)vote requests of node 1 as nodes 2 and 3 would.
  node.campaign();
  for (let round = 0; round < 10 && node.status().state !== 'leader'; round++) {
    host.kick();
    await drain(host, storage);
    const requests = transport.sent.splice(0).filter((s) => s.msg.type === 'preVote' || s.msg.type === 'vote');
    for (const { msg } of requests) {
      const resp = newMessage(msg.type === 'preVote' ? 'preVoteResp' : 'voteResp', msg.to, 1, msg.term);
      resp.storageId = `disk-${msg.to}`;
      transport.handler!(msg.to, group, resp);
    }
  }
  assert.equal(node.status().state, 'leader');
  await drain(host, storage);
  // Followers acknowledge the leader's first entry, so they move to the replicate state.
  for (const { msg } of transport.sent.splice(0)) {
    if (msg.type !== 'app') continue;
    const resp = newMessage('appResp', msg.to, 1, msg.term);
    resp.index = msg.index + msg.entries.length;
    resp.storageId = `disk-${msg.to}`;
    transport.handler!(msg.to, group, resp);
  }
  await drain(host, storage);
  transport.sent.length = 0;

  assert.equal(node.propose(new Uint8Array([1, 2, 3])).ok, true);
  host.kick();
  await settle();
  // The leader's fsync of the proposal has not completed, yet its appends are out.
  const early = transport.sent.filter((s) => s.msg.type === 'app' && s.msg.entries.length > 0);
  assert.deepEqual(early.map((s) => s.msg.to).sort(), [2, 3], 'appends go out while the leader syncs');
  await drain(host, storage);
  await host.close();
});

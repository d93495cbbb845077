// MemoryTransport rules: the same contract as TcpTransport (queue until flush, one frame per
// peer per flush, drop and count what cannot go), plus the hub's fault injection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryHub } from '../../../src/transport/memory.ts';
import { backoffDelayMs, resolveLimits } from '../../../src/transport/types.ts';
import { newMessage } from '../../../src/raft/message.ts';
import type { Message } from '../../../src/raft/types.ts';
import { memoryLogger, Rng } from './helpers.ts';
import { waitFor } from '../../helpers/wait-for.ts';

function collect(hub: MemoryHub, ids: number[]) {
  const got = new Map<number, Array<{ from: number; group: string; msg: Message }>>();
  const ts = ids.map((id) => {
    const t = hub.connect(id, ids);
    got.set(id, []);
    t.onMessage((from, group, msg) => got.get(id)!.push({ from, group, msg }));
    return t;
  });
  return { ts, got };
}

test('memory: N sends + one flush = one frame per peer, delivered in order with from/to of the link', () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { ts, got } = collect(hub, [1, 2, 3]);
  for (let g = 0; g < 10; g++) {
    ts[0]!.send(2, `topic-${g}`, { ...newMessage('hb', 1, 2, 1), commit: g });
    ts[0]!.send(3, `topic-${g}`, { ...newMessage('hb', 1, 3, 1), commit: g });
  }
  assert.equal(hub.inFlight, 0, 'send() only queues');
  ts[0]!.flush();
  assert.equal(hub.inFlight, 2);
  assert.equal(hub.deliver(), 2);
  assert.deepEqual(
    got.get(2)!.map((x) => [x.from, x.group, x.msg.commit, x.msg.to]),
    Array.from({ length: 10 }, (_, g) => [1, `topic-${g}`, g, 2]),
  );
  assert.equal(got.get(3)!.length, 10);
  const s = ts[0]!.peerStatus().find((p) => p.nodeId === 2)!;
  assert.equal(s.framesOut, 1);
  assert.equal(s.messagesOut, 10);
});

test('memory: the codec round trip means receivers never share objects with senders', () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { ts, got } = collect(hub, [1, 2]);
  const data = Buffer.from('abc');
  const sent = { ...newMessage('app', 1, 2, 1), entries: [{ index: 1, term: 1, type: 'normal' as const, data }] };
  ts[0]!.send(2, 'g', sent);
  ts[0]!.flush();
  data[0] = 0x7a; // mutating after flush must not reach the receiver
  hub.deliver();
  const m = got.get(2)![0]!.msg;
  assert.notEqual(m, sent);
  assert.equal(Buffer.from(m.entries[0]!.data).toString(), 'abc');
});

test('memory: a partition drops messages at send and frames in flight; heal restores delivery', () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { ts, got } = collect(hub, [1, 2, 3]);
  ts[0]!.send(2, 'g', newMessage('hb', 1, 2, 1));
  ts[0]!.flush();
  hub.partition([1], [2, 3]);
  hub.deliver();
  assert.equal(got.get(2)!.length, 0);
  assert.equal(hub.droppedFrames, 1);
  ts[0]!.send(2, 'g', newMessage('hb', 1, 2, 1));
  assert.equal(ts[0]!.peerStatus().find((p) => p.nodeId === 2)!.droppedDisconnected, 1);
  assert.equal(ts[0]!.peerStatus().find((p) => p.nodeId === 2)!.connected, false);
  ts[1]!.send(3, 'g', newMessage('hb', 2, 3, 1));
  ts[1]!.flush();
  hub.deliver();
  assert.equal(got.get(3)!.length, 1, 'same side still talks');
  hub.heal();
  ts[0]!.send(2, 'g', newMessage('hb', 1, 2, 1));
  ts[0]!.flush();
  hub.deliver();
  assert.equal(got.get(2)!.length, 1);
});

test('memory: seeded drop rate loses about that fraction of frames, reproducibly', () => {
  const run = (seed: number) => {
    const rng = new Rng(seed);
    const hub = new MemoryHub({ delivery: 'manual', random: () => rng.next() });
    const { ts, got } = collect(hub, [1, 2]);
    hub.setDropRate(0.3);
    for (let i = 0; i < 1000; i++) {
      ts[0]!.send(2, 'g', { ...newMessage('hb', 1, 2, 1), commit: i });
      ts[0]!.flush();
    }
    hub.deliver();
    return got.get(2)!.map((x) => x.msg.commit);
  };
  const a = run(5);
  assert.deepEqual(run(5), a);
  assert.ok(a.length > 600 && a.length < 800, `${a.length} of 1000 delivered at drop rate 0.3`);
});

test('memory: a filter drops chosen messages (e.g. only votes) and counts them', () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { ts, got } = collect(hub, [1, 2]);
  hub.setFilter((_f, _t, _g, m) => m.type !== 'vote');
  ts[0]!.send(2, 'g', newMessage('vote', 1, 2, 1));
  ts[0]!.send(2, 'g', newMessage('hb', 1, 2, 1));
  ts[0]!.flush();
  hub.deliver();
  assert.deepEqual(
    got.get(2)!.map((x) => x.msg.type),
    ['hb'],
  );
  assert.equal(hub.droppedByFilter, 1);
});

test('memory: auto delivery happens on a later turn, and a closed node receives nothing', async () => {
  const hub = new MemoryHub();
  const { ts, got } = collect(hub, [1, 2, 3]);
  ts[0]!.send(2, 'g', newMessage('hb', 1, 2, 1));
  ts[0]!.flush();
  assert.equal(got.get(2)!.length, 0, 'not synchronous');
  await waitFor(() => got.get(2)!.length === 1, 'auto delivery');
  await ts[2]!.close();
  ts[0]!.send(3, 'g', newMessage('hb', 1, 3, 1));
  assert.equal(ts[0]!.peerStatus().find((p) => p.nodeId === 3)!.droppedDisconnected, 1);
});

test('memory: send() refuses messages built wrongly (host bugs), drops unknown peers quietly', () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const { ts } = collect(hub, [1, 2]);
  assert.throws(() => ts[0]!.send(2, 'g', newMessage('hb', 3, 2, 1)), /invariant/);
  assert.throws(() => ts[0]!.send(2, 'g', newMessage('hb', 1, 4, 1)), /invariant/);
  ts[0]!.send(9, 'g', newMessage('hb', 1, 9, 1));
  assert.equal(ts[0]!.droppedUnknownPeer, 1);
});

test('backoff: exponential from base, capped, with equal jitter (half fixed, half random)', () => {
  assert.equal(
    backoffDelayMs(0, 50, 5000, () => 0),
    25,
  );
  assert.equal(
    backoffDelayMs(0, 50, 5000, () => 0.999999),
    49,
  );
  assert.equal(
    backoffDelayMs(3, 50, 5000, () => 0),
    200,
  );
  assert.equal(
    backoffDelayMs(10, 50, 5000, () => 0),
    2500,
  );
  assert.equal(
    backoffDelayMs(1000, 50, 5000, () => 0.5),
    3750,
  );
  const rng = new Rng(1);
  for (let attempt = 0; attempt < 50; attempt++) {
    const d = backoffDelayMs(attempt, 50, 5000, () => rng.next());
    const exp = Math.min(5000, 50 * 2 ** attempt);
    assert.ok(d >= exp / 2 - 1 && d <= exp, `attempt ${attempt}: ${d} ms not in [${exp / 2}, ${exp}]`);
  }
  assert.throws(() => backoffDelayMs(0, 50, 5000, () => 1), RangeError);
});

test('limits: every limit is a positive integer; defaults fill what is not given', () => {
  assert.equal(resolveLimits({ maxFrameBytes: 1024 }).maxFrameBytes, 1024);
  assert.throws(() => resolveLimits({ maxFrameBytes: 0 }), /maxFrameBytes/);
  assert.throws(() => resolveLimits({ handshakeTimeoutMs: 1.5 }), /handshakeTimeoutMs/);
  assert.throws(() => resolveLimits({ reconnectBaseMs: 100, reconnectMaxMs: 10 }), /reconnectMaxMs/);
});

test('memory identity: peers see the storage id given at hub.connect; partition, heal, setPeers and close report it like connections', async () => {
  const hub = new MemoryHub({ delivery: 'manual' });
  const seen = new Map<number, Array<[number, string | null]>>([
    [1, []],
    [2, []],
    [3, []],
  ]);
  const t1 = hub.connect(1, [2, 3], 'disk-1');
  t1.onPeerIdentity((id, sid) => seen.get(1)!.push([id, sid]));
  assert.deepEqual(seen.get(1), [], 'no link is up while the peers are not on the hub');
  const t2 = hub.connect(2, [1, 3], 'disk-2');
  assert.deepEqual(seen.get(1), [[2, 'disk-2']], 'the link opens when the second end connects');
  const t3 = hub.connect(3, [1, 2], 'disk-3');
  // Handlers set after the links opened are told about them at once.
  t2.onPeerIdentity((id, sid) => seen.get(2)!.push([id, sid]));
  t3.onPeerIdentity((id, sid) => seen.get(3)!.push([id, sid]));
  assert.deepEqual(seen.get(2), [
    [1, 'disk-1'],
    [3, 'disk-3'],
  ]);
  assert.deepEqual(seen.get(3), [
    [1, 'disk-1'],
    [2, 'disk-2'],
  ]);
  assert.equal(t1.peerStatus().find((p) => p.nodeId === 3)!.storageId, 'disk-3');

  hub.partition([1], [2, 3]);
  assert.deepEqual(seen.get(1)!.slice(-2), [
    [2, null],
    [3, null],
  ]);
  assert.equal(t1.peerStatus().find((p) => p.nodeId === 2)!.storageId, null);
  assert.equal(seen.get(2)!.length, 3, 'the 2-3 link stayed up: no report');
  hub.heal();
  assert.deepEqual(seen.get(1)!.slice(-2), [
    [2, 'disk-2'],
    [3, 'disk-3'],
  ]);

  t3.setPeers(new Map([[1, 'memory']])); // 3 stops talking to 2
  assert.deepEqual(seen.get(3)!.at(-1), [2, null]);
  assert.deepEqual(seen.get(2)!.at(-1), [3, null]);

  await t2.close();
  assert.deepEqual(seen.get(1)!.at(-1), [2, null]);
  assert.deepEqual(seen.get(2)!.at(-1), [1, null], 'the closing node hears of its own links closing');
  // A wiped node reconnecting under the same id announces its new storage id.
  hub.connect(2, [1, 3], 'disk-2-wiped');
  assert.deepEqual(seen.get(1)!.at(-1), [2, 'disk-2-wiped']);
  assert.throws(() => hub.connect(4, [], 'x'.repeat(65)), /at most 64/);
});

test("memory: a message whose storageId is not the sender's authenticated id (nor a group id under it) is dropped, counted and logged once (issue 9 item 8)", () => {
  const { logger, lines } = memoryLogger();
  const hub = new MemoryHub({ delivery: 'manual', logger });
  const t1 = hub.connect(1, [2], 'disk-1');
  const t2 = hub.connect(2, [1], 'disk-2');
  const got: string[] = [];
  t2.onMessage((_from, _group, msg) => got.push(msg.storageId));
  const claims = ['disk-1', 'disk-1/orders-0.1', '', 'disk-9', 'disk-1x', 'disk-1/', 'disk-2', 'disk-9'];
  for (const storageId of claims) t1.send(2, 'g', { ...newMessage('hb', 1, 2, 1), storageId });
  t1.flush();
  hub.deliver();
  // '' is what a message built outside the core carries; the core stamps its own id on every message.
  assert.deepEqual(got, ['disk-1', 'disk-1/orders-0.1', '']);
  assert.equal(t2.peerStatus().find((p) => p.nodeId === 1)!.droppedWrongStorageId, 5);
  const warned = lines.filter((l) => /storage id/.test(l.msg));
  assert.equal(warned.length, 1, 'logged once per peer');
  assert.equal(warned[0]!.peer, 1);
  assert.equal(warned[0]!.authenticated, 'disk-1');
  assert.equal(warned[0]!.storage_id, 'disk-9');
  // A peer that announced no storage id has no identity to claim: only '' passes.
  const t3 = hub.connect(3, [2], '');
  t2.setPeers(
    new Map([
      [1, 'memory'],
      [3, 'memory'],
    ]),
  );
  t3.send(2, 'g', { ...newMessage('hb', 3, 2, 1), storageId: 'disk-1' });
  t3.send(2, 'g', { ...newMessage('hb', 3, 2, 1), storageId: '' });
  t3.flush();
  hub.deliver();
  assert.deepEqual(got.slice(3), ['']);
  assert.equal(t2.peerStatus().find((p) => p.nodeId === 3)!.droppedWrongStorageId, 1);
});

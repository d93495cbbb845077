// TcpTransport on 127.0.0.1: delivery, coalescing, authentication, limits, reconnection and
// hostile input. Every transport and socket a test opens is closed in its finally block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { TcpTransport } from '../../../src/transport/tcp.ts';
import { DEFAULT_TRANSPORT_LIMITS } from '../../../src/transport/types.ts';
import { FrameDecoder, FrameType, encodeFrame } from '../../../src/transport/frame.ts';
import {
  PROTOCOL_VERSION,
  decodeChallenge,
  decodeRefuse,
  encodeHello,
  encodeProof,
  makeProof,
  newNonce,
  refuseReasonName,
} from '../../../src/transport/handshake.ts';
import { newMessage } from '../../../src/raft/message.ts';
import type { Message } from '../../../src/raft/types.ts';
import { memoryLogger, type LogLine } from './helpers.ts';
import { SECRET, startNode, type Node } from './tcp-node.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

function mesh(nodes: Node[]): void {
  const all = new Map(nodes.map((n) => [n.t.nodeId, `127.0.0.1:${n.t.port}`]));
  for (const n of nodes) n.t.setPeers(all);
}

function connected(n: Node, peer: number): boolean {
  return n.t.peerStatus().some((p) => p.nodeId === peer && p.connected);
}

function status(n: Node, peer: number) {
  const s = n.t.peerStatus().find((p) => p.nodeId === peer);
  assert.ok(s, `node ${n.t.nodeId} has no peer ${peer}`);
  return s;
}

function hb(from: number, to: number, term: number, commit = 0): Message {
  return { ...newMessage('hb', from, to, term), commit, storageId: `disk-${from}`, toStorageId: `disk-${to}` };
}

function logged(n: Node, re: RegExp): LogLine[] {
  return n.lines.filter((l) => re.test(l.msg));
}

async function closeAll(...nodes: Array<Node | undefined>): Promise<void> {
  await Promise.all(nodes.map((n) => n?.t.close()));
}

test('two nodes exchange messages of several groups in both directions over one connection', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection 1-2');
    const data = Buffer.from('entry payload');
    for (const group of ['__metadata', 'topic-0', 'topic-1']) {
      a.t.send(2, group, { ...newMessage('app', 1, 2, 3), index: 7, logTerm: 2, commit: 5, entries: [{ index: 8, term: 3, type: 'normal', data }] });
      b.t.send(1, group, { ...newMessage('appResp', 2, 1, 3), index: 8 });
    }
    a.t.flush();
    b.t.flush();
    await waitFor(() => a.got.length === 3 && b.got.length === 3, 'both directions delivered');
    assert.deepEqual(
      b.got.map((g) => [g.from, g.group, g.msg.type, g.msg.index]),
      [
        [1, '__metadata', 'app', 7],
        [1, 'topic-0', 'app', 7],
        [1, 'topic-1', 'app', 7],
      ],
    );
    assert.deepEqual(Buffer.from(b.got[0]!.msg.entries[0]!.data), data);
    assert.deepEqual(
      a.got.map((g) => [g.from, g.group, g.msg.type, g.msg.to]),
      [
        [2, '__metadata', 'appResp', 1],
        [2, 'topic-0', 'appResp', 1],
        [2, 'topic-1', 'appResp', 1],
      ],
    );
  } finally {
    await closeAll(a, b);
  }
});

test('three nodes: every pair connects once (lower id dials) and all messages arrive', async () => {
  const nodes = [await startNode(1), await startNode(2), await startNode(3)];
  try {
    mesh(nodes);
    await waitFor(() => nodes.every((n) => nodes.every((m) => m === n || connected(n, m.t.nodeId))), 'full mesh');
    for (const n of nodes) {
      for (const m of nodes) {
        if (m === n) continue;
        for (let g = 0; g < 5; g++) n.t.send(m.t.nodeId, `topic-${g}`, hb(n.t.nodeId, m.t.nodeId, g + 1));
      }
    }
    for (const n of nodes) n.t.flush();
    await waitFor(() => nodes.every((n) => n.got.length === 10), 'all delivered');
    for (const n of nodes) {
      const fromOthers = new Set(n.got.map((g) => `${g.from}/${g.group}`));
      assert.equal(fromOthers.size, 10);
      for (const g of n.got) assert.equal(g.msg.to, n.t.nodeId);
    }
    // Exactly one connection per pair: no reconnects, no refusals.
    for (const n of nodes) for (const s of n.t.peerStatus()) assert.equal(s.reconnects, 0);
    for (const n of nodes) assert.deepEqual(logged(n, /refused/), []);
  } finally {
    await closeAll(...nodes);
  }
});

test('coalescing: 100 groups × heartbeat + one flush() = one frame on the wire', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    const before = status(a, 2).framesOut;
    for (let g = 0; g < 100; g++) a.t.send(2, `topic-${g}`, hb(1, 2, 4, g));
    assert.equal(status(a, 2).framesOut, before, 'send() only queues');
    a.t.flush();
    assert.equal(status(a, 2).framesOut, before + 1);
    assert.equal(status(a, 2).messagesOut, 100);
    await waitFor(() => b.got.length === 100, '100 heartbeats');
    assert.equal(status(b, 1).framesIn, 1);
    assert.deepEqual(
      b.got.map((g) => g.msg.commit),
      Array.from({ length: 100 }, (_, i) => i),
    );
    // A flush with nothing queued writes nothing.
    a.t.flush();
    assert.equal(status(a, 2).framesOut, before + 1);
  } finally {
    await closeAll(a, b);
  }
});

test('auth: a node with the wrong cluster secret is refused and logged on both sides; the right one is accepted', async () => {
  const a = await startNode(1, { clusterSecret: 'not-the-secret' });
  const b = await startNode(2);
  let a2: Node | undefined;
  try {
    mesh([a, b]);
    await waitFor(() => logged(b, /refused/).length > 0 && /refused by peer|wrong cluster secret/.test(status(a, 2).lastError ?? ''), 'refusal');
    assert.equal(connected(a, 2), false);
    assert.equal(connected(b, 1), false);
    const line = logged(b, /refused/)[0]!;
    assert.equal(line.level, 'warn');
    // The acceptor's proof fails at the dialer first (it checks the acceptor before proving itself).
    assert.ok(['badProof'].includes(String(line.reason)) || /secret/.test(line.msg), JSON.stringify(line));
    // Messages to an unconnected peer are dropped and counted, not queued.
    a.t.send(2, 'g', hb(1, 2, 1));
    assert.equal(status(a, 2).droppedDisconnected, 1);
    await a.t.close();
    a2 = await startNode(1);
    mesh([a2, b]);
    await waitFor(() => connected(a2!, 2) && connected(b, 1), 'connection with the right secret');
  } finally {
    await closeAll(a, a2, b);
  }
});

test('auth: a dialer whose proof is wrong is refused by the acceptor (raw client)', async () => {
  const b = await startNode(2);
  const sock = await rawConnect(b.t.port);
  try {
    b.t.setPeers(new Map([[1, '127.0.0.1:1']]));
    const nonceD = newNonce();
    sock.write(encodeFrame(FrameType.hello, encodeHello({ version: PROTOCOL_VERSION, dialerId: 1, acceptorId: 2, nonce: nonceD, storageId: 'raw-disk' })));
    const ch = decodeChallenge((await readFrame(sock)).body);
    // The acceptor's proof is right for the real secret…
    const binding = { nonceD, nonceA: ch.nonce, dialerId: 1, acceptorId: 2, dialerStorageId: 'raw-disk', acceptorStorageId: ch.storageId };
    assert.deepEqual(ch.proof, makeProof(Buffer.from(SECRET), 'acceptor', binding));
    // …and reflecting it back as our own proof is refused (the labels differ).
    sock.write(encodeFrame(FrameType.proof, encodeProof(ch.proof)));
    const refusal = await readFrame(sock);
    assert.equal(refusal.type, FrameType.refuse);
    assert.equal(refuseReasonName(decodeRefuse(refusal.body).reason), 'badProof');
    await waitFor(() => logged(b, /refused: wrong cluster secret/).length === 1, 'logged once');
    assert.equal(connected(b, 1), false);
  } finally {
    sock.destroy();
    await b.t.close();
  }
});

test('auth: an unknown node id is refused and logged', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  try {
    // a knows b, b does not know a.
    a.t.setPeers(new Map([[2, `127.0.0.1:${b.t.port}`]]));
    await waitFor(() => logged(b, /refused/).some((l) => l.reason === 'unknownNode'), 'unknown node refusal');
    await waitFor(() => /unknownNode/.test(status(a, 2).lastError ?? ''), 'dialer sees the reason');
    assert.equal(connected(a, 2), false);
    // Once b learns about a (a broker joined), a's next redial is accepted.
    b.t.setPeers(new Map([[1, `127.0.0.1:${a.t.port}`]]));
    await waitFor(() => connected(a, 2) && connected(b, 1), 'accepted after setPeers');
  } finally {
    await closeAll(a, b);
  }
});

test('connection rule: a dial from a higher id is refused (the lower id dials)', async () => {
  const b = await startNode(2);
  const sock = await rawConnect(b.t.port);
  try {
    b.t.setPeers(new Map([[3, '127.0.0.1:1']]));
    sock.write(encodeFrame(FrameType.hello, encodeHello({ version: PROTOCOL_VERSION, dialerId: 3, acceptorId: 2, nonce: newNonce(), storageId: '' })));
    const f = await readFrame(sock);
    assert.equal(f.type, FrameType.refuse);
    assert.equal(refuseReasonName(decodeRefuse(f.body).reason), 'wrongDirection');
  } finally {
    sock.destroy();
    await b.t.close();
  }
});

// The warning for a cluster without a secret is the config layer's (test/unit/config/cluster-auth.test.ts).
test('no secret: nodes without a secret connect, and a node with one refuses them', async () => {
  const a = await startNode(1, { clusterSecret: null });
  const b = await startNode(2, { clusterSecret: null });
  const c = await startNode(3);
  try {
    mesh([a, b, c]);
    await waitFor(() => connected(a, 2), 'unauthenticated pair');
    // Storage ids are still exchanged, but nothing vouches for them without a secret.
    assert.equal(status(a, 2).storageId, 'disk-2');
    await waitFor(() => logged(c, /refused/).some((l) => l.reason === 'authMismatch'), 'c refuses a and b');
    assert.equal(connected(c, 1), false);
  } finally {
    await closeAll(a, b, c);
  }
});

test("limits: a frame above the receiver's maxFrameBytes closes that connection only; the process and the next connection are fine", async () => {
  const a = await startNode(1, { limits: { maxFrameBytes: 1 << 20 } });
  const b = await startNode(2, { limits: { maxFrameBytes: 64 * 1024 } });
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    const big = Buffer.alloc(100 * 1024, 7);
    a.t.send(2, 'g', { ...newMessage('app', 1, 2, 1), entries: [{ index: 1, term: 1, type: 'normal', data: big }] });
    a.t.flush();
    await waitFor(() => logged(b, /bad bytes from peer/).length === 1, 'oversized frame logged');
    assert.match(String(logged(b, /bad bytes/)[0]!.err), /exceeds the limit/);
    assert.equal(b.got.length, 0);
    // a redials; small messages still go through.
    await waitFor(() => connected(a, 2) && status(a, 2).reconnects >= 1, 'reconnected');
    a.t.send(2, 'g', hb(1, 2, 1));
    a.t.flush();
    await waitFor(() => b.got.length === 1, 'small message after reconnect');
  } finally {
    await closeAll(a, b);
  }
});

test('limits: a message larger than our own frame limit is dropped at send() and counted', async () => {
  const a = await startNode(1, { limits: { maxFrameBytes: 8 * 1024 } });
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2), 'connection');
    a.t.send(2, 'g', { ...newMessage('app', 1, 2, 1), entries: [{ index: 1, term: 1, type: 'normal', data: Buffer.alloc(8 * 1024) }] });
    assert.equal(status(a, 2).droppedTooLarge, 1);
    assert.equal(status(a, 2).queuedBytes, 0);
  } finally {
    await closeAll(a, b);
  }
});

test('limits: the per-peer queue drops the newest messages beyond maxQueuedBytesPerPeer', async () => {
  const a = await startNode(1, { limits: { maxQueuedBytesPerPeer: 1000 } });
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    // Each heartbeat is about 60 bytes, so about 16 fit in 1000 bytes.
    for (let i = 1; i <= 100; i++) a.t.send(2, 'g', { ...newMessage('hb', 1, 2, 1), commit: i, storageId: `disk-1/${'x'.repeat(43)}` });
    const s = status(a, 2);
    assert.ok(s.queuedBytes <= 1000, `queued ${s.queuedBytes} bytes`);
    assert.ok(s.droppedQueueFull > 50 && s.droppedQueueFull < 100, `dropped ${s.droppedQueueFull}`);
    a.t.flush();
    await waitFor(() => b.got.length === 100 - s.droppedQueueFull, 'kept messages');
    // The oldest were kept, in order.
    assert.deepEqual(
      b.got.map((g) => g.msg.commit),
      Array.from({ length: b.got.length }, (_, i) => i + 1),
    );
  } finally {
    await closeAll(a, b);
  }
});

test('reconnection: the dialer reconnects with backoff after the accepting side restarts on the same port', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  let b2: Node | undefined;
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2), 'first connection');
    const port = b.t.port;
    await b.t.close();
    await waitFor(() => !connected(a, 2), 'a notices');
    a.t.send(2, 'g', hb(1, 2, 1));
    assert.equal(status(a, 2).droppedDisconnected, 1);
    b2 = await startNode(2, { listenPort: port, peers: new Map([[1, `127.0.0.1:${a.t.port}`]]) });
    await waitFor(() => connected(a, 2) && connected(b2!, 1), 'reconnected');
    assert.equal(status(a, 2).reconnects, 1);
    a.t.send(2, 'topic-9', hb(1, 2, 2));
    a.t.flush();
    await waitFor(() => b2!.got.length === 1, 'delivery after reconnect');
    assert.equal(b2.got[0]!.group, 'topic-9');
  } finally {
    await closeAll(a, b, b2);
  }
});

test('setPeers: removing a peer closes its connection and drops its messages', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    a.t.setPeers(new Map());
    assert.deepEqual(a.t.peerStatus(), []);
    a.t.send(2, 'g', hb(1, 2, 1));
    assert.equal(a.t.droppedUnknownPeer, 1);
    await waitFor(() => !connected(b, 1), 'b sees the close');
  } finally {
    await closeAll(a, b);
  }
});

test('hostile input: garbage on the listener port closes that connection, is logged once, and the node keeps serving', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  const socks: Socket[] = [];
  try {
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1]),
      Buffer.from([0, 0, 0, 0]),
      Buffer.from([0, 0, 0, 3, FrameType.messages, 0, 0]),
      encodeFrame(FrameType.hello, Buffer.from('RNLT')),
    ];
    for (const g of garbage) {
      const s = await rawConnect(b.t.port);
      socks.push(s);
      s.resume(); // read the REFUSE frame and the FIN, so 'end' can be observed
      s.write(g);
    }
    await waitFor(() => socks.every((s) => s.destroyed || s.readableEnded), 'all garbage connections closed');
    assert.equal(logged(b, /bad bytes from peer/).length, 1, 'logged once per remote host');
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'a real peer still connects');
  } finally {
    for (const s of socks) s.destroy();
    await closeAll(a, b);
  }
});

test('hostile input: a connection that never completes the handshake is closed at handshakeTimeoutMs', async () => {
  // The injected clock: the timeout fires when the test moves time, not when a loaded machine gets to it.
  const clock = new FakeClock();
  const b = await startNode(2, { clock, limits: { handshakeTimeoutMs: 100 } });
  const sock = await rawConnect(b.t.port);
  try {
    await waitFor(() => clock.pendingDelays().includes(100), 'the acceptor armed the handshake timeout');
    clock.advance(99);
    assert.equal(logged(b, /handshake timed out/).length, 0, 'open until handshakeTimeoutMs');
    clock.advance(1);
    assert.equal(logged(b, /handshake timed out/).length, 1);
    await waitFor(() => sock.destroyed || sock.readableEnded, 'closed by the acceptor');
  } finally {
    sock.destroy();
    await b.t.close();
  }
});

test('hostile input: unauthenticated connections beyond maxPendingHandshakes are closed at accept', async () => {
  const b = await startNode(2, { limits: { maxPendingHandshakes: 2 } });
  const socks: Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) socks.push(await rawConnect(b.t.port));
    await waitFor(() => socks.filter((s) => s.destroyed || s.readableEnded).length === 2, 'two refused');
    assert.equal(logged(b, /too many unauthenticated/).length, 1);
  } finally {
    for (const s of socks) s.destroy();
    await b.t.close();
  }
});

// ---------------------------------------------------------------------------------------------

async function rawConnect(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  s.on('end', () => s.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

async function readFrame(s: Socket): Promise<{ type: number; body: Buffer }> {
  const d = new FrameDecoder(1 << 20);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no frame within 2 s')), 2000);
    const onData = (chunk: Buffer) => {
      const frames = d.push(chunk);
      if (frames.length > 0) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve(frames[0]!);
      }
    };
    s.on('data', onData);
  });
}

test('reconnection: redials follow capped exponential backoff driven by the injected clock and randomness', async () => {
  // A port with nothing listening: bind, read the port, close.
  const probe = await startNode(9);
  const deadPort = probe.t.port;
  await probe.t.close();
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  const clock = {
    now: () => 0,
    setTimeout: (fn: () => void, ms: number) => {
      const h = { fn, ms, cleared: false };
      timers.push(h);
      return h;
    },
    clearTimeout: (h: unknown) => {
      (h as { cleared: boolean }).cleared = true;
    },
  };
  const PING_MS = 999_999;
  const HANDSHAKE_MS = 888_888;
  const a = await startNode(1, {
    clock,
    random: () => 0,
    limits: { reconnectBaseMs: 10, reconnectMaxMs: 50, pingIntervalMs: PING_MS, idleTimeoutMs: 2 * PING_MS, handshakeTimeoutMs: HANDSHAKE_MS },
  });
  try {
    a.t.setPeers(new Map([[2, `127.0.0.1:${deadPort}`]]));
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const isRedial = (t: (typeof timers)[number]) => !t.cleared && t.ms !== PING_MS && t.ms !== HANDSHAKE_MS;
      await waitFor(() => timers.some(isRedial), `redial timer ${i}`);
      const t = timers.find(isRedial)!;
      t.cleared = true;
      delays.push(t.ms);
      t.fn();
    }
    // random() = 0 gives the lower edge of equal jitter: half of min(50, 10 * 2^n).
    assert.deepEqual(delays, [5, 10, 20, 25, 25, 25]);
    assert.match(status(a, 2).lastError ?? '', /ECONNREFUSED/);
    assert.equal(logged(a, /could not connect/).length, 1, 'repeated failures are logged once');
  } finally {
    await a.t.close();
  }
});

test('keep-alive: pings keep an idle authenticated connection open; a peer that goes silent is closed at idleTimeoutMs', async () => {
  // Both transports run on one injected clock, moved by the test one ping interval at a time and
  // only after the pings of the last one arrived: a loaded machine cannot make a peer look silent.
  const clock = new FakeClock();
  const limits = { pingIntervalMs: 30, idleTimeoutMs: 200 };
  const a = await startNode(1, { clock, limits });
  const b = await startNode(2, { clock, limits });
  let sock: Socket | undefined;
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    // Three idle timeouts without a message: pings alone must keep it up.
    for (let i = 0; i < 20; i++) {
      const inA = status(a, 2).bytesIn;
      const inB = status(b, 1).bytesIn;
      clock.advance(limits.pingIntervalMs);
      await waitFor(() => status(a, 2).bytesIn > inA && status(b, 1).bytesIn > inB, `the pings of interval ${i}`);
    }
    assert.equal(connected(a, 2) && connected(b, 1), true, 'still connected');
    assert.equal(status(a, 2).reconnects, 0);
    // A raw peer that completes the handshake as node 1 and then sends nothing.
    await a.t.close();
    sock = await rawConnect(b.t.port);
    const nonceD = newNonce();
    sock.write(encodeFrame(FrameType.hello, encodeHello({ version: PROTOCOL_VERSION, dialerId: 1, acceptorId: 2, nonce: nonceD, storageId: 'disk-1' })));
    const ch = decodeChallenge((await readFrame(sock)).body);
    const welcome = readFrame(sock);
    const binding = { nonceD, nonceA: ch.nonce, dialerId: 1, acceptorId: 2, dialerStorageId: 'disk-1', acceptorStorageId: ch.storageId };
    sock.write(encodeFrame(FrameType.proof, encodeProof(makeProof(Buffer.from(SECRET), 'dialer', binding))));
    assert.equal((await welcome).type, FrameType.welcome);
    await waitFor(() => connected(b, 1), 'raw peer accepted');
    sock.resume();
    clock.advance(limits.idleTimeoutMs - limits.pingIntervalMs);
    assert.equal(connected(b, 1), true, 'open before idleTimeoutMs');
    clock.advance(2 * limits.pingIntervalMs);
    await waitFor(() => !connected(b, 1), 'silent peer closed');
    assert.equal(logged(b, /went silent/).length, 1);
    assert.match(status(b, 1).lastError ?? '', /nothing received/);
  } finally {
    sock?.destroy();
    await closeAll(a, b);
  }
});

test('limits: with maxFramesPerRead = 2 the reader yields between frames and still delivers every message in order', async () => {
  const a = await startNode(1);
  const b = await startNode(2, { limits: { maxFramesPerRead: 2 } });
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    // 200 flushes in one turn of the event loop reach b in a few large socket reads.
    for (let i = 1; i <= 200; i++) {
      a.t.send(2, `g${i % 3}`, { ...newMessage('hb', 1, 2, 1), commit: i });
      a.t.flush();
    }
    assert.equal(status(a, 2).framesOut, 200);
    await waitFor(() => b.got.length === 200, 'all 200');
    assert.deepEqual(
      b.got.map((g) => g.msg.commit),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    assert.equal(status(b, 1).framesIn, 200);
  } finally {
    await closeAll(a, b);
  }
});

// ---------------------------------------------------------------------------------------------
// Storage ids in the handshake (protocol version 2)

test("identity: each side sees the other's storage id in peerStatus() and onPeerIdentity; a late handler is told at once", async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  const seenByA: Array<[number, string | null]> = [];
  a.t.onPeerIdentity((id, sid) => seenByA.push([id, sid]));
  try {
    assert.equal(a.t.storageId, 'disk-1');
    a.t.setPeers(new Map([[2, '127.0.0.1:1']]));
    assert.equal(status(a, 2).storageId, null, 'nothing known before a connection');
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    assert.equal(status(a, 2).storageId, 'disk-2');
    assert.equal(status(b, 1).storageId, 'disk-1');
    assert.deepEqual(seenByA, [[2, 'disk-2']]);
    const seenByB: Array<[number, string | null]> = [];
    b.t.onPeerIdentity((id, sid) => seenByB.push([id, sid]));
    assert.deepEqual(seenByB, [[1, 'disk-1']], 'replayed synchronously for the connected peer');
  } finally {
    await closeAll(a, b);
  }
});

test('identity: a peer restarted with a wiped disk is reported closed (null), then with its new storage id', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  let b2: Node | undefined;
  const seenByA: Array<[number, string | null]> = [];
  a.t.onPeerIdentity((id, sid) => seenByA.push([id, sid]));
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2), 'first connection');
    const port = b.t.port;
    await b.t.close();
    await waitFor(() => !connected(a, 2), 'a notices');
    assert.equal(status(a, 2).storageId, null);
    b2 = await startNode(2, { listenPort: port, storageId: 'disk-2-wiped', peers: new Map([[1, `127.0.0.1:${a.t.port}`]]) });
    await waitFor(() => connected(a, 2), 'reconnected');
    assert.equal(status(a, 2).storageId, 'disk-2-wiped');
    assert.deepEqual(seenByA, [
      [2, 'disk-2'],
      [2, null],
      [2, 'disk-2-wiped'],
    ]);
  } finally {
    await closeAll(a, b, b2);
  }
});

test('identity: closing the transport reports every connected peer as closed', async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  const c = await startNode(3);
  const seenByA: Array<[number, string | null]> = [];
  try {
    mesh([a, b, c]);
    await waitFor(() => connected(a, 2) && connected(a, 3), 'connections');
    a.t.onPeerIdentity((id, sid) => seenByA.push([id, sid]));
    await a.t.close();
    assert.deepEqual(
      seenByA.sort(),
      [
        [2, 'disk-2'],
        [2, null],
        [3, 'disk-3'],
        [3, null],
      ].sort(),
    );
  } finally {
    await closeAll(a, b, c);
  }
});

/**
 * A relay on 127.0.0.1 between a dialer and the acceptor at `targetPort`, standing for an
 * attacker on the network path: `tamper` may rewrite the first frame of every connection in
 * one direction; everything else passes unchanged. `tampered` counts the rewrites, so a test
 * can check that the attack really happened.
 */
async function startRelay(targetPort: number, direction: 'toAcceptor' | 'toDialer', tamper: (frame: Buffer) => Buffer) {
  const sockets = new Set<Socket>();
  const stats = { tampered: 0 };
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  };
  // Forwards src to dst; the first frame (u32 length + that many bytes) goes through `tamper` when `rewrite` is set.
  const pipe = (src: Socket, dst: Socket, rewrite: boolean) => {
    let pending: Buffer | null = rewrite ? Buffer.alloc(0) : null;
    src.on('data', (chunk: Buffer) => {
      if (pending === null) {
        dst.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 4 || pending.length < 4 + pending.readUInt32BE(0)) return;
      const end = 4 + pending.readUInt32BE(0);
      const out = tamper(Buffer.from(pending.subarray(0, end)));
      if (!out.equals(pending.subarray(0, end))) stats.tampered++;
      dst.write(out);
      dst.write(pending.subarray(end));
      pending = null;
    });
    src.on('close', () => dst.destroy());
  };
  const server = createServer((client) => {
    track(client);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    pipe(client, upstream, direction === 'toAcceptor');
    pipe(upstream, client, direction === 'toDialer');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    stats,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Replaces one same-length string in a frame (so the framing stays valid). */
function replaceIn(frame: Buffer, from: string, to: string): Buffer {
  assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
  const at = frame.indexOf(from);
  if (at < 0) return frame;
  const out = Buffer.from(frame);
  out.write(to, at);
  return out;
}

for (const c of [
  { name: 'an unaltered handshake through the relay connects (control)', direction: 'toAcceptor' as const, from: 'disk-1', to: 'disk-1', refused: false },
  { name: "the dialer's storage id altered in HELLO fails the proof", direction: 'toAcceptor' as const, from: 'disk-1', to: 'disk-7', refused: true },
  { name: "the acceptor's storage id altered in CHALLENGE fails the proof", direction: 'toDialer' as const, from: 'disk-2', to: 'disk-8', refused: true },
]) {
  test(`identity tampering: ${c.name}`, async () => {
    const a = await startNode(1);
    const b = await startNode(2);
    const relay = await startRelay(b.t.port, c.direction, (f) => replaceIn(f, c.from, c.to));
    try {
      a.t.setPeers(new Map([[2, `127.0.0.1:${relay.port}`]]));
      b.t.setPeers(new Map([[1, `127.0.0.1:${a.t.port}`]]));
      if (!c.refused) {
        await waitFor(() => connected(a, 2) && connected(b, 1), 'connection through the relay');
        assert.equal(status(a, 2).storageId, 'disk-2');
        assert.equal(status(b, 1).storageId, 'disk-1');
        return;
      }
      // The dialer checks the acceptor's proof first; both proofs cover both ids, so the
      // altered id makes the two sides compute different MACs whichever id was changed.
      await waitFor(() => /badProof|wrong cluster secret/.test(status(a, 2).lastError ?? ''), 'the dialer refuses the proof');
      assert.ok(relay.stats.tampered >= 1, 'the relay did alter the handshake');
      assert.equal(connected(a, 2), false);
      assert.equal(connected(b, 1), false);
      assert.equal(status(b, 1).storageId, null, 'the altered id is never reported');
    } finally {
      await closeAll(a, b);
      await relay.close();
    }
  });
}

test('version: a version-1 HELLO is refused with reason "version", not as a protocol error', async () => {
  const b = await startNode(2);
  const sock = await rawConnect(b.t.port);
  try {
    b.t.setPeers(new Map([[1, '127.0.0.1:1']]));
    const v1Hello = Buffer.concat([Buffer.from('RNLT'), Buffer.from([0, 1]), Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), newNonce()]);
    sock.write(encodeFrame(FrameType.hello, v1Hello));
    const f = await readFrame(sock);
    assert.equal(f.type, FrameType.refuse);
    const refusal = decodeRefuse(f.body);
    assert.equal(refuseReasonName(refusal.reason), 'version');
    assert.match(refusal.text, /protocol version 1 is not 2/);
  } finally {
    sock.destroy();
    await b.t.close();
  }
});

test('config: a storage id over 64 bytes is refused at construction (host bug)', () => {
  const { logger } = memoryLogger();
  assert.throws(
    () => new TcpTransport({ nodeId: 1, listenHost: '127.0.0.1', listenPort: 0, peers: new Map(), clusterSecret: SECRET, storageId: 'x'.repeat(65), logger }),
    /at most 64/,
  );
});

test("storage ids: a message whose storageId is not the one the peer's handshake authenticated (nor a group id under it) is dropped, counted and logged once (issue 9 item 8)", async () => {
  const a = await startNode(1);
  const b = await startNode(2);
  try {
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection');
    const claims = ['disk-1', 'disk-1/orders-0.1', '', 'disk-9', 'disk-1x', 'disk-1/', 'disk-2', 'disk-9'];
    for (const storageId of claims) a.t.send(2, 'g', { ...newMessage('hb', 1, 2, 1), storageId });
    a.t.send(2, 'g', { ...newMessage('hb', 1, 2, 1), commit: 99, storageId: 'disk-1' });
    a.t.flush();
    await waitFor(() => b.got.some((g) => g.msg.commit === 99), 'the last message');
    assert.deepEqual(
      b.got.map((g) => g.msg.storageId),
      ['disk-1', 'disk-1/orders-0.1', '', 'disk-1'],
    );
    assert.equal(status(b, 1).droppedWrongStorageId, 5);
    assert.equal(connected(b, 1), true, 'the connection stays up: the other messages of the frame were fine');
    const warned = logged(b, /storage id/);
    assert.equal(warned.length, 1, 'logged once per peer');
    assert.equal(warned[0]!.peer, 1);
    assert.equal(warned[0]!.authenticated, 'disk-1');
  } finally {
    await closeAll(a, b);
  }
});

test('issue 9 (failover): a peer that was down for a minute is redialed within one election timeout of its return, not after the 5 s backoff', async () => {
  // Between two brokers only the lower id dials; a failover that starts while a restarted broker
  // is still unconnected to its lower-id peer cannot elect anyone. The default reconnectMaxMs is
  // one election timeout at the default cluster settings (rtt_ms 50 × election_rtt 10).
  const ELECTION_TIMEOUT_MS = 500;
  const probe = await startNode(9);
  const port = probe.t.port;
  await probe.t.close();
  // A fake clock: timers fire only when the test moves time to them.
  let nowMs = 0;
  const timers: Array<{ fn: () => void; atMs: number; ms: number; cleared: boolean }> = [];
  const clock = {
    now: () => nowMs,
    setTimeout: (fn: () => void, ms: number) => {
      const h = { fn, atMs: nowMs + ms, ms, cleared: false };
      timers.push(h);
      return h;
    },
    clearTimeout: (h: unknown) => {
      (h as { cleared: boolean }).cleared = true;
    },
  };
  const PING_MS = 999_999;
  const HANDSHAKE_MS = 888_888;
  const isRedial = (t: (typeof timers)[number]) => !t.cleared && t.ms !== PING_MS && t.ms !== HANDSHAKE_MS;
  /** Moves the fake time to the pending redial and fires it. */
  const fireRedial = async (what: string) => {
    await waitFor(() => timers.some(isRedial), what);
    const t = timers.find(isRedial)!;
    t.cleared = true;
    nowMs = Math.max(nowMs, t.atMs);
    t.fn();
  };
  // The transport's default reconnect limits: only the keep-alive timers are moved out of the way.
  const a = await startNode(1, {
    clock,
    random: () => 0.999,
    limits: {
      reconnectBaseMs: DEFAULT_TRANSPORT_LIMITS.reconnectBaseMs,
      reconnectMaxMs: DEFAULT_TRANSPORT_LIMITS.reconnectMaxMs,
      pingIntervalMs: PING_MS,
      idleTimeoutMs: 2 * PING_MS,
      handshakeTimeoutMs: HANDSHAKE_MS,
    },
  });
  let b: Node | undefined;
  try {
    a.t.setPeers(new Map([[2, `127.0.0.1:${port}`]]));
    // The peer stays down for a minute of (fake) time: the dialer keeps failing.
    for (let i = 0; i < 1_000 && nowMs < 60_000; i++) await fireRedial(`failed redial ${i}`);
    assert.ok(nowMs >= 60_000, 'a minute of failed redials');
    // The peer comes back on its port.
    const backAtMs = nowMs;
    b = await startNode(2, { listenPort: port, peers: new Map([[1, `127.0.0.1:${a.t.port}`]]) });
    await fireRedial('the redial after the peer came back');
    await waitFor(() => connected(a, 2), 'reconnected');
    assert.ok(nowMs - backAtMs <= ELECTION_TIMEOUT_MS, `redialed ${nowMs - backAtMs} ms after the peer came back (election timeout ${ELECTION_TIMEOUT_MS} ms)`);
  } finally {
    await closeAll(a, b);
  }
});

// ---------------------------------------------------------------------------------------------
// Seed connections (issue 11, join): a node looking for the cluster dials addresses whatever the
// ids, and the node there takes it although it does not know the joiner yet.

test('issue 11 (join): a higher id the founder does not know joins through a seed dial; messages flow both ways; once named it stays connected and the lower id redials it', async () => {
  const founder = await startNode(1);
  const joiner = await startNode(4);
  const seen: Array<[number, string | null]> = [];
  founder.t.onPeerIdentity((id, storageId) => seen.push([id, storageId]));
  try {
    const founderAddress = `127.0.0.1:${founder.t.port}`;
    // The joiner's config names the founder (static discovery); the founder knows nobody.
    joiner.t.setPeers(new Map([[1, founderAddress]]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(connected(joiner, 1), false, 'the higher id does not dial by the ordinary rule');
    joiner.t.dialSeeds([founderAddress]);
    await waitFor(() => connected(joiner, 1) && connected(founder, 4), 'seed connection open');
    // The founder learned the joiner's id and disk from the authenticated handshake.
    assert.deepEqual(seen, [[4, 'disk-4']]);
    assert.equal(status(founder, 4).address, '', 'nothing to dial yet');
    founder.t.send(4, '__metadata', hb(1, 4, 1));
    joiner.t.send(1, '__metadata', hb(4, 1, 1));
    founder.t.flush();
    joiner.t.flush();
    await waitFor(() => founder.got.length === 1 && joiner.got.length === 1, 'both directions');
    // The joiner's registration applied: the founder names it. The seed connection stays.
    founder.t.setPeers(new Map([[4, `127.0.0.1:${joiner.t.port}`]]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(status(founder, 4).reconnects, 0);
    assert.ok(connected(founder, 4));
    // The connection drops (the joiner's side closes it): the lower id redials, with no seed.
    const port = joiner.t.port;
    await joiner.t.close();
    const again = await startNode(4, { listenPort: port, peers: new Map([[1, founderAddress]]) });
    try {
      await waitFor(() => connected(founder, 4) && connected(again, 1), 'the founder redialed the joiner');
      assert.equal(status(founder, 4).reconnects, 1);
    } finally {
      await again.t.close();
    }
  } finally {
    await closeAll(founder, joiner);
  }
});

test('issue 11 (join): a seed known only by its address (manual discovery) is named by the handshake, on both ends; the record goes with the connection', async () => {
  const member = await startNode(2);
  const joiner = await startNode(5);
  try {
    joiner.t.dialSeeds([`127.0.0.1:${member.t.port}`]);
    await waitFor(() => connected(joiner, 2) && connected(member, 5), 'seed connection open');
    assert.equal(status(joiner, 2).storageId, 'disk-2');
    assert.equal(status(joiner, 2).address, `127.0.0.1:${member.t.port}`);
    // Calling again while connected dials nothing more.
    joiner.t.dialSeeds([`127.0.0.1:${member.t.port}`]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(status(member, 5).reconnects, 0);
    assert.deepEqual(logged(member, /refused/), []);
    // Neither end named the other with setPeers: closing forgets both records.
    await joiner.t.close();
    await waitFor(() => member.t.peerStatus().length === 0, 'the member forgot the joiner');
  } finally {
    await closeAll(member, joiner);
  }
});

test('issue 11 (join): a seed that is this node itself is refused, and no peer is made of it', async () => {
  const a = await startNode(3);
  try {
    a.t.dialSeeds([`127.0.0.1:${a.t.port}`, 'not an address']);
    await waitFor(() => logged(a, /refused/).some((l) => l.reason === 'wrongNode'), 'refused');
    assert.deepEqual(a.t.peerStatus(), []);
    assert.ok(logged(a, /seed address is not host:port/).length === 1);
  } finally {
    await a.t.close();
  }
});

test("issue 11 (join): a seed dial crossing the lower id's own dial leaves one connection, the one the lower id dialed, on both ends", async () => {
  // Repeated with fresh pairs: the two dials race differently each time.
  for (let round = 0; round < 5; round++) {
    const low = await startNode(1);
    const high = await startNode(2);
    try {
      const lowAddress = `127.0.0.1:${low.t.port}`;
      high.t.setPeers(new Map([[1, lowAddress]]));
      high.t.dialSeeds([lowAddress]);
      low.t.setPeers(new Map([[2, `127.0.0.1:${high.t.port}`]]));
      await waitFor(() => connected(low, 2) && connected(high, 1), 'connected');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const lastRole = (n: Node) => logged(n, /^peer connected$/).at(-1)?.role;
      assert.equal(lastRole(low), 'dial', `round ${round}: low keeps its dial`);
      assert.equal(lastRole(high), 'accept', `round ${round}: high keeps low's dial`);
      assert.ok(connected(low, 2) && connected(high, 1), `round ${round}: still connected`);
      low.t.send(2, 'g', hb(1, 2, 1));
      low.t.flush();
      await waitFor(() => high.got.length === 1, 'delivered over the kept connection');
    } finally {
      await closeAll(low, high);
    }
  }
});

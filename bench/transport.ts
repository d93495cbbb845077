// Peer transport benchmark: messages/s and MB/s between two TcpTransports on 127.0.0.1,
// for heartbeats of 100 groups coalesced per flush (with and without group interning) and
// for append messages carrying 16 KiB of entries; plus the codec alone.
//
// Run: node --import tsx bench/transport.ts [seconds-per-case]
// Both transports live in this one process, so one thread pays for encoding, the kernel's
// loopback copy and decoding: the numbers are the cost of the transport end to end.
// The TLS cases run the same over cluster.tls's mutual TLS (certificates from test/helpers/peer-certs.ts).
// Prints numbers only; nothing here asserts on speed.

import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { TcpTransport } from '../src/transport/tcp.ts';
import { GroupDecoder, GroupEncoder, Reader, encodeMessageFrames, messageSize, readBatchBody, type Outgoing } from '../src/transport/codec.ts';
import { FrameDecoder } from '../src/transport/frame.ts';
import { newMessage } from '../src/raft/message.ts';
import type { Message } from '../src/raft/types.ts';
import type { PeerTlsMaterial } from '../src/transport/tcp-tls.ts';
import { makePeerCerts, readPem } from '../test/helpers/peer-certs.ts';

const secondsPerCase = Number(process.argv[2] ?? 3);
const WINDOW_BYTES = 8 * 1024 * 1024;
const ROUNDS_MAX = 100_000_000;
const silent = pino({ level: 'silent' });
const disk1 = randomUUID();
const disk2 = randomUUID();

function heartbeat(group: number): Message {
  return { ...newMessage('hb', 1, 2, 7), commit: 1_000_000 + group, storageId: disk1, toStorageId: disk2 };
}

function append(index: number): Message {
  const entries = [];
  for (let i = 0; i < 4; i++) entries.push({ index: index + i, term: 7, type: 'normal' as const, data: Buffer.alloc(4096, i) });
  return { ...newMessage('app', 1, 2, 7), index: index - 1, logTerm: 7, commit: index - 1, entries, storageId: disk1 };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function pair(internGroups: boolean, tls: PeerTlsMaterial | null): Promise<{ a: TcpTransport; b: TcpTransport; received: () => number }> {
  let received = 0;
  const common = { listenHost: '127.0.0.1', listenPort: 0, peers: new Map<number, string>(), clusterSecret: 'bench-secret', logger: silent, internGroups, tls };
  const a = new TcpTransport({ ...common, nodeId: 1, storageId: disk1 });
  const b = new TcpTransport({ ...common, nodeId: 2, storageId: disk2 });
  b.onMessage(() => {
    received++;
  });
  await a.start();
  await b.start();
  const peers = new Map([
    [1, `127.0.0.1:${a.port}`],
    [2, `127.0.0.1:${b.port}`],
  ]);
  a.setPeers(peers);
  b.setPeers(peers);
  for (let i = 0; i < 1000 && !a.peerStatus()[0]!.connected; i++) await new Promise((r) => setTimeout(r, 5));
  if (!a.peerStatus()[0]!.connected) throw new Error('bench: transports did not connect');
  return { a, b, received: () => received };
}

async function tcpCase(
  name: string,
  internGroups: boolean,
  perFlush: Array<{ group: string; msg: Message }>,
  tls: PeerTlsMaterial | null = null,
): Promise<void> {
  const { a, b, received } = await pair(internGroups, tls);
  const budgetMs = secondsPerCase * 1000;
  const start = performance.now();
  let rounds = 0;
  let sent = 0;
  // Keep at most WINDOW_BYTES between what a wrote and what b read, like Raft's flow control.
  while (rounds < ROUNDS_MAX && performance.now() - start < budgetMs) {
    const inFlight = a.peerStatus()[0]!.bytesOut - b.peerStatus()[0]!.bytesIn;
    if (inFlight > WINDOW_BYTES) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    for (const { group, msg } of perFlush) a.send(2, group, msg);
    a.flush();
    sent += perFlush.length;
    rounds++;
    if (rounds % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 2000 && received() < sent; i++) await new Promise((r) => setTimeout(r, 1));
  const seconds = (performance.now() - start) / 1000;
  const s = a.peerStatus()[0]!;
  const got = received();
  console.log(
    `${name.padEnd(52)} ${fmt(got / seconds).padStart(11)} msg/s ${(s.bytesOut / seconds / 1e6).toFixed(0).padStart(6)} MB/s  ` +
      `${(s.bytesOut / s.framesOut).toFixed(0).padStart(7)} B/frame  dropped ${s.droppedQueueFull + s.droppedDisconnected}`,
  );
  if (got !== sent) console.log(`  (sent ${sent}, received ${got})`);
  await a.close();
  await b.close();
}

function codecCase(name: string, internGroups: boolean, perFlush: Array<{ group: string; msg: Message }>): void {
  const items: Outgoing[] = perFlush.map(({ group, msg }) => ({ group, msg, size: messageSize(msg) }));
  const enc = new GroupEncoder(internGroups);
  const dec = new GroupDecoder();
  const fd = new FrameDecoder(1 << 30);
  const budgetMs = secondsPerCase * 500;
  const start = performance.now();
  let n = 0;
  let bytes = 0;
  let frameBytes = 0;
  while (n < ROUNDS_MAX && performance.now() - start < budgetMs) {
    for (let i = 0; i < 64; i++) {
      const frames = encodeMessageFrames(enc, items, 1 << 30);
      for (const f of frames) {
        bytes += f.length;
        frameBytes = f.length;
        for (const fr of fd.push(f)) readBatchBody(new Reader(fr.body), dec, 1, 2);
      }
    }
    n += 64;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${name.padEnd(52)} ${fmt((n * items.length) / seconds).padStart(11)} msg/s ${(bytes / seconds / 1e6).toFixed(0).padStart(6)} MB/s  ${String(frameBytes).padStart(7)} B/frame`,
  );
}

const heartbeats = Array.from({ length: 100 }, (_, g) => ({ group: `topic-${g}`, msg: heartbeat(g) }));
const appends = Array.from({ length: 8 }, (_, g) => ({ group: `topic-${g}`, msg: append(1000 + g * 4) }));

console.log(`transport bench, ${secondsPerCase} s per case (hb = heartbeat with two storage UUIDs; app = 4 × 4 KiB entries)`);
console.log('codec only (encode + frame split + decode, one thread):');
codecCase('  100 groups × hb per frame, groups interned', true, heartbeats);
codecCase('  100 groups × hb per frame, group names literal', false, heartbeats);
codecCase('  8 groups × app 16 KiB per frame', true, appends);
console.log('two TcpTransports on 127.0.0.1, one process, HMAC handshake:');
await tcpCase('  100 groups × hb per flush, groups interned', true, heartbeats);
await tcpCase('  100 groups × hb per flush, group names literal', false, heartbeats);
await tcpCase('  1 hb per flush (no coalescing)', true, heartbeats.slice(0, 1));
await tcpCase('  8 groups × app 16 KiB per flush', true, appends);
await tcpCase('  1 app 16 KiB per flush', true, appends.slice(0, 1));

const certs = makePeerCerts();
try {
  const tls = readPem(certs.broker);
  console.log('the same over mutual TLS (cluster.tls):');
  await tcpCase('  100 groups × hb per flush, groups interned, TLS', true, heartbeats, tls);
  await tcpCase('  1 hb per flush (no coalescing), TLS', true, heartbeats.slice(0, 1), tls);
  await tcpCase('  8 groups × app 16 KiB per flush, TLS', true, appends, tls);
  await tcpCase('  1 app 16 KiB per flush, TLS', true, appends.slice(0, 1), tls);
} finally {
  certs.remove();
}

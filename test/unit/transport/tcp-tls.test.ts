// TcpTransport with TLS between peers (cluster.tls, issue 15 "Between brokers"): messages flow
// over mutual TLS, the bytes on the wire are not plaintext, and a peer is refused (and logged
// once) when its certificate is from another CA or names another host, when it speaks plain TCP
// to a TLS port or TLS to a plain one, or when it has the wrong cluster secret inside TLS.
// Every transport, proxy and socket a test opens is closed in its finally block.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TcpTransportConfig } from '../../../src/transport/tcp.ts';
import { newMessage } from '../../../src/raft/message.ts';
import type { LogLine } from './helpers.ts';
import { startNode as startTcpNode, type Node } from './tcp-node.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { makePeerCerts, readPem } from '../../helpers/peer-certs.ts';

const certs = makePeerCerts();
after(() => certs.remove());
const GOOD = readPem(certs.broker);
const OTHER_CA = readPem(certs.otherCa);
const WRONG_NAME = readPem(certs.wrongName);
const EXPIRED = readPem(certs.expired);

/** A node with TLS on (the good certificate) unless `over` says otherwise. */
function startNode(nodeId: number, over: Partial<TcpTransportConfig> = {}): Promise<Node> {
  return startTcpNode(nodeId, { tls: GOOD, ...over, limits: { reconnectMaxMs: 50, ...over.limits } });
}

function mesh(a: Node, b: Node, bAddress = `127.0.0.1:${b.t.port}`): void {
  const all = new Map([
    [a.t.nodeId, `127.0.0.1:${a.t.port}`],
    [b.t.nodeId, bAddress],
  ]);
  a.t.setPeers(all);
  b.t.setPeers(new Map([...all, [b.t.nodeId, `127.0.0.1:${b.t.port}`]]));
}

function connected(n: Node, peer: number): boolean {
  return n.t.peerStatus().some((p) => p.nodeId === peer && p.connected);
}

function lastError(n: Node, peer: number): string {
  return n.t.peerStatus().find((p) => p.nodeId === peer)?.lastError ?? '';
}

function logged(n: Node, re: RegExp): LogLine[] {
  return n.lines.filter((l) => re.test(l.msg) || re.test(String(l.err ?? '')) || re.test(String(l.text ?? '')));
}

/** A TCP relay that records every byte in both directions. */
async function recordingProxy(targetPort: number): Promise<{ server: Server; port: number; bytes: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      chunks.push(d);
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    bytes: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const PAYLOAD = Buffer.from('RECOGNISABLE-RECORD-PAYLOAD-0123456789');

/** Node 1 dials node 2 through a recording proxy; one entry each way. Returns what the proxy saw. */
async function exchangeThroughProxy(tls: boolean): Promise<Buffer> {
  const over = tls ? {} : { tls: null };
  const a = await startNode(1, over);
  const b = await startNode(2, over);
  const proxy = await recordingProxy(b.t.port);
  try {
    mesh(a, b, `127.0.0.1:${proxy.port}`);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connection 1-2 through the proxy');
    const entry = (from: number, to: number) => ({
      ...newMessage('app', from, to, 3),
      entries: [{ index: 1, term: 3, type: 'normal' as const, data: PAYLOAD }],
    });
    a.t.send(2, 'topic-0', entry(1, 2));
    b.t.send(1, 'topic-0', entry(2, 1));
    a.t.flush();
    b.t.flush();
    await waitFor(() => a.got.length === 1 && b.got.length === 1, 'both directions delivered');
    assert.deepEqual(Buffer.from(b.got[0]!.msg.entries[0]!.data), PAYLOAD);
    assert.deepEqual(Buffer.from(a.got[0]!.msg.entries[0]!.data), PAYLOAD);
    return proxy.bytes();
  } finally {
    await Promise.all([a.t.close(), b.t.close(), proxy.close()]);
  }
}

test('issue 15 (between brokers): two TLS peers exchange messages both ways, and a proxy between them sees no record payload', async () => {
  const plain = await exchangeThroughProxy(false);
  // The control: without TLS the payload and the group name cross in the clear.
  assert.ok(plain.includes(PAYLOAD), 'a plaintext connection carries the payload as is');
  const encrypted = await exchangeThroughProxy(true);
  assert.ok(encrypted.length > 2 * PAYLOAD.length, 'the proxy saw the exchange');
  assert.equal(encrypted[0], 0x16, 'the dialer opens with a TLS handshake record');
  assert.ok(!encrypted.includes(PAYLOAD), 'no record payload in the clear');
  assert.ok(!encrypted.includes(Buffer.from('topic-0')), 'no group name in the clear');
  assert.ok(!encrypted.includes(Buffer.from('disk-1')), 'no storage id in the clear');
});

test('issue 15 (between brokers): a peer whose certificate is from another CA is refused, both as dialer and as acceptor, and logged once', async () => {
  // Node 1 (the dialer) has the other CA's certificate and trusts only that CA.
  const a = await startNode(1, { tls: OTHER_CA });
  const b = await startNode(2);
  try {
    mesh(a, b);
    await waitFor(() => a.t.peerStatus()[0]!.lastError !== null && logged(b, /TLS handshake failed/).length > 0, 'refusal on both sides');
    // Let the dialer retry many times (10-50 ms backoff): still one line per side.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(connected(a, 2), false);
    assert.equal(connected(b, 1), false);
    const dialer = logged(a, /TLS handshake failed/);
    const acceptor = logged(b, /TLS handshake failed/);
    assert.equal(dialer.length, 1, JSON.stringify(a.lines));
    assert.equal(acceptor.length, 1, JSON.stringify(b.lines));
    assert.equal(dialer[0]!.level, 'warn');
    assert.match(String(dialer[0]!.code), /SELF_SIGNED|UNABLE_TO|CERT_/);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

test('issue 15 (between brokers): an expired certificate from the cluster CA is refused by the peer it dials, and logged once', async () => {
  const a = await startNode(1, { tls: EXPIRED });
  const b = await startNode(2);
  try {
    mesh(a, b);
    await waitFor(() => logged(b, /TLS handshake failed/).length > 0, 'refusal');
    await new Promise((r) => setTimeout(r, 300));
    const lines = logged(b, /TLS handshake failed/);
    assert.equal(lines.length, 1, JSON.stringify(b.lines));
    assert.equal(lines[0]!.code, 'CERT_HAS_EXPIRED');
    assert.equal(connected(a, 2), false);
    assert.equal(connected(b, 1), false);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

test('issue 15 (between brokers): a certificate from the cluster CA that does not name the peer is refused (dialer checks the acceptor, acceptor checks the dialer)', async () => {
  // Acceptor side: node 1 dials with a certificate for other.invalid; its configured address is 127.0.0.1.
  const a = await startNode(1, { tls: WRONG_NAME });
  const b = await startNode(2);
  try {
    mesh(a, b);
    await waitFor(() => logged(b, /does not name its address/).length > 0, 'acceptor refusal');
    assert.equal(logged(b, /does not name its address/)[0]!.reason, 'certificate');
    await waitFor(() => /certificate/.test(lastError(a, 2)), 'the dialer hears why');
    assert.equal(connected(a, 2), false);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
  // Dialer side: node 2 listens with the certificate for other.invalid; node 1 dials 127.0.0.1.
  const c = await startNode(1);
  const d = await startNode(2, { tls: WRONG_NAME });
  try {
    mesh(c, d);
    await waitFor(() => logged(c, /TLS handshake failed/).length > 0, 'dialer refusal');
    assert.equal(logged(c, /TLS handshake failed/)[0]!.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.equal(connected(c, 2), false);
  } finally {
    await Promise.all([c.t.close(), d.t.close()]);
  }
});

test('issue 15 (between brokers): a plaintext peer dialing a TLS port is refused, and so is a TLS peer dialing a plaintext port; each logged once', async () => {
  const a = await startNode(1, { tls: null });
  const b = await startNode(2);
  try {
    mesh(a, b);
    await waitFor(() => logged(b, /TLS handshake failed/).length > 0 && /cluster\.tls/.test(lastError(a, 2)), 'plain dialer refused');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(logged(b, /TLS handshake failed/).length, 1);
    assert.equal(connected(a, 2), false);
    assert.equal(connected(b, 1), false);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
  const c = await startNode(1);
  const d = await startNode(2, { tls: null });
  try {
    mesh(c, d);
    await waitFor(() => logged(d, /TLS dial on a plaintext peer port/).length > 0 && logged(c, /TLS handshake failed/).length > 0, 'TLS dialer refused');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(logged(d, /TLS dial on a plaintext peer port/).length, 1);
    assert.equal(logged(c, /TLS handshake failed/).length, 1);
    assert.equal(connected(c, 2), false);
  } finally {
    await Promise.all([c.t.close(), d.t.close()]);
  }
});

test('issue 15 (between brokers): inside TLS the cluster secret is still checked', async () => {
  const a = await startNode(1, { clusterSecret: 'not-the-secret' });
  const b = await startNode(2);
  try {
    mesh(a, b);
    await waitFor(() => logged(b, /refused/).length > 0 && /secret/.test(lastError(a, 2)), 'refusal');
    assert.equal(logged(b, /refused/)[0]!.reason, 'badProof');
    assert.equal(connected(a, 2), false);
    assert.equal(connected(b, 1), false);
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

test('issue 15 (between brokers): updateTls (a certificate reload) applies to the next connections; failed TLS handshakes do not use up maxPendingHandshakes', async () => {
  const a = await startNode(1, { tls: OTHER_CA });
  const b = await startNode(2, { limits: { maxPendingHandshakes: 2 } });
  try {
    mesh(a, b);
    await waitFor(() => logged(a, /TLS handshake failed/).length > 0, 'refused with the old certificate');
    // Many refused attempts (10-50 ms backoff), far more than the two pending handshakes allowed.
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(a.t.usesTls, true);
    a.t.updateTls(GOOD);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'connected after the reload');
  } finally {
    await Promise.all([a.t.close(), b.t.close()]);
  }
});

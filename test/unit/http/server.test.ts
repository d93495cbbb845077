// The operator HTTP server (src/http/server.ts): GET /status answers the node's status as
// JSON, GET /health answers {"ok":true}, port 0 binds a free port and reports it, and a
// port already in use is an error that names http.port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildHttpApp, startHttpServer } from '../../../src/http/server.ts';
import { clusterStatus as sampleStatus } from '../../helpers/node-status.ts';

/** A logger that keeps its lines, so a test can see what the server logged. */
function capturingLogger(level = 'info'): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level }, sink);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

test('GET /status answers the current status() as JSON, computed per request', async () => {
  let calls = 0;
  const app = buildHttpApp(() => {
    calls++;
    return { ...sampleStatus(), controllerId: calls };
  }, capturingLogger().logger);
  try {
    const first = await app.inject({ method: 'GET', url: '/status' });
    assert.equal(first.statusCode, 200);
    assert.match(String(first.headers['content-type']), /^application\/json/);
    assert.equal(first.headers['cache-control'], 'no-store');
    assert.deepEqual(first.json(), { ...sampleStatus(), controllerId: 1 });
    const second = await app.inject({ method: 'GET', url: '/status' });
    assert.equal(second.json().controllerId, 2, 'a second request sees the status of its own moment');
  } finally {
    await app.close();
  }
});

test('GET /health answers 200 {"ok":true}; unknown paths answer 404', async () => {
  const app = buildHttpApp(sampleStatus, capturingLogger().logger);
  try {
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { ok: true });
    assert.equal((await app.inject({ method: 'GET', url: '/nope' })).statusCode, 404);
  } finally {
    await app.close();
  }
});

test('a status() that throws answers 500 and is logged, the server keeps serving', async () => {
  const { logger, lines } = capturingLogger();
  const app = buildHttpApp(() => {
    throw new Error('metadata not loaded');
  }, logger);
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/status' })).statusCode, 500);
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.ok(
      lines().some((l) => l.level === 50 && l.component === 'http'),
      'the failure is logged at error',
    );
  } finally {
    await app.close();
  }
});

test("fastify's per-request info lines stay out of the broker log (only warn and above pass)", async () => {
  const { logger, lines } = capturingLogger('trace');
  const app = buildHttpApp(sampleStatus, logger);
  try {
    await app.inject({ method: 'GET', url: '/health' });
    assert.deepEqual(
      lines().filter((l) => l.component === 'http'),
      [],
    );
  } finally {
    await app.close();
  }
});

test('port 0 binds a free port, reports it, and answers over real HTTP until closed', async () => {
  const server = await startHttpServer({ host: '127.0.0.1', port: 0 }, sampleStatus, capturingLogger().logger);
  let closed = false;
  try {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    const res = await fetch(`http://127.0.0.1:${server.port}/status`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), sampleStatus());
    await server.close();
    closed = true;
    await assert.rejects(fetch(`http://127.0.0.1:${server.port}/health`), 'nothing listens after close()');
  } finally {
    if (!closed) await server.close();
  }
});

test('a port already in use rejects with a message naming http.port and EADDRINUSE', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(startHttpServer({ host: '127.0.0.1', port }, sampleStatus, capturingLogger().logger), (err: Error) => {
      assert.match(err.message, new RegExp(`^http\\.port ${port}: 127\\.0\\.0\\.1:${port} is already in use \\(EADDRINUSE\\)`));
      return true;
    });
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

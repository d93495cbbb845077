// issue 15, "Operations surface": a broker with http.auth.mode "token" answers every route of its
// HTTP server 401 (with WWW-Authenticate and the API's {error, message} body) to a request
// without the token or with a wrong one, and serves it with the right one; /metrics and the
// probes answer without it only with http.auth.metrics_open. Refusals are logged once per client
// a minute, and the token appears in no log line, status or error body. Over http.tls the same
// holds for a real HTTPS client and for WebSocket tails (header or the dashboard's login cookie).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes, X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { RunnelConfig } from '../../src/config/index.ts';
import { LogRing } from '../../src/log/index.ts';
import { startBrokerNode, type BrokerNode } from '../../src/node/broker-node.ts';
import { WsRefusedError } from '../../src/cli/runnel/ws-client.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';
import { captureLogger } from '../helpers/log-capture.ts';
import { selfSignedCert, type SelfSignedCert } from '../helpers/self-signed-cert.ts';
import { TailClient } from '../helpers/ws-tail.ts';
import { waitFor } from '../helpers/wait-for.ts';

interface AuthBroker {
  node: BrokerNode;
  token: string;
  cert: SelfSignedCert | null;
  lines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startAuthBroker(name: string, tune: (config: RunnelConfig) => void, tls = false): Promise<AuthBroker> {
  const { dataDir, config } = inProcessConfig(`httpauth-${name}`);
  const token = randomBytes(24).toString('base64url');
  const tokenFile = join(dataDir, 'http-token');
  writeFileSync(tokenFile, `${token}\n`);
  chmodSync(tokenFile, 0o600);
  config.http.auth = { mode: 'token', token_file: tokenFile, metrics_open: false };
  const cert = tls ? selfSignedCert(name) : null;
  if (cert) {
    config.http.tls = true;
    config.tls.cert_file = cert.certFile;
    config.tls.key_file = cert.keyFile;
  }
  tune(config);
  const captured = captureLogger();
  const ring = new LogRing({ linesMax: 100, lineBytesMax: 16 * 1024 });
  const node = await startBrokerNode(config, captured.logger, { logRing: ring });
  return {
    node,
    token,
    cert,
    lines: captured.lines,
    async close() {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (cert) rmSync(cert.dir, { recursive: true, force: true });
    },
  };
}

/** Every method and route the app serves, from fastify's own route tree (a route added later is covered too). */
function allRoutes(broker: AuthBroker): Array<{ method: string; url: string }> {
  const tree = broker.node.http!.app.printRoutes({ commonPrefix: false });
  const routes: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    // "    │   └── /:id (GET, HEAD)": four characters of indent per level, then the path's next piece.
    const m = /^([│ ]*)(?:├── |└── )(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    stack.length = m[1]!.length / 4;
    stack.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push({ method, url: stack.join('') });
  }
  return routes;
}

const OPEN = new Set(['GET /', 'GET /dashboard/:file', 'POST /v1/auth/login', 'POST /v1/auth/logout', 'GET /v1/auth/session']);

/** A concrete URL for a route pattern (a path parameter becomes a name that exists nowhere). */
function concrete(url: string): string {
  return url.replace(/:([a-z]+)/g, (_m, name: string) => (name === 'file' ? 'app.js' : name === 'id' ? '1' : 'no-such'));
}

test('token mode: every route is refused without the token or with a wrong one, and served with it; refusals are logged once', async () => {
  const broker = await startAuthBroker('routes', () => undefined);
  try {
    const app = broker.node.http!.app;
    const routes = allRoutes(broker);
    // The tree names every kind of route: admin API, unversioned aliases, tails, metrics, dashboard.
    for (const expected of ['GET /v1/topics', 'POST /v1/topics', 'GET /status', 'GET /metrics', 'GET /v1/ws/logs', 'GET /dashboard/:file']) {
      assert.ok(
        routes.some((r) => `${r.method} ${r.url}` === expected),
        `${expected} in ${routes.map((r) => `${r.method} ${r.url}`).join(', ')}`,
      );
    }
    for (const { method, url } of routes) {
      const key = `${method} ${url}`;
      // The login route is open: it takes the token in its body instead.
      const payload = method === 'GET' || method === 'DELETE' ? undefined : key === 'POST /v1/auth/login' ? { token: broker.token } : {};
      const none = await app.inject({ method: method as 'GET', url: concrete(url), ...(payload && { payload }) });
      if (OPEN.has(key)) {
        assert.notEqual(none.statusCode, 401, `${key} is open`);
        continue;
      }
      // metrics_open is false here: the probes need the token too.
      assert.equal(none.statusCode, 401, `${key} without credentials: ${none.body}`);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="runnel"', key);
      assert.equal(none.json().error, 'UNAUTHENTICATED', key);
      assert.match(none.json().message, /no credentials.*Authorization: Bearer/, key);
      const authorization = `Bearer ${broker.token}`;
      const allowed = await app.inject({ method: method as 'GET', url: concrete(url), headers: { authorization }, ...(payload && { payload }) });
      assert.notEqual(allowed.statusCode, 401, `${key} with the token: ${allowed.body}`);
      assert.notEqual(allowed.statusCode, 500, `${key} with the token: ${allowed.body}`);
    }
    for (const wrong of [`${broker.token}x`, broker.token.slice(1), '']) {
      const res = await app.inject({ method: 'GET', url: '/v1/topics', headers: { authorization: `Bearer ${wrong}` } });
      assert.equal(res.statusCode, 401, `token "${wrong}" is refused`);
    }
    const basic = await app.inject({ method: 'GET', url: '/v1/topics', headers: { authorization: 'Basic YWRtaW46c2VjcmV0' } });
    assert.equal(basic.statusCode, 401, 'basic credentials do nothing in token mode');

    const refusals = broker.lines.filter((l) => l.msg === 'HTTP request refused: not authenticated');
    assert.equal(refusals.length, 1, 'dozens of refusals from one client are one log line a minute');
    assert.equal(refusals[0]!.client, '127.0.0.1');
  } finally {
    await broker.close();
  }
});

test('metrics_open leaves /metrics and the probes open, and nothing else', async () => {
  const broker = await startAuthBroker('metrics-open', (c) => (c.http.auth.metrics_open = true));
  try {
    const app = broker.node.http!.app;
    for (const url of ['/metrics', '/health', '/v1/health', '/v1/ready']) {
      const res = await app.inject({ method: 'GET', url });
      assert.ok(res.statusCode === 200 || res.statusCode === 503, `${url} open: ${res.statusCode}`);
    }
    assert.match((await app.inject({ method: 'GET', url: '/metrics' })).body, /runnel_/);
    for (const url of ['/status', '/v1/status', '/v1/topics', '/v1/cluster', '/openapi.json', '/v1/ws/logs']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, `${url} still needs the token`);
    }
  } finally {
    await broker.close();
  }
});

test('the token appears in no log line, status or error body', async () => {
  const broker = await startAuthBroker('no-secret', () => undefined);
  try {
    const app = broker.node.http!.app;
    const bodies: string[] = [];
    const ask = async (url: string, authorization?: string, method: 'GET' | 'POST' = 'GET', payload?: object) => {
      const res = await app.inject({ method, url, ...(authorization && { headers: { authorization } }), ...(payload && { payload }) });
      bodies.push(res.body, JSON.stringify(res.headers));
      return res;
    };
    await ask('/v1/status', `Bearer ${broker.token}`);
    await ask('/status', `Bearer ${broker.token}`);
    await ask('/v1/topics', `Bearer ${broker.token}x`);
    await ask('/v1/topics', `Bearer ${broker.token.slice(0, -1)}`);
    await ask('/v1/auth/login', undefined, 'POST', { token: `${broker.token}x` });
    await ask('/v1/auth/login', undefined, 'POST', { token: broker.token, extra: broker.token });
    await ask('/v1/topics/no-such', `Bearer ${broker.token}`);
    const logs = broker.lines.map((l) => JSON.stringify(l)).join('\n');
    assert.ok(logs.includes('HTTP request refused'), 'the refusals were logged');
    // The token and any 8-character piece of it.
    for (let i = 0; i + 8 <= broker.token.length; i += 4) {
      const piece = broker.token.slice(i, i + 8);
      assert.ok(!logs.includes(piece), `the log holds a piece of the token: ${piece}`);
      for (const body of bodies) assert.ok(!body.includes(piece), `a response holds a piece of the token: ${body.slice(0, 200)}`);
    }
  } finally {
    await broker.close();
  }
});

/** GET over HTTPS trusting `ca`; resolves with the status and body. */
function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

function httpsPost(port: number, path: string, ca: Buffer, body: object): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

test('http.tls: HTTPS with the token over a real connection; WebSocket tails need the token or the login cookie', async () => {
  const broker = await startAuthBroker('https', () => undefined, true);
  try {
    const port = broker.node.http!.port;
    const ca = broker.cert!.cert;
    assert.equal(broker.node.services.brokerConfigs['runnel.admin.address'], `https://127.0.0.1:${port}`, 'clients are told to speak HTTPS');
    const refused = await httpsGet(port, '/v1/topics', ca);
    assert.equal(refused.status, 401);
    const served = await httpsGet(port, '/v1/topics', ca, { authorization: `Bearer ${broker.token}` });
    assert.equal(served.status, 200, served.body);
    // Plain HTTP to the HTTPS port gets no answer from the API.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v1/topics`, { headers: { authorization: `Bearer ${broker.token}` } }));

    const url = `wss://127.0.0.1:${port}/v1/ws/logs`;
    await assert.rejects(TailClient.open(url, { ca }), (err: unknown) => err instanceof WsRefusedError && err.status === 401);
    const byHeader = await TailClient.open(url, { ca, headers: { authorization: `Bearer ${broker.token}` } });
    await byHeader.waitForType('live');
    await byHeader.close();

    // The dashboard's way: log in once, then the cookie (a browser cannot set headers on a WebSocket).
    const login = await httpsPost(port, '/v1/auth/login', ca, { token: broker.token });
    assert.equal(login.status, 200, login.body);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /^runnel_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    const cookie = setCookie.split(';')[0]!;
    const byCookie = await TailClient.open(url, { ca, headers: { cookie, origin: `https://127.0.0.1:${port}` } });
    await byCookie.waitForType('live');
    await byCookie.close();
    // The same cookie from another site's page is refused.
    await assert.rejects(
      TailClient.open(url, { ca, headers: { cookie, origin: 'https://evil.example' } }),
      (err: unknown) => err instanceof WsRefusedError && err.status === 403,
    );
    const wrongLogin = await httpsPost(port, '/v1/auth/login', ca, { token: 'nope' });
    assert.equal(wrongLogin.status, 401);
    assert.equal(wrongLogin.headers['set-cookie'], undefined);
  } finally {
    await broker.close();
  }
});

/** The fingerprint of the certificate the server at `port` presents now. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

test('tls.reload_interval: a new certificate on disk is served without a restart', async () => {
  const broker = await startAuthBroker('reload', (c) => (c.tls.reload_interval_ms = 100), true);
  const next = selfSignedCert('reload-next');
  try {
    const port = broker.node.http!.port;
    const before = await servedFingerprint(port);
    assert.equal(before, new X509Certificate(broker.cert!.cert).fingerprint256);
    // Both files replaced by renames, as a certificate manager does (a half-written file is never read).
    renameSync(next.keyFile, broker.cert!.keyFile);
    renameSync(next.certFile, broker.cert!.certFile);
    const expected = new X509Certificate(next.cert).fingerprint256;
    await waitFor(async () => (await servedFingerprint(port)) === expected, 'the new certificate served', 10_000, 50);
  } finally {
    await broker.close();
    rmSync(next.dir, { recursive: true, force: true });
  }
});

// issue 15, "Operations surface", basic mode and the dashboard's login (src/http/http-auth.ts):
// a user's password is checked against a SCRAM credential (salted, hashed: what SASL stores), a
// wrong one is refused 401 with a Basic challenge and logged once per client a minute without
// the password; after AUTH_FAILURES_PER_WINDOW_MAX wrong guesses a client gets 429 without a
// check until the window ends; a login cookie names its principal until it idles out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildHttpApp } from '../../../src/http/server.ts';
import { AUTH_FAILURE_WINDOW_MS, AUTH_FAILURES_PER_WINDOW_MAX } from '../../../src/http/auth-attempts.ts';
import { LOGIN_SESSION_IDLE_MS } from '../../../src/http/login-sessions.ts';
import { saltedPassword, scramIterationsMin, scramKeys } from '../../../src/security/scram-crypto.ts';
import { scramPasswordCheck } from '../../../src/node/http-security.ts';
import { clusterStatus } from '../../helpers/node-status.ts';

const PASSWORD = 'correct horse battery staple';

/** alice's stored SCRAM-SHA-512 credential and a check of a password against it (RFC 5802 §3: StoredKey). */
function scramCheck(): (user: string, password: string) => boolean {
  const salt = randomBytes(16);
  const stored = scramKeys('SCRAM-SHA-512', saltedPassword('SCRAM-SHA-512', PASSWORD, salt, scramIterationsMin)).storedKey;
  return (user, password) =>
    user === 'alice' && timingSafeEqual(scramKeys('SCRAM-SHA-512', saltedPassword('SCRAM-SHA-512', password, salt, scramIterationsMin)).storedKey, stored);
}

function basicApp(now: () => number) {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const app = buildHttpApp(
    clusterStatus,
    pino({ level: 'info' }, sink),
    {},
    {
      auth: { mode: 'basic', token: null, checkPassword: scramCheck(), metricsOpen: true, secure: false, now },
    },
  );
  return { app, log: () => chunks.join('') };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('basic mode: the right password is served as User:<name>, a wrong one refused with a Basic challenge and logged once, never with the password', async () => {
  const { app, log } = basicApp(Date.now);
  try {
    const ok = await app.inject({ method: 'GET', url: '/status', headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(ok.statusCode, 200);
    for (const [user, password] of [
      ['alice', `${PASSWORD}!`],
      ['alice', ''],
      ['bob', PASSWORD],
    ]) {
      const res = await app.inject({ method: 'GET', url: '/status', headers: { authorization: basic(user!, password!) } });
      assert.equal(res.statusCode, 401, `${user} refused`);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="runnel", charset="UTF-8"');
      assert.equal(res.json().error, 'UNAUTHENTICATED');
      assert.match(res.json().message, /unknown user or wrong password/);
      assert.ok(!res.body.includes(PASSWORD) && !res.body.includes('horse'), 'the body does not repeat the password');
    }
    const garbled = await app.inject({ method: 'GET', url: '/status', headers: { authorization: 'Basic !!!' } });
    assert.equal(garbled.statusCode, 401);
    const refusals = log()
      .split('\n')
      .filter((l) => l.includes('HTTP request refused'));
    assert.equal(refusals.length, 1, 'one line for four refusals from one client');
    assert.ok(!log().includes('horse') && !log().includes(Buffer.from(`alice:${PASSWORD}`).toString('base64')), 'the log holds no password');
    // The probes are open (metrics_open), the login form's page too; an unknown route is not told apart from a closed one.
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/no-such' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('after too many wrong guesses a client gets 429 without a check until the window ends', async () => {
  let nowMs = 1_000_000;
  const { app } = basicApp(() => nowMs);
  try {
    for (let i = 0; i < AUTH_FAILURES_PER_WINDOW_MAX; i++) {
      const res = await app.inject({ method: 'GET', url: '/status', headers: { authorization: basic('alice', `guess${i}`) } });
      assert.equal(res.statusCode, 401);
    }
    const blocked = await app.inject({ method: 'GET', url: '/status', headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(blocked.statusCode, 429, 'even the right password waits: nothing is checked');
    assert.equal(blocked.json().error, 'TOO_MANY_ATTEMPTS');
    assert.equal(blocked.headers['retry-after'], String(AUTH_FAILURE_WINDOW_MS / 1000));
    const other = await app.inject({ method: 'GET', url: '/status', remoteAddress: '10.0.0.2', headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(other.statusCode, 200, 'another client is not held back');
    nowMs += AUTH_FAILURE_WINDOW_MS;
    const later = await app.inject({ method: 'GET', url: '/status', headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(later.statusCode, 200);
  } finally {
    await app.close();
  }
});

test('the dashboard login: a cookie for the right password, usable until it idles out, ended by logout', async () => {
  let nowMs = 5_000_000;
  const { app } = basicApp(() => nowMs);
  try {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/auth/session' })).json(), { mode: 'basic', principal: null });
    const wrong = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'alice', password: 'nope' } });
    assert.equal(wrong.statusCode, 401);
    const login = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'alice', password: PASSWORD } });
    assert.equal(login.statusCode, 200);
    assert.deepEqual(login.json(), { principal: 'User:alice' });
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly; SameSite=Strict/);
    assert.ok(!setCookie.includes('Secure'), 'plain HTTP: no Secure flag, or the browser would drop it');
    const cookie = setCookie.split(';')[0]!;
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } })).json(), { mode: 'basic', principal: 'User:alice' });
    assert.equal((await app.inject({ method: 'GET', url: '/status', headers: { cookie } })).statusCode, 200);
    nowMs += LOGIN_SESSION_IDLE_MS - 1;
    assert.equal((await app.inject({ method: 'GET', url: '/status', headers: { cookie } })).statusCode, 200, 'used in time: still on');
    nowMs += LOGIN_SESSION_IDLE_MS + 1;
    const idle = await app.inject({ method: 'GET', url: '/status', headers: { cookie } });
    assert.equal(idle.statusCode, 401, 'idle too long: log in again');
    assert.match(idle.json().message, /session ended/);

    const again = String(
      (await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username: 'alice', password: PASSWORD } })).headers['set-cookie'],
    ).split(';')[0]!;
    await app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie: again } });
    assert.equal((await app.inject({ method: 'GET', url: '/status', headers: { cookie: again } })).statusCode, 401, 'logged out');
  } finally {
    await app.close();
  }
});

test('a topic tail asks the authorizer for READ on the topic as the authenticated principal, before it looks the topic up', async () => {
  const asked: string[] = [];
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const check = scramCheck();
  const app = buildHttpApp(
    clusterStatus,
    pino({ level: 'info' }, sink),
    {
      tails: {
        source: { nodeId: 1, partitionCount: (topic) => (topic === 'orders' ? 1 : undefined), committedReader: () => undefined, hosts: () => [1] },
        logRing: null,
        limits: { connectionsMax: 4, bufferBytesMax: 1 << 20, messagesPerSecondMax: 100, keyBytesMax: 256, uncompressedBytesMax: 1 << 20 },
        // The ACL the broker's authorizer would hold: alice may READ orders, nobody else anything.
        authorizer: {
          check: (session, operation, resourceType, name) => {
            asked.push(`${session.principal}@${session.host} ${operation} ${resourceType} ${name}`);
            return session.principal === 'User:alice' && name === 'orders';
          },
        },
      },
    },
    // Both users have alice's password here; only the ACL tells them apart.
    { auth: { mode: 'basic', token: null, checkPassword: (_user, password) => check('alice', password), metricsOpen: true, secure: false } },
  );
  try {
    const denied = await app.inject({ method: 'GET', url: '/v1/ws/topics/orders', headers: { authorization: basic('bob', PASSWORD) } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error, 'TOPIC_AUTHORIZATION_FAILED');
    const hidden = await app.inject({ method: 'GET', url: '/v1/ws/topics/secret-plans', headers: { authorization: basic('alice', PASSWORD) } });
    assert.equal(hidden.statusCode, 403, 'a topic that does not exist and one not allowed look the same');
    const allowed = await app.inject({ method: 'GET', url: '/v1/ws/topics/orders', headers: { authorization: basic('alice', PASSWORD) } });
    assert.notEqual(allowed.statusCode, 403, 'alice may read orders (no upgrade asked here, so no tail opens)');
    assert.deepEqual(asked, ['User:bob@127.0.0.1 READ TOPIC orders', 'User:alice@127.0.0.1 READ TOPIC secret-plans', 'User:alice@127.0.0.1 READ TOPIC orders']);
  } finally {
    await app.close();
  }
});

test('basic auth over stored SCRAM credentials: SHA-512 first, SHA-256 when the user has only that, and an unknown user costs a check too', () => {
  type Cred = { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256'; salt: Buffer; storedKey: Buffer };
  const make = (mechanism: Cred['mechanism'], password: string): Cred => {
    const salt = randomBytes(16);
    return { mechanism, salt, storedKey: scramKeys(mechanism, saltedPassword(mechanism, password, salt, scramIterationsMin)).storedKey };
  };
  const stored = new Map<string, Cred>([
    ['alice/SCRAM-SHA-512', make('SCRAM-SHA-512', PASSWORD)],
    ['bob/SCRAM-SHA-256', make('SCRAM-SHA-256', 'bobs password')],
  ]);
  const verified: string[] = [];
  const verify = (c: Cred, password: string) => {
    verified.push(c.mechanism);
    return timingSafeEqual(scramKeys(c.mechanism, saltedPassword(c.mechanism, password, c.salt, scramIterationsMin)).storedKey, c.storedKey);
  };
  const check = scramPasswordCheck((user, mechanism) => stored.get(`${user}/${mechanism}`), verify, make('SCRAM-SHA-512', randomBytes(16).toString('hex')));
  assert.equal(check('alice', PASSWORD), true);
  assert.equal(check('alice', 'nope'), false);
  assert.equal(check('bob', 'bobs password'), true);
  assert.equal(check('mallory', PASSWORD), false);
  assert.deepEqual(verified, ['SCRAM-SHA-512', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], 'one PBKDF2 per check, the unknown user included');
});

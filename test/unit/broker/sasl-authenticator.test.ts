// issue 15 / KIP-368: the per-connection SASL state (src/broker/sasl-authenticator.ts): the gate
// before login, the handshake versions, and re-authentication rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { SaslAuthenticator, type SaslEnvironment } from '../../../src/broker/sasl-authenticator.ts';
import { ApiKey } from '../../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { LogOnce } from '../../../src/log/index.ts';
import { credentialFromPassword } from '../../../src/security/credentials.ts';
import { ANONYMOUS_PRINCIPAL, type Session } from '../../../src/security/session.ts';

const creds = new Map([
  ['alice', credentialFromPassword('SCRAM-SHA-512', 'a', Buffer.from('s'), 4096)],
  ['bob', credentialFromPassword('SCRAM-SHA-512', 'b', Buffer.from('s'), 4096)],
]);

function setup(sessionLifetimeMs = 0) {
  let now = 0;
  const env: SaslEnvironment = {
    mechanisms: ['PLAIN', 'SCRAM-SHA-512'],
    sessionLifetimeMs,
    lookup: (user, mechanism) => (mechanism === 'SCRAM-SHA-512' ? creds.get(user) : undefined),
    nowMs: () => now,
    nonce: () => 'n0nce',
    unknownUserKey: Buffer.from('k'),
    failures: new LogOnce(pino({ level: 'silent' }), { intervalMs: 60_000 }),
  };
  const session: Session = { listener: 'SASL', securityProtocol: 'SASL_PLAINTEXT', host: '127.0.0.1', principal: ANONYMOUS_PRINCIPAL };
  return { auth: new SaslAuthenticator(env, session), session, advance: (ms: number) => (now += ms) };
}

const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`);

test('issue 15: before login only ApiVersions and SaslHandshake, then only SaslAuthenticate', () => {
  const { auth, session } = setup();
  assert.equal(auth.gate(ApiKey.ApiVersions), 'serve');
  assert.equal(auth.gate(ApiKey.SaslHandshake), 'serve');
  assert.equal(auth.gate(ApiKey.Metadata), 'unauthenticated');
  assert.equal(auth.gate(ApiKey.SaslAuthenticate), 'unauthenticated');
  assert.equal(auth.handshake('PLAIN', 1).errorCode, ErrorCode.NONE);
  assert.equal(auth.gate(ApiKey.SaslAuthenticate), 'serve');
  assert.equal(auth.gate(ApiKey.Metadata), 'unauthenticated');
  assert.equal(auth.authenticate(plain('alice', 'a')).errorCode, ErrorCode.NONE);
  assert.equal(session.principal, 'User:alice');
  assert.equal(auth.gate(ApiKey.Produce), 'serve');
  // A second SaslAuthenticate without a new handshake is out of order.
  assert.equal(auth.authenticate(plain('alice', 'a')).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.equal(auth.failed, true);
});

test('KIP-43: SaslHandshake v0 makes the next frame a raw token; an unknown mechanism fails the connection', () => {
  const v0 = setup().auth;
  v0.handshake('PLAIN', 0);
  assert.equal(v0.expectsRawToken, true);
  assert.equal(v0.authenticate(plain('alice', 'a')).errorCode, ErrorCode.NONE);
  assert.equal(v0.expectsRawToken, false);
  const unknown = setup().auth;
  assert.deepEqual(unknown.handshake('GSSAPI', 1), { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] });
  assert.equal(unknown.failed, true);
});

test('KIP-368: the session expires; re-authentication needs v1, the same mechanism and the same principal', () => {
  const { auth, advance } = setup(1_000);
  auth.handshake('PLAIN', 1);
  assert.equal(auth.authenticate(plain('alice', 'a')).sessionLifetimeMs, 1_000);
  advance(1_000);
  assert.equal(auth.gate(ApiKey.Metadata), 'expired');
  assert.equal(auth.gate(ApiKey.SaslHandshake), 'serve');
  assert.equal(auth.handshake('PLAIN', 1).errorCode, ErrorCode.NONE);
  assert.equal(auth.authenticate(plain('alice', 'a')).errorCode, ErrorCode.NONE);
  assert.equal(auth.gate(ApiKey.Metadata), 'serve');

  const other = setup(1_000);
  other.auth.handshake('PLAIN', 1);
  other.auth.authenticate(plain('alice', 'a'));
  other.auth.handshake('PLAIN', 1);
  assert.equal(other.auth.authenticate(plain('bob', 'b')).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(other.session.principal, 'User:alice');
  assert.equal(other.auth.failed, true);

  const v0 = setup(1_000);
  v0.auth.handshake('PLAIN', 1);
  v0.auth.authenticate(plain('alice', 'a'));
  assert.equal(v0.auth.handshake('PLAIN', 0).errorCode, ErrorCode.ILLEGAL_SASL_STATE);

  const switched = setup(1_000);
  switched.auth.handshake('PLAIN', 1);
  switched.auth.authenticate(plain('alice', 'a'));
  assert.equal(switched.auth.handshake('SCRAM-SHA-512', 1).errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
});

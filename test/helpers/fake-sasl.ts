// The broker side of SASL for FakeKafkaBroker, written from RFC 4616 / RFC 5802 and KIP-152 /
// KIP-368 independently of the client under test (it shares only the RFC arithmetic,
// src/security/scram-crypto.ts): SaslHandshake, SaslAuthenticate for PLAIN and SCRAM, a session
// lifetime, and a gate that closes the connection, as Kafka does, on any other request before
// login, in the middle of a (re-)login, or after the session expired. What the gate caught is
// recorded, so a test can assert nothing was.
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { proofMatches, type ScramMechanism, saltedPassword, scramKeys, serverSignature } from '../../src/security/scram-crypto.ts';
import type { FakeConnection, FakeHandler } from './fake-kafka-broker.ts';

export interface FakeSaslOptions {
  /** user → password. */
  users: Record<string, string>;
  /** Offered in SaslHandshake; default PLAIN and both SCRAMs. */
  mechanisms?: string[];
  /** KIP-368 session lifetime sent in SaslAuthenticate v1+; 0 = none. */
  sessionLifetimeMs?: number;
  /** Sign server-final with a wrong key (a server that does not hold the credential). */
  wrongServerSignature?: boolean;
}

export interface FakeSasl {
  /** Handlers for SaslHandshake and SaslAuthenticate, and `others` wrapped in the gate. */
  handlers(others: Record<number, FakeHandler>): Record<number, FakeHandler>;
  /** Successful logins, in order. */
  readonly logins: { connection: number; user: string; mechanism: string }[];
  /** Requests the gate refused (and closed the connection for): why, per request. */
  readonly refused: string[];
}

const ITERATIONS = 4096;
const FAILED = 'Authentication failed during authentication due to invalid credentials';

interface State {
  mechanism?: string;
  /** 'idle' between logins; 'handshake' after SaslHandshake; 'scram-first' after client-first. */
  step: 'idle' | 'handshake' | 'scram-first';
  authenticated: boolean;
  expiresAtMs: number;
  scram?: { user: string; clientFirstBare: string; serverFirst: string; nonce: string; salt: Buffer };
}

function stateOf(connection: FakeConnection): State {
  connection.state.sasl ??= { step: 'idle', authenticated: false, expiresAtMs: Number.POSITIVE_INFINITY };
  return connection.state.sasl as State;
}

export function fakeSasl(options: FakeSaslOptions): FakeSasl {
  const mechanisms = options.mechanisms ?? ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
  const lifetimeMs = options.sessionLifetimeMs ?? 0;
  const logins: FakeSasl['logins'] = [];
  const refused: string[] = [];

  const succeed = (connection: FakeConnection, state: State, user: string, version: number, authBytes: Buffer) => {
    state.step = 'idle';
    state.authenticated = true;
    state.expiresAtMs = lifetimeMs > 0 && version >= 1 ? Date.now() + lifetimeMs : Number.POSITIVE_INFINITY;
    logins.push({ connection: connection.id, user, mechanism: state.mechanism! });
    return { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs: version >= 1 ? lifetimeMs : 0 };
  };
  const fail = (state: State) => {
    state.step = 'idle';
    return {
      errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
      errorMessage: `${FAILED} with SASL mechanism ${state.mechanism}`,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    };
  };

  const handshake: FakeHandler = (body, _version, connection) => {
    const state = stateOf(connection);
    if (!mechanisms.includes(body.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    state.mechanism = body.mechanism;
    state.step = 'handshake';
    return { errorCode: 0, mechanisms };
  };

  const authenticate: FakeHandler = (body, version, connection) => {
    const state = stateOf(connection);
    const text = Buffer.from(body.authBytes).toString('utf8');
    if (state.step === 'handshake' && state.mechanism === 'PLAIN') {
      const [, user = '', password] = text.split('\0');
      return options.users[user] !== undefined && options.users[user] === password ? succeed(connection, state, user, version, Buffer.alloc(0)) : fail(state);
    }
    const mechanism = state.mechanism as ScramMechanism;
    if (state.step === 'handshake') {
      const match = /^n,,(n=([^,]*),r=([^,]*))$/.exec(text);
      if (!match) return fail(state);
      const user = match[2]!.replaceAll('=2C', ',').replaceAll('=3D', '=');
      const nonce = `${match[3]}${randomBytes(12).toString('base64')}`;
      const salt = randomBytes(16);
      const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
      state.scram = { user, clientFirstBare: match[1]!, serverFirst, nonce, salt };
      state.step = 'scram-first';
      return { errorCode: 0, errorMessage: null, authBytes: Buffer.from(serverFirst), sessionLifetimeMs: 0 };
    }
    if (state.step === 'scram-first' && state.scram) {
      const { user, clientFirstBare, serverFirst, nonce, salt } = state.scram;
      const match = /^(c=biws,r=([^,]*)),p=([^,]*)$/.exec(text);
      const password = options.users[user];
      // Kafka's ScramSaslServer checks that the nonce ENDS with its own: librdkafka sends its client nonce again in front.
      if (!match || !match[2]!.endsWith(nonce) || password === undefined) return fail(state);
      const authMessage = `${clientFirstBare},${serverFirst},${match[1]}`;
      const keys = scramKeys(mechanism, saltedPassword(mechanism, password, salt, ITERATIONS));
      if (!proofMatches(mechanism, keys, authMessage, Buffer.from(match[3]!, 'base64'))) return fail(state);
      const signingKey = options.wrongServerSignature ? randomBytes(keys.serverKey.length) : keys.serverKey;
      return succeed(connection, state, user, version, Buffer.from(`v=${serverSignature(mechanism, signingKey, authMessage).toString('base64')}`));
    }
    return {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: `SaslAuthenticate in step ${state.step}`,
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0,
    };
  };

  const gate =
    (apiKey: number, handler: FakeHandler): FakeHandler =>
    (body, version, connection) => {
      const state = stateOf(connection);
      const why = !state.authenticated
        ? 'before login'
        : state.step !== 'idle'
          ? 'in the middle of a re-login'
          : Date.now() >= state.expiresAtMs
            ? 'after the session expired'
            : null;
      if (why) {
        refused.push(`api ${apiKey} on connection ${connection.id} ${why}`);
        connection.close();
        return null;
      }
      return handler(body, version, connection);
    };

  return {
    logins,
    refused,
    handlers: (others) => {
      const out: Record<number, FakeHandler> = { [ApiKey.SaslHandshake]: handshake, [ApiKey.SaslAuthenticate]: authenticate };
      for (const [key, handler] of Object.entries(others)) out[Number(key)] = gate(Number(key), handler);
      return out;
    },
  };
}

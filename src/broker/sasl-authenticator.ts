// The SASL state of one connection on a SASL_PLAINTEXT or SASL_SSL listener (Kafka's
// SaslServerAuthenticator): which requests it may send, the mechanism exchange, and KIP-368's
// session lifetime.
//
//   handshake ──SaslHandshake v1──► token-v1 ──SaslAuthenticate…──► authenticated
//       └──────SaslHandshake v0──► token-v0 (raw size-prefixed tokens, no headers) ─┘
//   authenticated ──SaslHandshake v1 (KIP-368 re-authentication)──► token-v1 (same principal)
//   any failure ──► failed (the answer is sent, then the connection closes)
//
// Before authentication only ApiVersions and SaslHandshake (then SaslAuthenticate) are served;
// the connection closes on anything else, as Kafka's does. With sasl.session_lifetime > 0 an
// authenticated session expires that long after its login: a request after that, other than the
// SaslHandshake that starts a re-authentication, closes the connection.

import { ApiKey } from '../protocol/apis/index.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { LogOnce } from '../log/index.ts';
import type { Session } from '../security/session.ts';
import { PlainServer } from '../security/sasl-plain.ts';
import { ScramServer } from '../security/sasl-scram.ts';
import type { CredentialLookup, SaslMechanismName, SaslServerMechanism } from '../security/sasl-mechanism.ts';

/** What every SASL connection of a broker shares: the settings, the credentials, the inputs. */
export interface SaslEnvironment {
  /** The mechanisms offered (sasl.mechanisms), in the config's order. */
  mechanisms: readonly SaslMechanismName[];
  /** KIP-368: how long a login holds (sasl.session_lifetime_ms); 0: until the connection closes. */
  sessionLifetimeMs: number;
  lookup: CredentialLookup;
  nowMs: () => number;
  /** A fresh SCRAM server nonce: printable ASCII without ','. */
  nonce: () => string;
  /** Keys the made-up salt of unknown users (random per process). */
  unknownUserKey: Buffer;
  /** Failed logins: one line per client host and interval. */
  failures: LogOnce;
}

type Phase = 'handshake' | 'token-v1' | 'token-v0' | 'authenticated' | 'failed';

export type GateVerdict = 'serve' | 'unauthenticated' | 'expired';

export interface AuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export class SaslAuthenticator {
  private readonly env: SaslEnvironment;
  private readonly session: Session;
  private phase: Phase = 'handshake';
  private mechanism: SaslServerMechanism | null = null;
  private expiresAtMs: number | null = null;
  /** The principal of the first login: a re-authentication must prove the same one (KIP-368). */
  private loggedInAs: string | null = null;

  constructor(env: SaslEnvironment, session: Session) {
    this.env = env;
    this.session = session;
  }

  /** Whether the connection may send a request of `apiKey` now. */
  gate(apiKey: number): GateVerdict {
    switch (this.phase) {
      case 'handshake':
        return apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake ? 'serve' : 'unauthenticated';
      case 'token-v1':
        return apiKey === ApiKey.SaslAuthenticate ? 'serve' : 'unauthenticated';
      case 'token-v0':
      case 'failed':
        return 'unauthenticated';
      case 'authenticated':
        if (this.expiresAtMs !== null && this.env.nowMs() >= this.expiresAtMs && apiKey !== ApiKey.SaslHandshake) return 'expired';
        return 'serve';
    }
  }

  /** After a SaslHandshake v0: the next frame is a raw SASL token, not a request. */
  get expectsRawToken(): boolean {
    return this.phase === 'token-v0';
  }

  /** After a failed login or refused handshake: the answer goes out, then the connection closes. */
  get failed(): boolean {
    return this.phase === 'failed';
  }

  handshake(name: string, version: number): { errorCode: number; mechanisms: string[] } {
    const mechanisms = [...this.env.mechanisms];
    const reauthenticating = this.phase === 'authenticated';
    if (this.phase !== 'handshake' && !reauthenticating) {
      this.phase = 'failed';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    // KIP-368: re-authentication runs over SaslAuthenticate (v1), never the headerless v0 tokens.
    if (reauthenticating && version < 1) {
      this.phase = 'failed';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    const enabled = mechanisms.find((m) => m === name);
    if (!enabled || (reauthenticating && enabled !== this.mechanism?.mechanism)) {
      this.fail(name, null, enabled ? 'a re-authentication must use the mechanism of the login' : `mechanism ${name} is not enabled`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    this.mechanism = this.mechanismServer(enabled);
    this.phase = version === 0 ? 'token-v0' : 'token-v1';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  /** One SASL token from the client (a SaslAuthenticate's auth_bytes or a raw v0 frame). */
  authenticate(token: Buffer): AuthenticateAnswer {
    const mechanism = this.mechanism;
    if ((this.phase !== 'token-v1' && this.phase !== 'token-v0') || !mechanism) {
      const wasAuthenticated = this.phase === 'authenticated';
      this.phase = 'failed';
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: wasAuthenticated ? 'SaslAuthenticate request received after successful authentication' : 'SaslAuthenticate before SaslHandshake',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    }
    const step = mechanism.step(token);
    if (step.kind === 'challenge') return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: 0 };
    const principal = step.kind === 'success' ? `User:${step.user}` : null;
    if (step.kind === 'failure' || (this.loggedInAs !== null && principal !== this.loggedInAs)) {
      const reason = step.kind === 'failure' ? step.reason : 'a re-authentication must prove the principal of the login';
      this.fail(mechanism.mechanism, step.user, reason);
      return {
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        // Kafka's words, the same for a wrong password and an unknown user.
        errorMessage: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism.mechanism}`,
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    }
    this.phase = 'authenticated';
    this.loggedInAs = principal;
    this.session.principal = principal!;
    const lifetime = this.env.sessionLifetimeMs;
    this.expiresAtMs = lifetime > 0 ? this.env.nowMs() + lifetime : null;
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: lifetime };
  }

  private mechanismServer(name: SaslMechanismName): SaslServerMechanism {
    if (name === 'PLAIN') return new PlainServer(this.env.lookup);
    return new ScramServer({ mechanism: name, lookup: this.env.lookup, serverNonce: this.env.nonce(), unknownUserKey: this.env.unknownUserKey });
  }

  /** Refuses the login and logs it once per client host and interval: the user name and why, never a secret. */
  private fail(mechanism: string, user: string | null, reason: string): void {
    this.phase = 'failed';
    this.env.failures.warn(
      `sasl-failed|${this.session.host}`,
      { remote: this.session.host, listener: this.session.listener, mechanism, user, reason },
      'SASL authentication failed; closing the connection',
    );
  }
}

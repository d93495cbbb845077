// The server side of one SASL mechanism on one connection: tokens in, tokens out, until the
// client has proven a user or failed. Pure: credentials come in through a lookup, randomness
// (SCRAM's server nonce) as an argument, so every exchange can be replayed in a unit test.

import type { ScramMechanism } from './scram-crypto.ts';
import type { StoredScramCredential } from './credentials.ts';

export const saslMechanismNames = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanismName = (typeof saslMechanismNames)[number];

export type SaslStep =
  /** Send `bytes` to the client and wait for its next token. */
  | { kind: 'challenge'; bytes: Buffer }
  /** The client proved it is `user`; send `bytes` (SCRAM's server-final message, PLAIN's nothing). */
  | { kind: 'success'; bytes: Buffer; user: string }
  /**
   * Refused. `reason` is for the broker's log only (never a password, proof or key); the client is
   * told the same thing whatever it was, so it cannot learn whether a user exists.
   */
  | { kind: 'failure'; reason: string; user: string | null };

export interface SaslServerMechanism {
  readonly mechanism: SaslMechanismName;
  step(token: Buffer): SaslStep;
}

/** The stored credential of `user` for `mechanism`, if the user has one. */
export type CredentialLookup = (user: string, mechanism: ScramMechanism) => StoredScramCredential | undefined;

export function failure(reason: string, user: string | null = null): SaslStep {
  return { kind: 'failure', reason, user };
}

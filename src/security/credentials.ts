// What the broker keeps of a SASL user's password: a SCRAM credential (RFC 5802 §2.2 "StoredKey"
// and "ServerKey", with the salt and iteration count), never the password or SaltedPassword.
// PLAIN logins and the HTTP API's basic auth check a password against the same record.

import { timingSafeEqual } from 'node:crypto';
import { saltedPassword, scramIterationsMax, scramIterationsMin, scramKeys, scramMechanismCode, scramMechanisms, type ScramMechanism } from './scram-crypto.ts';

export interface StoredScramCredential {
  mechanism: ScramMechanism;
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The credential a client's AlterUserScramCredentials upsertion sets (it salted the password itself). */
export function credentialFromSalted(mechanism: ScramMechanism, salt: Buffer, iterations: number, salted: Buffer): StoredScramCredential {
  const keys = scramKeys(mechanism, salted);
  return { mechanism, salt, iterations, storedKey: keys.storedKey, serverKey: keys.serverKey };
}

/** The credential of a password (bootstrap user, tests): costs one PBKDF2 of `iterations` rounds. */
export function credentialFromPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): StoredScramCredential {
  return credentialFromSalted(mechanism, salt, iterations, saltedPassword(mechanism, password, salt, iterations));
}

/**
 * True when `password` is the one the credential was made from. Costs one PBKDF2 of the
 * credential's iterations (4096: about 5 ms), like a SCRAM login.
 */
export function verifyPassword(cred: StoredScramCredential, password: string): boolean {
  const derived = credentialFromPassword(cred.mechanism, password, cred.salt, cred.iterations);
  return derived.storedKey.length === cred.storedKey.length && timingSafeEqual(derived.storedKey, cred.storedKey);
}

/** The mechanism of Kafka's code (1: SCRAM-SHA-256, 2: SCRAM-SHA-512), undefined for any other. */
export function scramMechanismOfCode(code: number): ScramMechanism | undefined {
  return scramMechanisms.find((m) => scramMechanismCode[m] === code);
}

/** Why a credential's iteration count is refused (Kafka's UNACCEPTABLE_CREDENTIAL), or null. */
export function iterationsProblem(iterations: number): string | null {
  if (!Number.isSafeInteger(iterations) || iterations < scramIterationsMin) return `Too few iterations: at least ${scramIterationsMin}`;
  if (iterations > scramIterationsMax) return `Too many iterations: at most ${scramIterationsMax}`;
  return null;
}

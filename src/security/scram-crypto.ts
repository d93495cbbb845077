// The arithmetic of SCRAM (RFC 5802 §3) for SCRAM-SHA-256 (RFC 7677) and SCRAM-SHA-512, shared
// by the broker (which stores StoredKey and ServerKey, never the password) and the client.
//
//   SaltedPassword  := Hi(Normalize(password), salt, i)        Hi is PBKDF2 with HMAC-H
//   ClientKey       := HMAC(SaltedPassword, "Client Key")
//   StoredKey       := H(ClientKey)
//   ServerKey       := HMAC(SaltedPassword, "Server Key")
//   ClientSignature := HMAC(StoredKey, AuthMessage)
//   ClientProof     := ClientKey XOR ClientSignature
//   ServerSignature := HMAC(ServerKey, AuthMessage)
//
// Normalize (SASLprep) is the identity here: Kafka's Java client and librdkafka send the
// password's UTF-8 bytes unchanged, and the broker must derive the same keys they do.

import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const scramMechanisms = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof scramMechanisms)[number];

/** Kafka's mechanism codes in Describe/AlterUserScramCredentials. */
export const scramMechanismCode: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

/** Kafka refuses fewer iterations than this (and more than 16384) when a credential is set. */
export const scramIterationsMin = 4096;
export const scramIterationsMax = 16384;

function hashOf(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

function digestBytes(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64;
}

export function hmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(hashOf(mechanism), key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashOf(mechanism)).update(data).digest();
}

/** Hi(): PBKDF2 with HMAC-H. Costs `iterations` HMACs (4096 take about 5 ms): call it once per credential or login. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, digestBytes(mechanism), hashOf(mechanism));
}

/** What a broker keeps of a password: enough to check a proof and sign its answer, not to log in. */
export interface ScramKeys {
  storedKey: Buffer;
  serverKey: Buffer;
}

export function scramKeys(mechanism: ScramMechanism, salted: Buffer): ScramKeys {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return { storedKey: hash(mechanism, clientKey), serverKey: hmac(mechanism, salted, 'Server Key') };
}

/** The client's proof for `authMessage`. */
export function clientProof(mechanism: ScramMechanism, salted: Buffer, authMessage: string): Buffer {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const signature = hmac(mechanism, hash(mechanism, clientKey), authMessage);
  return xor(clientKey, signature);
}

/** The broker's check of a proof: H(proof XOR HMAC(StoredKey, AuthMessage)) must equal StoredKey. */
export function proofMatches(mechanism: ScramMechanism, keys: ScramKeys, authMessage: string, proof: Buffer): boolean {
  if (proof.length !== keys.storedKey.length) return false;
  const clientKey = xor(proof, hmac(mechanism, keys.storedKey, authMessage));
  return timingSafeEqual(hash(mechanism, clientKey), keys.storedKey);
}

export function serverSignature(mechanism: ScramMechanism, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(mechanism, serverKey, authMessage);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

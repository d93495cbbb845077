// The peer handshake, as pure functions over frame bodies. See docs/transport.md.
//
//   dialer (lower id)                                   acceptor (higher id)
//   HELLO     magic, version, dialerId, acceptorId, nonceD  →
//             ← CHALLENGE  magic, version, acceptorId, nonceA, proofA
//   PROOF     proofD                                        →
//             ← WELCOME  (or REFUSE reason, text; then close)
//
//   proofA = HMAC-SHA256(secret, "runnel-transport/1 acceptor" ‖ nonceD ‖ nonceA ‖ dialerId ‖ acceptorId)
//   proofD = HMAC-SHA256(secret, "runnel-transport/1 dialer"   ‖ nonceD ‖ nonceA ‖ dialerId ‖ acceptorId)
//
// Each side proves knowledge of the secret over a nonce the other side just chose, so a
// recorded handshake cannot be replayed. The two labels differ, so one side's proof cannot
// be reflected back as the other's. Both node ids are inside the MAC, so a proof made for
// one pair of nodes is worthless for another. With no secret (null) the proofs are empty;
// a side with a secret refuses a peer that sends an empty proof, and the other way round.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodecError, Reader, Writer } from './codec.ts';

export const PROTOCOL_VERSION = 1;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
const MAGIC = Buffer.from('RNLT', 'ascii');
const LABEL_ACCEPTOR = Buffer.from('runnel-transport/1 acceptor', 'ascii');
const LABEL_DIALER = Buffer.from('runnel-transport/1 dialer', 'ascii');
const REFUSE_TEXT_BYTES_MAX = 200;

/** The largest handshake frame (length field) either side accepts before authentication. */
export const HANDSHAKE_FRAME_BYTES_MAX = 256;

export const RefuseReason = {
  unknownNode: 1,
  badProof: 2,
  wrongNode: 3,
  wrongDirection: 4,
  version: 5,
  authMismatch: 6,
  protocol: 7,
  busy: 8,
  closing: 9,
} as const;
export type RefuseReasonCode = (typeof RefuseReason)[keyof typeof RefuseReason];

const REFUSE_NAMES = new Map<number, string>(Object.entries(RefuseReason).map(([k, v]) => [v, k]));

export function refuseReasonName(code: number): string {
  return REFUSE_NAMES.get(code) ?? `unknown(${code})`;
}

export interface Hello {
  version: number;
  dialerId: number;
  acceptorId: number;
  nonce: Buffer;
}

export interface Challenge {
  version: number;
  acceptorId: number;
  nonce: Buffer;
  /** Empty when the acceptor runs without a secret. */
  proof: Buffer;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

function checkMagic(r: Reader): number {
  const magic = r.view(4);
  if (!magic.equals(MAGIC)) throw new CodecError('not a runnel peer (bad magic)');
  return r.u16();
}

export function encodeHello(h: Hello): Buffer {
  const w = new Writer(Buffer.allocUnsafe(4 + 2 + 4 + 4 + NONCE_BYTES));
  w.bytes(MAGIC);
  w.buf.writeUInt16BE(h.version, w.pos);
  w.pos += 2;
  w.u32(h.dialerId);
  w.u32(h.acceptorId);
  w.bytes(h.nonce);
  return w.buf;
}

export function decodeHello(body: Buffer): Hello {
  const r = new Reader(body);
  const version = checkMagic(r);
  const dialerId = r.u32();
  const acceptorId = r.u32();
  const nonce = Buffer.from(r.view(NONCE_BYTES));
  if (r.remaining !== 0) throw new CodecError('trailing bytes after HELLO');
  return { version, dialerId, acceptorId, nonce };
}

export function encodeChallenge(c: Challenge): Buffer {
  const w = new Writer(Buffer.allocUnsafe(4 + 2 + 4 + NONCE_BYTES + 1 + c.proof.length));
  w.bytes(MAGIC);
  w.buf.writeUInt16BE(c.version, w.pos);
  w.pos += 2;
  w.u32(c.acceptorId);
  w.bytes(c.nonce);
  w.u8(c.proof.length);
  w.bytes(c.proof);
  return w.buf;
}

export function decodeChallenge(body: Buffer): Challenge {
  const r = new Reader(body);
  const version = checkMagic(r);
  const acceptorId = r.u32();
  const nonce = Buffer.from(r.view(NONCE_BYTES));
  const proof = Buffer.from(r.view(r.u8()));
  if (r.remaining !== 0) throw new CodecError('trailing bytes after CHALLENGE');
  return { version, acceptorId, nonce, proof };
}

export function encodeProof(proof: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + proof.length);
  out[0] = proof.length;
  proof.copy(out, 1);
  return out;
}

export function decodeProof(body: Buffer): Buffer {
  const r = new Reader(body);
  const proof = Buffer.from(r.view(r.u8()));
  if (r.remaining !== 0) throw new CodecError('trailing bytes after PROOF');
  return proof;
}

export function encodeRefuse(reason: RefuseReasonCode, text: string): Buffer {
  const t = Buffer.from(text, 'utf8').subarray(0, REFUSE_TEXT_BYTES_MAX);
  const out = Buffer.allocUnsafe(2 + t.length);
  out[0] = reason;
  out[1] = t.length;
  t.copy(out, 2);
  return out;
}

export function decodeRefuse(body: Buffer): { reason: number; text: string } {
  const r = new Reader(body);
  const reason = r.u8();
  const text = r.view(r.u8()).toString('utf8');
  return { reason, text };
}

function proofInput(label: Buffer, nonceD: Buffer, nonceA: Buffer, dialerId: number, acceptorId: number): Buffer[] {
  const ids = Buffer.allocUnsafe(8);
  ids.writeUInt32BE(dialerId, 0);
  ids.writeUInt32BE(acceptorId, 4);
  return [label, nonceD, nonceA, ids];
}

function hmac(secret: Buffer, parts: Buffer[]): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The proof `role` sends; empty when there is no secret. */
export function makeProof(
  secret: Buffer | null,
  role: 'dialer' | 'acceptor',
  nonceD: Buffer,
  nonceA: Buffer,
  dialerId: number,
  acceptorId: number,
): Buffer {
  if (secret === null) return Buffer.alloc(0);
  return hmac(secret, proofInput(role === 'dialer' ? LABEL_DIALER : LABEL_ACCEPTOR, nonceD, nonceA, dialerId, acceptorId));
}

export type ProofCheck = 'ok' | 'badProof' | 'authMismatch';

/** Checks the proof `role` sent, in constant time for proofs of the right length. */
export function checkProof(
  secret: Buffer | null,
  role: 'dialer' | 'acceptor',
  proof: Buffer,
  nonceD: Buffer,
  nonceA: Buffer,
  dialerId: number,
  acceptorId: number,
): ProofCheck {
  if (secret === null) return proof.length === 0 ? 'ok' : 'authMismatch';
  if (proof.length === 0) return 'authMismatch';
  if (proof.length !== PROOF_BYTES) return 'badProof';
  const expected = makeProof(secret, role, nonceD, nonceA, dialerId, acceptorId);
  return timingSafeEqual(proof, expected) ? 'ok' : 'badProof';
}

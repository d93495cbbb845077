// The peer handshake, as pure functions over frame bodies. See docs/transport.md.
//
//   dialer (lower id)                                             acceptor (higher id)
//   HELLO     magic, version, dialerId, acceptorId, nonceD, storageIdD  →
//             ← CHALLENGE  magic, version, acceptorId, nonceA, storageIdA, proofA
//   PROOF     proofD                                                    →
//             ← WELCOME  (or REFUSE reason, text; then close)
//
//   bound  = nonceD ‖ nonceA ‖ u32 dialerId ‖ u32 acceptorId ‖ u8 len ‖ storageIdD ‖ u8 len ‖ storageIdA
//   proofA = HMAC-SHA256(secret, "runnel-transport/2 acceptor" ‖ bound)
//   proofD = HMAC-SHA256(secret, "runnel-transport/2 dialer"   ‖ bound)
//
// Each side proves knowledge of the secret over a nonce the other side just chose, so a
// recorded handshake cannot be replayed. The two labels differ, so one side's proof cannot
// be reflected back as the other's. Both node ids are inside the MAC, so a proof made for
// one pair of nodes is worthless for another. Both storage ids (the identity of each side's
// disk, which the cluster's Raft membership is built from) are inside both MACs too, so a
// party on the path cannot swap one: the side that receives an altered id computes a
// different MAC than the side that sent the real one, and the proof fails. The storage ids
// are length-prefixed inside the MAC input so that no two different pairs of ids produce the
// same bytes ("ab" + "c" against "a" + "bc"). With no secret (null) the proofs are empty;
// a side with a secret refuses a peer that sends an empty proof, and the other way round.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodecError, Reader, Writer } from './codec.ts';

/**
 * Version 2 added the storage ids to HELLO and CHALLENGE and to the MAC input. The labels
 * carry the version, so a proof computed under one version never verifies under another.
 */
export const PROTOCOL_VERSION = 2;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** A storage id is a UUID today (36 bytes); 64 leaves room without letting a peer grow the handshake. */
export const STORAGE_ID_BYTES_MAX = 64;
const MAGIC = Buffer.from('RNLT', 'ascii');
const LABEL_ACCEPTOR = Buffer.from('runnel-transport/2 acceptor', 'ascii');
const LABEL_DIALER = Buffer.from('runnel-transport/2 dialer', 'ascii');
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });
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
  /** With TLS: the dialer's certificate does not name the address its node id is configured at. */
  certificate: 10,
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
  /** The dialer's storage id ('' when its host did not give one). */
  storageId: string;
}

export interface Challenge {
  version: number;
  acceptorId: number;
  nonce: Buffer;
  /** The acceptor's storage id ('' when its host did not give one). */
  storageId: string;
  /** Empty when the acceptor runs without a secret. */
  proof: Buffer;
}

/**
 * Checks a storage id the host wants to announce: at most STORAGE_ID_BYTES_MAX bytes of
 * UTF-8, and a string that survives the UTF-8 round trip (a lone surrogate would be replaced
 * on encoding, and the peer would then see a different id than this node uses). A violation
 * is a bug or a broken data directory on this node, so it throws.
 */
export function checkStorageId(storageId: string, what: string): void {
  if (typeof storageId !== 'string') throw new RangeError(`${what} must be a string`);
  const bytes = Buffer.from(storageId, 'utf8');
  if (bytes.length > STORAGE_ID_BYTES_MAX) throw new RangeError(`${what} is ${bytes.length} bytes of UTF-8; at most ${STORAGE_ID_BYTES_MAX} are allowed`);
  if (bytes.toString('utf8') !== storageId) throw new RangeError(`${what} is not valid Unicode (it would change on the wire)`);
}

/**
 * The storage-id bytes as sent: length-checked, so the frame stays under
 * HANDSHAKE_FRAME_BYTES_MAX whatever the host passes.
 */
function storageIdBytes(storageId: string): Buffer {
  checkStorageId(storageId, 'storage id');
  return Buffer.from(storageId, 'utf8');
}

function readStorageId(r: Reader): string {
  const n = r.u8();
  if (n > STORAGE_ID_BYTES_MAX) throw new CodecError(`storage id of ${n} bytes exceeds the limit of ${STORAGE_ID_BYTES_MAX}`);
  try {
    // Strict decoding: invalid UTF-8 is refused rather than replaced, so two different byte
    // strings can never be taken for the same identity.
    return UTF8_STRICT.decode(r.view(n));
  } catch {
    throw new CodecError('storage id is not valid UTF-8');
  }
}

/**
 * The version field of a HELLO or CHALLENGE body, read before anything else, so a peer
 * running another protocol version is refused with `version` rather than with a parse
 * error about fields it lays out differently.
 */
export function peekVersion(body: Buffer): number {
  return checkMagic(new Reader(body));
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
  const sid = storageIdBytes(h.storageId);
  const w = new Writer(Buffer.allocUnsafe(4 + 2 + 4 + 4 + NONCE_BYTES + 1 + sid.length));
  w.bytes(MAGIC);
  w.buf.writeUInt16BE(h.version, w.pos);
  w.pos += 2;
  w.u32(h.dialerId);
  w.u32(h.acceptorId);
  w.bytes(h.nonce);
  w.u8(sid.length);
  w.bytes(sid);
  return w.buf;
}

export function decodeHello(body: Buffer): Hello {
  const r = new Reader(body);
  const version = checkMagic(r);
  const dialerId = r.u32();
  const acceptorId = r.u32();
  const nonce = Buffer.from(r.view(NONCE_BYTES));
  const storageId = readStorageId(r);
  if (r.remaining !== 0) throw new CodecError('trailing bytes after HELLO');
  return { version, dialerId, acceptorId, nonce, storageId };
}

export function encodeChallenge(c: Challenge): Buffer {
  const sid = storageIdBytes(c.storageId);
  const w = new Writer(Buffer.allocUnsafe(4 + 2 + 4 + NONCE_BYTES + 1 + sid.length + 1 + c.proof.length));
  w.bytes(MAGIC);
  w.buf.writeUInt16BE(c.version, w.pos);
  w.pos += 2;
  w.u32(c.acceptorId);
  w.bytes(c.nonce);
  w.u8(sid.length);
  w.bytes(sid);
  w.u8(c.proof.length);
  w.bytes(c.proof);
  return w.buf;
}

export function decodeChallenge(body: Buffer): Challenge {
  const r = new Reader(body);
  const version = checkMagic(r);
  const acceptorId = r.u32();
  const nonce = Buffer.from(r.view(NONCE_BYTES));
  const storageId = readStorageId(r);
  const proof = Buffer.from(r.view(r.u8()));
  if (r.remaining !== 0) throw new CodecError('trailing bytes after CHALLENGE');
  return { version, acceptorId, nonce, storageId, proof };
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

/** Everything both proofs are bound to: the two fresh nonces, both node ids and both storage ids. */
export interface ProofBinding {
  nonceD: Buffer;
  nonceA: Buffer;
  dialerId: number;
  acceptorId: number;
  dialerStorageId: string;
  acceptorStorageId: string;
}

function proofInput(label: Buffer, b: ProofBinding): Buffer[] {
  const ids = Buffer.allocUnsafe(8);
  ids.writeUInt32BE(b.dialerId, 0);
  ids.writeUInt32BE(b.acceptorId, 4);
  const sidD = storageIdBytes(b.dialerStorageId);
  const sidA = storageIdBytes(b.acceptorStorageId);
  return [label, b.nonceD, b.nonceA, ids, Buffer.from([sidD.length]), sidD, Buffer.from([sidA.length]), sidA];
}

function hmac(secret: Buffer, parts: Buffer[]): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The proof `role` sends; empty when there is no secret. */
export function makeProof(secret: Buffer | null, role: 'dialer' | 'acceptor', binding: ProofBinding): Buffer {
  if (secret === null) return Buffer.alloc(0);
  return hmac(secret, proofInput(role === 'dialer' ? LABEL_DIALER : LABEL_ACCEPTOR, binding));
}

export type ProofCheck = 'ok' | 'badProof' | 'authMismatch';

/** Checks the proof `role` sent, in constant time for proofs of the right length. */
export function checkProof(secret: Buffer | null, role: 'dialer' | 'acceptor', proof: Buffer, binding: ProofBinding): ProofCheck {
  if (secret === null) return proof.length === 0 ? 'ok' : 'authMismatch';
  if (proof.length === 0) return 'authMismatch';
  if (proof.length !== PROOF_BYTES) return 'badProof';
  const expected = makeProof(secret, role, binding);
  return timingSafeEqual(proof, expected) ? 'ok' : 'badProof';
}

// The handshake's pure pieces (protocol version 2): storage ids in HELLO and CHALLENGE, and
// the binding of both proofs to them. The TCP tests check the same rules end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HANDSHAKE_FRAME_BYTES_MAX,
  PROTOCOL_VERSION,
  STORAGE_ID_BYTES_MAX,
  checkProof,
  checkStorageId,
  decodeChallenge,
  decodeHello,
  encodeChallenge,
  encodeHello,
  makeProof,
  newNonce,
  peekVersion,
  type ProofBinding,
} from '../../../src/transport/handshake.ts';
import { CodecError } from '../../../src/transport/codec.ts';
import { FRAME_HEADER_BYTES } from '../../../src/transport/frame.ts';

const SECRET = Buffer.from('s3cret');
const UUID_A = '0b5f2a52-1f0e-4a43-9d8e-4f6c2f1f7a11';
const UUID_B = '6a3c1c8e-8d55-4c55-8e0b-8d1a9c1e2b22';

function binding(over: Partial<ProofBinding> = {}): ProofBinding {
  return { nonceD: Buffer.alloc(32, 1), nonceA: Buffer.alloc(32, 2), dialerId: 1, acceptorId: 2, dialerStorageId: UUID_A, acceptorStorageId: UUID_B, ...over };
}

test('HELLO and CHALLENGE carry the storage id and round-trip it (version 2)', () => {
  assert.equal(PROTOCOL_VERSION, 2);
  const nonce = newNonce();
  const h = decodeHello(encodeHello({ version: PROTOCOL_VERSION, dialerId: 7, acceptorId: 9, nonce, storageId: UUID_A }));
  assert.deepEqual(h, { version: 2, dialerId: 7, acceptorId: 9, nonce, storageId: UUID_A });
  const proof = makeProof(SECRET, 'acceptor', binding());
  const c = decodeChallenge(encodeChallenge({ version: PROTOCOL_VERSION, acceptorId: 9, nonce, storageId: UUID_B, proof }));
  assert.deepEqual(c, { version: 2, acceptorId: 9, nonce, storageId: UUID_B, proof });
  // An empty storage id (a host that gave none) is legal on the wire.
  assert.equal(decodeHello(encodeHello({ version: 2, dialerId: 1, acceptorId: 2, nonce, storageId: '' })).storageId, '');
});

test('handshake frames with the longest storage id stay under the pre-authentication frame limit', () => {
  const longest = 'x'.repeat(STORAGE_ID_BYTES_MAX);
  const hello = encodeHello({ version: 2, dialerId: 1, acceptorId: 2, nonce: newNonce(), storageId: longest });
  const challenge = encodeChallenge({ version: 2, acceptorId: 2, nonce: newNonce(), storageId: longest, proof: Buffer.alloc(32) });
  // The frame's length field counts the type byte and the body.
  assert.ok(hello.length + FRAME_HEADER_BYTES - 4 <= HANDSHAKE_FRAME_BYTES_MAX);
  assert.ok(challenge.length + FRAME_HEADER_BYTES - 4 <= HANDSHAKE_FRAME_BYTES_MAX);
});

test('a storage id that is too long or would change on the wire is refused when sent (host bug) and when received (CodecError)', () => {
  assert.throws(() => checkStorageId('x'.repeat(STORAGE_ID_BYTES_MAX + 1), 'storageId'), RangeError);
  // 22 four-byte characters = 88 bytes: the limit is in bytes, not characters.
  assert.throws(() => checkStorageId('😀'.repeat(22), 'storageId'), /88 bytes/);
  // A lone surrogate would be replaced by U+FFFD on encoding: the peer would see another id.
  assert.throws(() => checkStorageId('disk-\ud800', 'storageId'), /not valid Unicode/);
  assert.throws(() => encodeHello({ version: 2, dialerId: 1, acceptorId: 2, nonce: newNonce(), storageId: 'x'.repeat(65) }), RangeError);
  checkStorageId('é'.repeat(32), 'storageId'); // 64 bytes exactly is fine

  const good = encodeHello({ version: 2, dialerId: 1, acceptorId: 2, nonce: newNonce(), storageId: 'ab' });
  const sidAt = 4 + 2 + 4 + 4 + 32;
  const tooLong = Buffer.concat([good.subarray(0, sidAt), Buffer.from([65]), Buffer.alloc(65, 0x61)]);
  assert.throws(
    () => decodeHello(tooLong),
    (e: unknown) => e instanceof CodecError && /exceeds the limit/.test(e.message),
  );
  const badUtf8 = Buffer.from(good);
  badUtf8[sidAt + 1] = 0xff;
  assert.throws(
    () => decodeHello(badUtf8),
    (e: unknown) => e instanceof CodecError && /UTF-8/.test(e.message),
  );
  const truncated = good.subarray(0, good.length - 1);
  assert.throws(() => decodeHello(truncated), CodecError);
});

test('both proofs are bound to both storage ids: changing either one makes the proof fail', () => {
  for (const role of ['dialer', 'acceptor'] as const) {
    const proof = makeProof(SECRET, role, binding());
    assert.equal(checkProof(SECRET, role, proof, binding()), 'ok');
    assert.equal(checkProof(SECRET, role, proof, binding({ dialerStorageId: UUID_A.replace('a11', 'a12') })), 'badProof');
    assert.equal(checkProof(SECRET, role, proof, binding({ acceptorStorageId: UUID_B.replace('b22', 'b23') })), 'badProof');
    assert.equal(checkProof(SECRET, role, proof, binding({ dialerStorageId: UUID_B, acceptorStorageId: UUID_A })), 'badProof', 'swapped ids');
  }
});

test('the MAC input length-prefixes the storage ids, so ("ab", "c") and ("a", "bc") give different proofs', () => {
  const p1 = makeProof(SECRET, 'dialer', binding({ dialerStorageId: 'ab', acceptorStorageId: 'c' }));
  const p2 = makeProof(SECRET, 'dialer', binding({ dialerStorageId: 'a', acceptorStorageId: 'bc' }));
  assert.notDeepEqual(p1, p2);
});

test('the version is read before the layout: a version-1 HELLO (no storage id) reports version 1, not a parse error', () => {
  const v1 = Buffer.concat([Buffer.from('RNLT'), Buffer.from([0, 1]), Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), Buffer.alloc(32)]);
  assert.equal(peekVersion(v1), 1);
  assert.throws(() => decodeHello(v1), CodecError, 'the version-2 layout does not fit it');
  assert.throws(() => peekVersion(Buffer.from('HTTP/1.1')), /bad magic/);
});

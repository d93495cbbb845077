// The handshake driver of the TCP transport: what each side does with the next handshake frame
// (docs/transport.md, "Handshake"). The dialer sends HELLO; the acceptor answers with CHALLENGE
// (its proof and its nonce); the dialer checks the proof and sends PROOF; the acceptor checks
// it and sends WELCOME. Each step reads the frame, updates the connection's record and says
// what to do next; TcpTransport does it (writes, refuses, opens). No sockets or timers here.

import { CodecError } from './codec.ts';
import { FrameType, encodeFrame, type Frame } from './frame.ts';
import {
  PROTOCOL_VERSION,
  RefuseReason,
  checkProof,
  decodeChallenge,
  decodeHello,
  decodeProof,
  encodeChallenge,
  encodeHello,
  encodeProof,
  makeProof,
  newNonce,
  peekVersion,
  type ProofBinding,
  type RefuseReasonCode,
} from './handshake.ts';
import type { Conn, Peer, PeerRegistry } from './tcp-peers.ts';

/** Who this node is in every handshake. */
export interface HandshakeSelf {
  nodeId: number;
  storageId: string;
  /** null: authentication off. */
  secret: Buffer | null;
  peers: PeerRegistry;
  /**
   * With TLS: why the dialer's certificate does not name `host` (the address its node id is
   * configured at), or null when it does. Null without TLS (nothing to check).
   */
  peerNameError: ((conn: Conn, host: string) => string | null) | null;
}

export type HandshakeStep =
  | { kind: 'reply'; frame: Buffer }
  | { kind: 'refuse'; reason: RefuseReasonCode; text: string; fields: Record<string, unknown> }
  /** Authenticated: write `frame` if there is one, then the connection is open. */
  | { kind: 'open'; frame: Buffer | null }
  /** A seed connection that is not needed (that node is connected already): close it without a word. */
  | { kind: 'close'; why: string };

const WELCOME_FRAME = encodeFrame(FrameType.welcome);

/**
 * Dialer, once the socket connects: HELLO, and the connection waits for the CHALLENGE. A seed
 * connection names acceptor 0: whoever listens there (its id may be unknown, or lower than ours).
 */
export function helloFrame(self: HandshakeSelf, conn: Conn, peer: Peer | null): Buffer {
  conn.state = 'challenge';
  conn.nonceD = newNonce();
  const acceptorId = conn.seed ? SEED_ACCEPTOR : peer!.id;
  return encodeFrame(
    FrameType.hello,
    encodeHello({ version: PROTOCOL_VERSION, dialerId: self.nodeId, acceptorId, nonce: conn.nonceD, storageId: self.storageId }),
  );
}

/** The acceptor id of a seed HELLO (0 is Raft's NONE, never a node id). */
export const SEED_ACCEPTOR = 0;

/** The next handshake frame on a connection that is not open yet; a frame out of turn is a CodecError. */
export function handshakeStep(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  switch (conn.state) {
    case 'hello':
      return onHello(self, conn, frame);
    case 'challenge':
      return onChallenge(self, conn, frame);
    case 'proof':
      return onProof(self, conn, frame);
    case 'welcome':
      if (frame.type !== FrameType.welcome) throw new CodecError(`expected WELCOME, got frame type ${frame.type}`);
      return { kind: 'open', frame: null };
    default:
      throw new CodecError(`unexpected frame type ${frame.type} in state ${conn.state}`);
  }
}

function refuse(reason: RefuseReasonCode, text: string, fields: Record<string, unknown>): HandshakeStep {
  return { kind: 'refuse', reason, text, fields };
}

/** Acceptor: the dialer says who it is. */
function onHello(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  if (frame.type !== FrameType.hello) throw new CodecError(`expected HELLO, got frame type ${frame.type}`);
  const version = peekVersion(frame.body);
  if (version !== PROTOCOL_VERSION) return refuse(RefuseReason.version, `protocol version ${version} is not ${PROTOCOL_VERSION}`, { version });
  const hello = decodeHello(frame.body);
  const seed = hello.acceptorId === SEED_ACCEPTOR;
  if (hello.acceptorId !== self.nodeId && !seed) {
    return refuse(RefuseReason.wrongNode, `this is node ${self.nodeId}, not ${hello.acceptorId}`, { dialer: hello.dialerId, expected: hello.acceptorId });
  }
  if (hello.dialerId === self.nodeId) return refuse(RefuseReason.wrongNode, `node ${self.nodeId} dialed itself`, { dialer: hello.dialerId });
  const peer = self.peers.get(hello.dialerId);
  // A seed dial comes from a node looking for the cluster, which this node may not know yet (a
  // joiner) or would dial itself: it is taken once authenticated; a duplicate is settled in attach.
  if (!seed) {
    if (peer === undefined)
      return refuse(RefuseReason.unknownNode, `node ${hello.dialerId} is not a known peer of node ${self.nodeId}`, { dialer: hello.dialerId });
    if (!(hello.dialerId < self.nodeId)) {
      return refuse(RefuseReason.wrongDirection, `node ${self.nodeId} dials node ${hello.dialerId}, not the other way round`, { dialer: hello.dialerId });
    }
    // A CA-signed certificate is not enough: it must be the one of the node id claimed, or any
    // broker's certificate could pose as any node (the secret is shared by all of them).
    const nameError = peer.host === '' || self.peerNameError === null ? null : self.peerNameError(conn, peer.host);
    if (nameError !== null)
      return refuse(RefuseReason.certificate, `the certificate of node ${hello.dialerId} does not name its address ${peer.host}: ${nameError}`, {
        dialer: hello.dialerId,
      });
  }
  conn.seed = seed;
  conn.claimedId = hello.dialerId;
  conn.nonceD = hello.nonce;
  conn.nonceA = newNonce();
  conn.peerStorageId = hello.storageId;
  const proof = makeProof(self.secret, 'acceptor', binding(self, conn, hello.dialerId));
  conn.state = 'proof';
  return {
    kind: 'reply',
    frame: encodeFrame(
      FrameType.challenge,
      encodeChallenge({ version: PROTOCOL_VERSION, acceptorId: self.nodeId, nonce: conn.nonceA, storageId: self.storageId, proof }),
    ),
  };
}

/** Dialer: the acceptor proves it knows the secret and challenges us. */
function onChallenge(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  if (frame.type !== FrameType.challenge) throw new CodecError(`expected CHALLENGE, got frame type ${frame.type}`);
  const expected = conn.peer;
  const version = peekVersion(frame.body);
  if (version !== PROTOCOL_VERSION)
    return refuse(RefuseReason.version, `protocol version ${version} is not ${PROTOCOL_VERSION}`, { peer: expected?.id, remote: conn.remote });
  const ch = decodeChallenge(frame.body);
  if (expected !== null && ch.acceptorId !== expected.id) {
    return refuse(RefuseReason.wrongNode, `expected node ${expected.id} at ${expected.address}, found node ${ch.acceptorId}`, {
      peer: expected.id,
      found: ch.acceptorId,
    });
  }
  if (ch.acceptorId === self.nodeId) return refuse(RefuseReason.wrongNode, `${conn.remote} is this node (${self.nodeId}) itself`, { remote: conn.remote });
  conn.nonceA = ch.nonce;
  conn.peerStorageId = ch.storageId;
  const bound = binding(self, conn, ch.acceptorId);
  const check = checkProof(self.secret, 'acceptor', ch.proof, bound);
  if (check !== 'ok') return refuseProof(self, check, ch.acceptorId);
  if (expected === null) {
    // A seed address: now we know who listens there. Keep one connection per pair: a node
    // connected (or being dialed) already needs no second one.
    const known = self.peers.get(ch.acceptorId);
    if (known !== undefined && ((known.conn !== null && known.conn.state === 'open') || known.dialing !== null)) {
      return { kind: 'close', why: `node ${ch.acceptorId} at ${conn.remote} is connected already` };
    }
    const peer = known ?? self.peers.addTransient(ch.acceptorId, conn.remote);
    peer.dialing = conn;
    conn.peer = peer;
  }
  conn.state = 'welcome';
  return { kind: 'reply', frame: encodeFrame(FrameType.proof, encodeProof(makeProof(self.secret, 'dialer', bound))) };
}

/** Acceptor: the dialer proves it knows the secret. */
function onProof(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  if (frame.type !== FrameType.proof) throw new CodecError(`expected PROOF, got frame type ${frame.type}`);
  const id = conn.claimedId;
  const proof = decodeProof(frame.body);
  const check = checkProof(self.secret, 'dialer', proof, binding(self, conn, id));
  if (check !== 'ok') return refuseProof(self, check, id);
  // Looked up now, not at HELLO: the peer set may have changed during the handshake. Only an
  // authenticated seed dialer gets a record here, so strangers cannot fill the registry.
  const peer = self.peers.get(id) ?? (conn.seed ? self.peers.addTransient(id, '') : undefined);
  if (peer === undefined || peer.removed) return refuse(RefuseReason.unknownNode, `node ${id} was removed`, { dialer: id });
  conn.peer = peer;
  return { kind: 'open', frame: WELCOME_FRAME };
}

function refuseProof(self: HandshakeSelf, check: 'badProof' | 'authMismatch', peerId: number): HandshakeStep {
  if (check === 'badProof') {
    // Both secrets and storage ids are under the MAC, so either can be the cause.
    return refuse(RefuseReason.badProof, 'wrong cluster secret (or the handshake was altered in flight)', { peer: peerId });
  }
  const text = self.secret === null ? 'peer uses a cluster secret and this node has none' : 'peer has no cluster secret and this node has one';
  return refuse(RefuseReason.authMismatch, text, { peer: peerId });
}

/** What both proofs of this connection are bound to; both nonces and the peer's storage id are known by now. */
function binding(self: HandshakeSelf, conn: Conn, peerId: number): ProofBinding {
  const dialing = conn.role === 'dial';
  return {
    nonceD: conn.nonceD!,
    nonceA: conn.nonceA!,
    dialerId: dialing ? self.nodeId : peerId,
    acceptorId: dialing ? peerId : self.nodeId,
    dialerStorageId: dialing ? self.storageId : conn.peerStorageId!,
    acceptorStorageId: dialing ? conn.peerStorageId! : self.storageId,
  };
}

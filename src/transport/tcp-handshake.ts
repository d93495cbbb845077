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
}

export type HandshakeStep =
  | { kind: 'reply'; frame: Buffer }
  | { kind: 'refuse'; reason: RefuseReasonCode; text: string; fields: Record<string, unknown> }
  /** Authenticated: write `frame` if there is one, then the connection is open. */
  | { kind: 'open'; frame: Buffer | null };

const WELCOME_FRAME = encodeFrame(FrameType.welcome);

/** Dialer, once the socket connects: HELLO, and the connection waits for the CHALLENGE. */
export function helloFrame(self: HandshakeSelf, conn: Conn, peer: Peer): Buffer {
  conn.state = 'challenge';
  conn.nonceD = newNonce();
  return encodeFrame(FrameType.hello, encodeHello({ version: PROTOCOL_VERSION, dialerId: self.nodeId, acceptorId: peer.id, nonce: conn.nonceD, storageId: self.storageId }));
}

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
  if (hello.acceptorId !== self.nodeId) {
    return refuse(RefuseReason.wrongNode, `this is node ${self.nodeId}, not ${hello.acceptorId}`, { dialer: hello.dialerId, expected: hello.acceptorId });
  }
  const peer = self.peers.get(hello.dialerId);
  if (peer === undefined) return refuse(RefuseReason.unknownNode, `node ${hello.dialerId} is not a known peer of node ${self.nodeId}`, { dialer: hello.dialerId });
  if (!(hello.dialerId < self.nodeId)) {
    return refuse(RefuseReason.wrongDirection, `node ${self.nodeId} dials node ${hello.dialerId}, not the other way round`, { dialer: hello.dialerId });
  }
  conn.peer = peer;
  conn.nonceD = hello.nonce;
  conn.nonceA = newNonce();
  conn.peerStorageId = hello.storageId;
  const proof = makeProof(self.secret, 'acceptor', binding(self, conn, peer.id));
  conn.state = 'proof';
  return { kind: 'reply', frame: encodeFrame(FrameType.challenge, encodeChallenge({ version: PROTOCOL_VERSION, acceptorId: self.nodeId, nonce: conn.nonceA, storageId: self.storageId, proof })) };
}

/** Dialer: the acceptor proves it knows the secret and challenges us. */
function onChallenge(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  if (frame.type !== FrameType.challenge) throw new CodecError(`expected CHALLENGE, got frame type ${frame.type}`);
  const peer = conn.peer!;
  const version = peekVersion(frame.body);
  if (version !== PROTOCOL_VERSION) return refuse(RefuseReason.version, `protocol version ${version} is not ${PROTOCOL_VERSION}`, { peer: peer.id });
  const ch = decodeChallenge(frame.body);
  if (ch.acceptorId !== peer.id) {
    return refuse(RefuseReason.wrongNode, `expected node ${peer.id} at ${peer.address}, found node ${ch.acceptorId}`, { peer: peer.id, found: ch.acceptorId });
  }
  conn.nonceA = ch.nonce;
  conn.peerStorageId = ch.storageId;
  const bound = binding(self, conn, peer.id);
  const check = checkProof(self.secret, 'acceptor', ch.proof, bound);
  if (check !== 'ok') return refuseProof(self, check, peer.id);
  conn.state = 'welcome';
  return { kind: 'reply', frame: encodeFrame(FrameType.proof, encodeProof(makeProof(self.secret, 'dialer', bound))) };
}

/** Acceptor: the dialer proves it knows the secret. */
function onProof(self: HandshakeSelf, conn: Conn, frame: Frame): HandshakeStep {
  if (frame.type !== FrameType.proof) throw new CodecError(`expected PROOF, got frame type ${frame.type}`);
  const peer = conn.peer!;
  const proof = decodeProof(frame.body);
  const check = checkProof(self.secret, 'dialer', proof, binding(self, conn, peer.id));
  if (check !== 'ok') return refuseProof(self, check, peer.id);
  if (peer.removed) return refuse(RefuseReason.unknownNode, `node ${peer.id} was removed`, { dialer: peer.id });
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

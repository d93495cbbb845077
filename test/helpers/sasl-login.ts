// The client side of a SASL login for tests, over the SDK's raw KafkaConnection (SaslHandshake v1
// then SaslAuthenticate) or a RawConnection (SaslHandshake v0 then bare size-prefixed tokens), with
// SCRAM computed by src/security/scram-crypto.ts as Kafka's clients compute it (RFC 5802 §3).

import { randomBytes } from 'node:crypto';
import type { KafkaConnection } from '../../src/client/connection.ts';
import { saslAuthenticate, saslHandshake } from '../../src/protocol/apis/index.ts';
import { encodeRequest, decodeResponse } from '../../src/protocol/header.ts';
import { clientProof, saltedPassword, type ScramMechanism } from '../../src/security/scram-crypto.ts';
import { encodeSaslName } from '../../src/security/sasl-scram.ts';
import type { RawConnection } from './raw-socket.ts';

export type Mechanism = 'PLAIN' | ScramMechanism;

export interface LoginAnswer {
  errorCode: number;
  errorMessage: string | null;
  sessionLifetimeMs: number;
}

/** The client's SCRAM conversation: first message, then the final one for the server's first. */
export class ScramClient {
  readonly bare: string;
  private readonly mechanism: ScramMechanism;
  private readonly password: string;
  constructor(mechanism: ScramMechanism, user: string, password: string, nonce = randomBytes(12).toString('base64')) {
    this.mechanism = mechanism;
    this.password = password;
    this.bare = `n=${encodeSaslName(user)},r=${nonce}`;
  }
  first(): Buffer {
    return Buffer.from(`n,,${this.bare}`);
  }
  final(serverFirst: string): Buffer {
    const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
    const withoutProof = `c=biws,r=${attrs.r}`;
    const salted = saltedPassword(this.mechanism, this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i));
    const proof = clientProof(this.mechanism, salted, `${this.bare},${serverFirst},${withoutProof}`);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }
}

/** Logs in on a KafkaConnection with SaslHandshake v1 and SaslAuthenticate `version`; the last answer. */
export async function login(conn: KafkaConnection, mechanism: Mechanism, user: string, password: string, version = 1): Promise<LoginAnswer> {
  const hs = await conn.request(saslHandshake, { mechanism }, 1);
  if (hs.errorCode !== 0) return { errorCode: hs.errorCode, errorMessage: `handshake: ${hs.mechanisms.join(',')}`, sessionLifetimeMs: 0 };
  if (mechanism === 'PLAIN') {
    return conn.request(saslAuthenticate, { authBytes: Buffer.from(`\0${user}\0${password}`) }, version);
  }
  const client = new ScramClient(mechanism, user, password);
  const first = await conn.request(saslAuthenticate, { authBytes: client.first() }, version);
  if (first.errorCode !== 0) return first;
  return conn.request(saslAuthenticate, { authBytes: client.final(first.authBytes.toString()) }, version);
}

/** SaslHandshake v0 and PLAIN as one bare token (KIP-43): true when the broker answered with an empty token. */
export async function plainLoginV0(raw: RawConnection, user: string, password: string): Promise<boolean | 'refused'> {
  const hs = await raw.roundTrip(encodeRequest(saslHandshake, 0, 1, 'test', { mechanism: 'PLAIN' }));
  if (hs.kind !== 'frame') return 'refused';
  if (decodeResponse(saslHandshake, 0, hs.frame).body.errorCode !== 0) return 'refused';
  const token = Buffer.from(`\0${user}\0${password}`);
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length);
  const answer = await raw.roundTrip(Buffer.concat([size, token]));
  return answer.kind === 'frame' ? answer.frame.length === 0 : 'refused';
}

// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) on the server, as Kafka runs it:
//
//   client-first  = gs2-header client-first-bare       gs2-header = "n,," or "n,a=<user>,"
//   client-first-bare = "n=" saslname ",r=" c-nonce ["," extensions]
//   server-first  = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations
//   client-final  = "c=" base64(gs2-header) ",r=" nonce ["," extensions] ",p=" base64(proof)
//   server-final  = "v=" base64(ServerSignature)
//
// No channel binding (a "p=" gs2 flag is refused; "y" is accepted, as Kafka does). The server
// nonce comes in as an argument. A user without a credential gets a made-up salt (a keyed hash of
// the name, the key chosen per broker process) and fails at the proof, like a wrong password, so
// the exchange does not tell whether the user exists.

import { proofMatches, serverSignature, hmac, scramIterationsMin, type ScramMechanism } from './scram-crypto.ts';
import { failure, type CredentialLookup, type SaslServerMechanism, type SaslStep } from './sasl-mechanism.ts';
import type { StoredScramCredential } from './credentials.ts';

/** Longer client messages are refused before parsing (a user name and nonce fit in far less). */
const scramMessageBytesMax = 4096;

export interface ScramServerOptions {
  mechanism: ScramMechanism;
  lookup: CredentialLookup;
  /** The server's half of the nonce: printable ASCII without ',' (e.g. base64 of random bytes). */
  serverNonce: string;
  /** Keys the made-up salt of unknown users; random per broker process. */
  unknownUserKey: Buffer;
}

type State =
  | { phase: 'first' }
  | { phase: 'final'; user: string; gs2Header: string; nonce: string; authPrefix: string; cred: StoredScramCredential | undefined }
  | { phase: 'done' };

export class ScramServer implements SaslServerMechanism {
  readonly mechanism: ScramMechanism;
  private readonly options: ScramServerOptions;
  private state: State = { phase: 'first' };

  constructor(options: ScramServerOptions) {
    this.mechanism = options.mechanism;
    this.options = options;
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(options.serverNonce)) throw new Error('SCRAM server nonce must be printable ASCII without ","');
  }

  step(token: Buffer): SaslStep {
    const state = this.state;
    this.state = { phase: 'done' };
    if (token.length > scramMessageBytesMax) return failure(`SCRAM message of ${token.length} bytes is longer than ${scramMessageBytesMax}`);
    const text = token.toString('utf8');
    if (state.phase === 'first') return this.clientFirst(text);
    if (state.phase === 'final') return this.clientFinal(state, text);
    return failure('SCRAM exchange already ended');
  }

  private clientFirst(text: string): SaslStep {
    // gs2-header: cbind-flag "," [authzid] ","
    const parts = text.split(',');
    if (parts.length < 4) return failure('malformed SCRAM client-first message');
    const [flag, authzid] = parts;
    if (flag !== 'n' && flag !== 'y') return failure('SCRAM channel binding is not supported');
    const bare = parts.slice(2);
    const userAttr = bare[0];
    const nonceAttr = bare[1];
    if (!userAttr.startsWith('n=') || !nonceAttr.startsWith('r=') || nonceAttr.length < 3) return failure('malformed SCRAM client-first message');
    const user = decodeSaslName(userAttr.slice(2));
    if (user === null || user === '') return failure('malformed SCRAM user name');
    if (authzid !== '') {
      const asUser = authzid.startsWith('a=') ? decodeSaslName(authzid.slice(2)) : null;
      // Kafka's ScramSaslServer: the authorization id, if given, must be the user itself.
      if (asUser !== user) return failure('SCRAM authorization id differs from the user name', user);
    }
    const cred = this.options.lookup(user, this.mechanism);
    const salt = cred?.salt ?? hmac(this.mechanism, this.options.unknownUserKey, user).subarray(0, 16);
    const iterations = cred?.iterations ?? scramIterationsMin;
    const nonce = nonceAttr.slice(2) + this.options.serverNonce;
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    const gs2Header = `${flag},${authzid},`;
    this.state = { phase: 'final', user, gs2Header, nonce, authPrefix: `${bare.join(',')},${serverFirst}`, cred };
    return { kind: 'challenge', bytes: Buffer.from(serverFirst, 'utf8') };
  }

  private clientFinal(state: Extract<State, { phase: 'final' }>, text: string): SaslStep {
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) return failure('malformed SCRAM client-final message: no proof', state.user);
    const withoutProof = text.slice(0, proofAt);
    const attrs = withoutProof.split(',');
    if (attrs[0] !== `c=${Buffer.from(state.gs2Header, 'utf8').toString('base64')}`) {
      return failure('SCRAM channel binding attribute does not match the client-first message', state.user);
    }
    // librdkafka sends its own nonce again in front of the server-first one; Kafka's
    // ScramSaslServer accepts any final nonce that ends with the server-first nonce, so we do too
    // (the server's fresh half is still in it, and the proof covers the message as sent).
    if (!attrs[1]?.startsWith('r=') || !attrs[1].endsWith(state.nonce)) return failure('SCRAM nonce does not match', state.user);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const authMessage = `${state.authPrefix},${withoutProof}`;
    if (!state.cred || !proofMatches(this.mechanism, state.cred, authMessage, proof)) return failure('invalid credentials', state.user);
    const signature = serverSignature(this.mechanism, state.cred.serverKey, authMessage);
    return { kind: 'success', bytes: Buffer.from(`v=${signature.toString('base64')}`, 'utf8'), user: state.user };
  }
}

/** RFC 5802 §5.1 saslname: "=2C" is ",", "=3D" is "="; any other "=" makes it invalid (null). */
export function decodeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** The reverse of decodeSaslName, for clients. */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

// SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677), client side, on the arithmetic shared
// with the broker (src/security/scram-crypto.ts). No channel binding (gs2 header "n,,"), as
// Kafka's clients. The exchange:
//
//   client-first  n,,n=<user>,r=<client nonce>
//   server-first  r=<client nonce + server nonce>,s=<salt, base64>,i=<iterations>
//   client-final  c=biws,r=<nonce>,p=<ClientProof, base64>
//   server-final  v=<ServerSignature, base64>   (or e=<error>)
//
// The client nonce comes in as an input (tests fix it); the server's iteration count is bounded
// because PBKDF2 runs on the event loop.

import {
  clientProof,
  type ScramMechanism,
  saltedPassword,
  scramIterationsMax,
  scramIterationsMin,
  scramKeys,
  serverSignature,
} from '../security/scram-crypto.ts';
import { type SaslClientExchange, SaslExchangeError } from './security.ts';

/** base64("n,,"): the gs2 header, echoed in client-final as channel-binding data. */
const GS2_HEADER_BASE64 = 'biws';

type Step = 'new' | 'sent-first' | 'sent-final' | 'done';

export class ScramClient implements SaslClientExchange {
  private step: Step = 'new';
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | null = null;

  /** `clientNonce`: printable ASCII without commas, e.g. 24 random bytes in base64. */
  constructor(
    readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    private readonly clientNonce: string,
  ) {
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new SaslExchangeError(`${mechanism}: the client nonce must be printable ASCII without commas`);
  }

  start(): Buffer {
    if (this.step !== 'new') throw new SaslExchangeError(`${this.mechanism}: start() called twice`);
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.clientNonce}`;
    this.step = 'sent-first';
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  respond(serverMessage: Buffer): Buffer | null {
    const text = serverMessage.toString('utf8');
    if (this.step === 'sent-first') return this.clientFinal(text);
    if (this.step === 'sent-final') {
      this.verifyServerFinal(text);
      return null;
    }
    throw new SaslExchangeError(`${this.mechanism}: unexpected server message in step ${this.step}`);
  }

  private clientFinal(serverFirst: string): Buffer {
    const attrs = attributes(serverFirst, this.mechanism, 'server-first');
    if (serverFirst.startsWith('m=')) throw new SaslExchangeError(`${this.mechanism}: the server requires an extension (m=) this client does not know`);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterationsText = attrs.get('i');
    if (nonce === undefined || salt === undefined || iterationsText === undefined) {
      throw new SaslExchangeError(`${this.mechanism}: server-first lacks ${['r', 's', 'i'].filter((k) => !attrs.has(k)).join(', ')}`);
    }
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new SaslExchangeError(`${this.mechanism}: the server's nonce does not extend the client's (RFC 5802 §5.1)`);
    }
    const iterations = /^\d{1,9}$/.test(iterationsText) ? Number(iterationsText) : Number.NaN;
    if (!(iterations >= scramIterationsMin && iterations <= scramIterationsMax)) {
      throw new SaslExchangeError(`${this.mechanism}: iteration count ${iterationsText} is outside ${scramIterationsMin}..${scramIterationsMax}`);
    }
    const saltBytes = Buffer.from(salt, 'base64');
    if (saltBytes.length === 0) throw new SaslExchangeError(`${this.mechanism}: the server sent an empty salt`);

    const clientFinalWithoutProof = `c=${GS2_HEADER_BASE64},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const salted = saltedPassword(this.mechanism, this.password, saltBytes, iterations);
    const proof = clientProof(this.mechanism, salted, authMessage);
    this.expectedServerSignature = serverSignature(this.mechanism, scramKeys(this.mechanism, salted).serverKey, authMessage);
    this.step = 'sent-final';
    return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private verifyServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal, this.mechanism, 'server-final');
    const error = attrs.get('e');
    if (error !== undefined) throw new SaslExchangeError(`${this.mechanism}: the server refused the proof (${error})`);
    const signature = attrs.get('v');
    if (signature === undefined) throw new SaslExchangeError(`${this.mechanism}: server-final has neither v= nor e=`);
    // The server proves it knows ServerKey: a server that merely accepts anything does not.
    if (!this.expectedServerSignature?.equals(Buffer.from(signature, 'base64'))) {
      throw new SaslExchangeError(`${this.mechanism}: the server's signature is wrong; it does not hold this user's credential`);
    }
    this.step = 'done';
  }
}

/** RFC 5802 §5.1: "=" and "," in a user name travel as "=3D" and "=2C". */
export function saslName(username: string): string {
  return username.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

/** `k=v,k=v` as a map; a part that is not a one-letter attribute is a SaslExchangeError. */
function attributes(message: string, mechanism: ScramMechanism, what: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    if (!/^[a-zA-Z]=/.test(part)) throw new SaslExchangeError(`${mechanism}: ${what} message is not k=v,k=v (RFC 5802 §7)`);
    if (!attrs.has(part[0]!)) attrs.set(part[0]!, part.slice(2));
  }
  return attrs;
}

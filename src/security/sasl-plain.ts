// SASL PLAIN (RFC 4616) on the server: one message, `[authzid] NUL authcid NUL passwd`, checked
// against the user's stored SCRAM credential (verifyPassword). PLAIN sends the password itself,
// so a listener offering it should run over TLS (SASL_SSL).

import { verifyPassword } from './credentials.ts';
import { failure, type CredentialLookup, type SaslServerMechanism, type SaslStep } from './sasl-mechanism.ts';

/** RFC 4616 §2: each of authzid, authcid and passwd is at most 255 octets. */
const plainFieldBytesMax = 255;

export class PlainServer implements SaslServerMechanism {
  readonly mechanism = 'PLAIN' as const;
  private readonly lookup: CredentialLookup;
  private done = false;

  constructor(lookup: CredentialLookup) {
    this.lookup = lookup;
  }

  step(token: Buffer): SaslStep {
    if (this.done) return failure('PLAIN takes exactly one message');
    this.done = true;
    const first = token.indexOf(0);
    const second = first < 0 ? -1 : token.indexOf(0, first + 1);
    if (first < 0 || second < 0 || token.indexOf(0, second + 1) >= 0) {
      return failure('malformed PLAIN message: expected [authzid] NUL authcid NUL passwd');
    }
    const authzid = token.subarray(0, first).toString('utf8');
    const user = token.subarray(first + 1, second).toString('utf8');
    const password = token.subarray(second + 1);
    if (first > plainFieldBytesMax || second - first - 1 > plainFieldBytesMax || password.length > plainFieldBytesMax) {
      return failure('malformed PLAIN message: a field is longer than 255 bytes');
    }
    if (user === '' || password.length === 0) return failure('malformed PLAIN message: empty user name or password');
    // Kafka's PlainSaslServer: a client may not act as another user.
    if (authzid !== '' && authzid !== user) return failure('PLAIN authorization id differs from the user name', user);
    // SHA-512 first: the stronger hash when a user has both.
    const cred = this.lookup(user, 'SCRAM-SHA-512') ?? this.lookup(user, 'SCRAM-SHA-256');
    if (!cred || !verifyPassword(cred, password.toString('utf8'))) return failure('invalid credentials', user);
    return { kind: 'success', bytes: Buffer.alloc(0), user };
  }
}

// SASL PLAIN (RFC 4616), client side: one message, [authzid] NUL authcid NUL passwd, with no
// authorization identity (Kafka takes the principal from the user name). Sent in clear: use it
// over TLS (SASL_SSL) only, as Kafka's docs say.

import { type SaslClientExchange, SaslExchangeError } from './security.ts';

export class PlainClient implements SaslClientExchange {
  readonly mechanism = 'PLAIN' as const;
  private sent = false;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {
    // A NUL would end the field early and log in as someone else (RFC 4616 §2).
    if (username.includes('\0') || password.includes('\0')) throw new SaslExchangeError('PLAIN: the user name and password must not contain NUL');
  }

  start(): Buffer {
    this.sent = true;
    return Buffer.from(`\0${this.username}\0${this.password}`, 'utf8');
  }

  /** Kafka answers PLAIN with empty bytes once it accepts; there is nothing more to send. */
  respond(serverMessage: Buffer): null {
    if (!this.sent) throw new SaslExchangeError('PLAIN: the server spoke before the client');
    if (serverMessage.length > 0) throw new SaslExchangeError(`PLAIN: unexpected ${serverMessage.length} bytes from the server after login`);
    return null;
  }
}

// How the SDK and `runnel` secure a connection (issue 15): TLS and SASL options with KafkaJS's
// names (`ssl: { ca, cert, key, rejectUnauthorized, servername }`, `sasl: { mechanism,
// username, password }`), so code written for KafkaJS moves over unchanged. checkSecurity reads
// what a user passed and names the field that is wrong; the password never appears in a message.

import type { ScramMechanism } from '../security/scram-crypto.ts';

/** TLS settings; contents of PEM files (strings or Buffers), as node:tls and KafkaJS take them, not paths. */
export interface SslOptions {
  /** The CA certificate(s) the broker's certificate must chain to; the system's CAs when absent. */
  ca?: string | Buffer | (string | Buffer)[];
  /** The client certificate, for brokers that ask for one (mTLS). */
  cert?: string | Buffer;
  /** The client certificate's private key. */
  key?: string | Buffer;
  /** The key's passphrase, when it is encrypted. */
  passphrase?: string;
  /** Refuse a broker whose certificate does not chain to `ca` or does not name the host (default true). */
  rejectUnauthorized?: boolean;
  /** The name the broker's certificate must carry (SNI); default: the host connected to, when it is a name. */
  servername?: string;
}

export const saslMechanismNames = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanismName = (typeof saslMechanismNames)[number];

export interface SaslOptions {
  /** 'plain', 'scram-sha-256' or 'scram-sha-512' (KafkaJS's spelling; upper case works too). */
  mechanism: string;
  username: string;
  password: string;
}

/** What a connection needs to be secured: TLS (`ssl: true` = the system's CAs), SASL, both, or neither. */
export interface ConnectionSecurity {
  ssl?: boolean | SslOptions;
  sasl?: SaslOptions;
}

/** The checked form: TLS options or null, and SASL with its mechanism in Kafka's spelling. */
export interface ResolvedSecurity {
  ssl: SslOptions | null;
  sasl: { mechanism: SaslMechanismName; username: string; password: string } | null;
}

export function isScram(mechanism: SaslMechanismName): mechanism is ScramMechanism {
  return mechanism !== 'PLAIN';
}

/** `security` checked; throws an Error naming the first field that is wrong (never echoing the password). */
export function checkSecurity(security: ConnectionSecurity = {}): ResolvedSecurity {
  return { ssl: checkSsl(security.ssl), sasl: checkSasl(security.sasl) };
}

function checkSsl(ssl: ConnectionSecurity['ssl']): SslOptions | null {
  if (ssl === undefined || ssl === false) return null;
  if (ssl === true) return {};
  if (typeof ssl !== 'object' || ssl === null) throw new Error(`ssl must be true, false or an object with ca/cert/key, got ${typeof ssl}`);
  const pem = (name: 'cert' | 'key', value: unknown) => {
    if (value !== undefined && typeof value !== 'string' && !Buffer.isBuffer(value)) {
      throw new Error(`ssl.${name} must be the PEM text (a string or Buffer), not a ${typeof value}; read the file first`);
    }
  };
  pem('cert', ssl.cert);
  pem('key', ssl.key);
  for (const ca of ssl.ca === undefined ? [] : Array.isArray(ssl.ca) ? ssl.ca : [ssl.ca]) {
    if (typeof ca !== 'string' && !Buffer.isBuffer(ca)) throw new Error('ssl.ca must be PEM text (a string or Buffer) or a list of them; read the file first');
  }
  if ((ssl.cert === undefined) !== (ssl.key === undefined)) throw new Error('ssl.cert and ssl.key go together: give both for a client certificate, or neither');
  if (ssl.rejectUnauthorized !== undefined && typeof ssl.rejectUnauthorized !== 'boolean') throw new Error('ssl.rejectUnauthorized must be true or false');
  if (ssl.servername !== undefined && (typeof ssl.servername !== 'string' || ssl.servername === '')) throw new Error('ssl.servername must be a host name');
  return ssl;
}

function checkSasl(sasl: SaslOptions | undefined): ResolvedSecurity['sasl'] {
  if (sasl === undefined) return null;
  if (typeof sasl !== 'object' || sasl === null) throw new Error('sasl must be an object { mechanism, username, password }');
  const mechanism = typeof sasl.mechanism === 'string' ? sasl.mechanism.toUpperCase() : '';
  if (!(saslMechanismNames as readonly string[]).includes(mechanism)) {
    throw new Error(`sasl.mechanism must be one of ${saslMechanismNames.map((m) => m.toLowerCase()).join(', ')}, got ${JSON.stringify(sasl.mechanism)}`);
  }
  if (typeof sasl.username !== 'string' || sasl.username === '') throw new Error('sasl.username must be a non-empty string');
  if (typeof sasl.password !== 'string' || sasl.password === '') throw new Error('sasl.password must be a non-empty string');
  return { mechanism: mechanism as SaslMechanismName, username: sasl.username, password: sasl.password };
}

/**
 * The client side of one SASL exchange, without I/O: `start` gives the first message, `respond`
 * reads each server message and gives the answer, or null once the exchange is complete (the
 * server proven, for SCRAM). Either throws a SaslExchangeError when the server's message is
 * wrong; what it says never contains the password.
 */
export interface SaslClientExchange {
  readonly mechanism: SaslMechanismName;
  start(): Buffer;
  respond(serverMessage: Buffer): Buffer | null;
}

/** A server message the client cannot accept (bad format, wrong nonce, a signature that does not prove the server). */
export class SaslExchangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslExchangeError';
  }
}

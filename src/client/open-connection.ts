// Opening a connection the way every client of ours does (SDK links, `runnel` commands): connect
// (over TLS when asked), ask the broker which versions it speaks (ApiVersions, which a SASL
// listener answers before login), log in with SASL when asked, and keep the session alive by
// logging in again before it ends (KIP-368).

import { randomBytes } from 'node:crypto';
import { type ApiVersionsResponse, apiVersions } from '../protocol/apis/index.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { ConnectionError, type ConnectionLimits, KafkaConnection, type Send } from './connection.ts';
import { kafkaError } from './errors.ts';
import { type ApiVersionRanges, saslLogin } from './sasl-login.ts';
import type { ResolvedSecurity } from './security.ts';

const CLIENT_SOFTWARE_NAME = 'runnel-sdk';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
/** Bytes of randomness in a SCRAM client nonce (Kafka's Java client uses 32 random characters). */
const CLIENT_NONCE_BYTES = 24;

export interface OpenOptions {
  clientId?: string;
  limits?: Partial<ConnectionLimits>;
  /** From checkSecurity; none (PLAINTEXT) when absent. */
  security?: ResolvedSecurity;
  /** Milliseconds now, and a number in [0, 1): when re-authentication is due. Tests pass their own. */
  now?: () => number;
  random?: () => number;
  /** A SCRAM client nonce per login; tests pass a fixed one. */
  clientNonce?: () => string;
}

/** An open, logged-in connection and the versions its broker speaks. */
export interface OpenConnection {
  connection: KafkaConnection;
  versions: ApiVersionRanges;
}

/**
 * Connects to `address`, negotiates versions and logs in. Rejects with a ConnectionError when the
 * broker cannot be reached (or its certificate is refused), and with a KafkaError when it refuses
 * the login (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM).
 */
export async function openConnection(address: string, options: OpenOptions = {}): Promise<OpenConnection> {
  const security = options.security ?? { ssl: null, sasl: null };
  const connection = await KafkaConnection.connect(address, {
    clientId: options.clientId,
    limits: options.limits,
    ssl: security.ssl,
    now: options.now,
    random: options.random,
  });
  try {
    const versions = await negotiateVersions(connection);
    const sasl = security.sasl;
    if (sasl) {
      const clientNonce = options.clientNonce ?? (() => randomBytes(CLIENT_NONCE_BYTES).toString('base64'));
      const login = (send: Send) => saslLogin(send, { sasl, versions, address, clientNonce });
      connection.keepAuthenticated(await login((api, body, version) => connection.request(api, body, version)), login);
    }
    return { connection, versions };
  } catch (err) {
    connection.close();
    throw err;
  }
}

/** Asks the broker which versions it speaks: ApiVersions v3, or v0 when the broker does not speak v3. */
export async function negotiateVersions(connection: KafkaConnection): Promise<ApiVersionRanges> {
  let answer: ApiVersionsResponse;
  try {
    answer = await connection.request(apiVersions, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION }, 3);
  } catch (err) {
    // A broker that does not speak v3 answers with a v0 body, which does not read as v3.
    if (!(err instanceof ConnectionError) || !/cannot be read/.test(err.message)) throw err;
    answer = await connection.request(apiVersions, {}, 0);
  }
  if (answer.errorCode === ErrorCode.UNSUPPORTED_VERSION) answer = await connection.request(apiVersions, {}, 0);
  if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, `ApiVersions to ${connection.address}`);
  return new Map(answer.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
}

// A SASL login over Kafka requests (KIP-152): SaslHandshake v1 names the mechanism, then each
// message of the exchange travels in a SaslAuthenticate request and the server's answer in its
// response. The same login runs again on an open connection to re-authenticate (KIP-368); the
// broker's SaslAuthenticate v1+ answer says how long the session lasts.

import type { ApiDefinition } from '../protocol/api.ts';
import { saslAuthenticate, saslHandshake } from '../protocol/apis/index.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { Send } from './connection.ts';
import { KafkaError, kafkaError } from './errors.ts';
import { PlainClient } from './sasl-plain.ts';
import { ScramClient } from './sasl-scram.ts';
import { isScram, type ResolvedSecurity, type SaslClientExchange, SaslExchangeError } from './security.ts';

/** The versions a broker speaks (apiKey → range), from ApiVersions. */
export type ApiVersionRanges = Map<number, { min: number; max: number }>;

/** SCRAM takes two rounds, PLAIN one; a server that keeps asking is not speaking either. */
const SASL_ROUNDS_MAX = 4;

export interface SaslLoginInput {
  sasl: NonNullable<ResolvedSecurity['sasl']>;
  versions: ApiVersionRanges;
  /** For messages: the broker logged in to. */
  address: string;
  /** A fresh SCRAM client nonce (printable, no commas) per login. */
  clientNonce: () => string;
}

/**
 * Logs in; resolves with the session's lifetime in ms (0: the broker sets none). Rejects with a
 * KafkaError: SASL_AUTHENTICATION_FAILED (wrong password, unknown user, or a server that could
 * not prove itself), UNSUPPORTED_SASL_MECHANISM (naming what the broker offers), or
 * UNSUPPORTED_VERSION for a broker without SaslHandshake v1 and SaslAuthenticate.
 */
export async function saslLogin(send: Send, input: SaslLoginInput): Promise<number> {
  const { sasl, address } = input;
  const handshakeVersion = versionOf(input, saslHandshake, 1);
  const authenticateVersion = versionOf(input, saslAuthenticate, 0);
  const handshake = await send(saslHandshake, { mechanism: sasl.mechanism }, handshakeVersion);
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw kafkaError(handshake.errorCode, `SASL ${sasl.mechanism} to ${address}`, `the broker offers ${handshake.mechanisms.join(', ') || 'no mechanism'}`);
  }
  const context = `SASL ${sasl.mechanism} login as ${sasl.username} to ${address}`;
  const exchange: SaslClientExchange = isScram(sasl.mechanism)
    ? new ScramClient(sasl.mechanism, sasl.username, sasl.password, input.clientNonce())
    : new PlainClient(sasl.username, sasl.password);
  let message: Buffer | null = exchange.start();
  let sessionLifetimeMs = 0;
  for (let round = 1; message !== null; round++) {
    if (round > SASL_ROUNDS_MAX) throw kafkaError(ErrorCode.ILLEGAL_SASL_STATE, context, `no end after ${SASL_ROUNDS_MAX} rounds`);
    const answer = await send(saslAuthenticate, { authBytes: message }, authenticateVersion);
    if (answer.errorCode !== ErrorCode.NONE) throw kafkaError(answer.errorCode, context, answer.errorMessage);
    sessionLifetimeMs = answer.sessionLifetimeMs ?? 0;
    try {
      message = exchange.respond(answer.authBytes);
    } catch (err) {
      if (err instanceof SaslExchangeError) throw kafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, context, err.message);
      throw err;
    }
  }
  return sessionLifetimeMs;
}

/** The highest version of `api` both sides speak, at least `least`; a KafkaError UNSUPPORTED_VERSION when none. */
function versionOf(input: SaslLoginInput, api: ApiDefinition, least: number): number {
  const theirs = input.versions.get(api.apiKey);
  const version = theirs ? Math.min(theirs.max, api.maxVersion) : -1;
  if (!theirs || version < Math.max(least, theirs.min, api.minVersion)) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_VERSION,
      `broker ${input.address} does not speak ${api.name} v${least}+ (it speaks ${theirs ? `${theirs.min}-${theirs.max}` : 'none'}): SASL needs Kafka 1.0's handshake: UNSUPPORTED_VERSION`,
    );
  }
  return version;
}

// Who is on the other end of a Kafka connection: the listener it came in on, that listener's
// security protocol, and the principal it has proven (Kafka's KafkaPrincipal, "User:<name>").
//
// The connection owns one Session and hands it to every handler in RequestContext; TLS fills
// the principal from a client certificate when the listener asks for one, SASL when the client
// authenticates. Until then the principal is ANONYMOUS, as in Kafka.

import { SECURITY_PROTOCOLS, type SecurityProtocolName } from '../config/types.ts';

/** Kafka's security protocol names (a listener's `security_protocol`), defined with the config that names them. */
export const securityProtocols = SECURITY_PROTOCOLS;
export type SecurityProtocol = SecurityProtocolName;

/** Kafka's principal of a connection that has not authenticated. */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export interface Session {
  /** The listener's name (`PLAINTEXT`, `SASL_SSL`, or what the config calls it). */
  readonly listener: string;
  readonly securityProtocol: SecurityProtocol;
  /** The client's IP address, as ACLs match it (no port). */
  readonly host: string;
  /** `User:<name>` once authenticated; ANONYMOUS_PRINCIPAL before. */
  principal: string;
}

/** The session of a connection on a PLAINTEXT listener: anonymous from start to end. */
export function plaintextSession(host: string, listener = 'PLAINTEXT'): Session {
  return { listener, securityProtocol: 'PLAINTEXT', host, principal: ANONYMOUS_PRINCIPAL };
}

/** True when the listener's protocol runs over TLS. */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

/** True when the listener's protocol requires SASL before any other request. */
export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

// The principal of a client that proved a TLS certificate: Kafka's default SSL principal builder
// gives `User:` + the certificate's subject as X500Principal.getName() prints it (RFC 2253: the
// most specific name first, comma-separated, no spaces), e.g. `User:CN=client,OU=Clients,O=Runnel`.
// ACLs written for Kafka name principals this way, so ours must match them byte for byte.

/**
 * The principal for a certificate subject as Node's X509Certificate.subject gives it: one
 * `TYPE=value` per line, least specific first, values already escaped as RFC 2253 wants
 * (`O=Run\, nel`). RFC 2253 lists the names the other way round.
 */
export function principalFromSubject(subject: string): string {
  const names = subject.split('\n').filter((line) => line !== '');
  return `User:${names.reverse().join(',')}`;
}

// cluster.tls: peer connections over TLS with the broker's certificate (the tls block). Checked
// with the other cross-field rules when a config loads, so a broker with cluster.tls on and no
// certificate exits at once naming the missing field; the files themselves are read when the
// peer transport is made (src/node/peer-tls.ts).
import { fieldError } from './errors.ts';
import type { RunnelConfig, TlsConfig } from './types.ts';

const NEEDED: ReadonlyArray<[keyof TlsConfig, string]> = [
  ['cert_file', "the broker's certificate (PEM), which must name the host of its cluster.raft_address"],
  ['key_file', "the certificate's private key (PEM)"],
  ['ca_file', "the CA (PEM) every broker's certificate is checked against"],
];

export function checkPeerTls(config: Pick<RunnelConfig, 'cluster' | 'tls'>): void {
  if (!config.cluster.enabled || !config.cluster.tls) return;
  for (const [field, what] of NEEDED) {
    if (config.tls[field] === null) throw fieldError(`tls.${field}`, `must be set: cluster.tls is on, and peer connections need ${what}`);
  }
}

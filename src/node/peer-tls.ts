// The peer transport's TLS material (cluster.tls): the broker's tls.cert_file, tls.key_file and
// tls.ca_file, read at start (relative paths from the working directory, like cluster.secret_file)
// and checked by building a TLS context once, so a bad file stops the start naming its field
// instead of failing the first peer connection.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { RunnelConfig } from '../config/index.ts';
import { fieldError } from '../config/errors.ts';
import type { PeerTlsMaterial } from '../transport/tcp-tls.ts';

/** Null when cluster.tls is off; throws ConfigError naming the field of a missing or unreadable file. */
export function readPeerTls(config: Pick<RunnelConfig, 'cluster' | 'tls'>, cwd = process.cwd()): PeerTlsMaterial | null {
  if (!config.cluster.tls) return null;
  const read = (field: 'cert_file' | 'key_file' | 'ca_file'): string => {
    const file = config.tls[field];
    if (file === null) throw fieldError(`tls.${field}`, 'must be set: cluster.tls is on');
    try {
      return readFileSync(resolve(cwd, file), 'utf8');
    } catch (e) {
      throw fieldError(`tls.${field}`, `cannot read "${file}" for cluster.tls: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const material = { cert: read('cert_file'), key: read('key_file'), ca: read('ca_file') };
  try {
    createSecureContext(material);
  } catch (e) {
    // OpenSSL's reason ("no start line", "key values mismatch"); never the key's bytes.
    throw fieldError('tls.cert_file', `the certificate, key or CA for cluster.tls is not usable: ${(e as Error).message}`);
  }
  return material;
}

// Certificates for the peer-TLS tests (cluster.tls), made with openssl into a temporary
// directory and never committed: a cluster CA, a broker certificate it signs for 127.0.0.1 and
// localhost, one it signs for another host only, an expired one, and a broker certificate from a
// second CA.
// EC P-256 keys: quick to make. Each certificate serves as server and client (mutual TLS).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PemFiles {
  cert: string;
  key: string;
  ca: string;
}

export interface PeerCerts {
  dir: string;
  /** Signed by the cluster CA for 127.0.0.1 and localhost. */
  broker: PemFiles;
  /** Signed by the cluster CA, but for other.invalid only: a certificate that does not name 127.0.0.1. */
  wrongName: PemFiles;
  /** For 127.0.0.1, signed by a CA the cluster does not trust (and trusting only that CA). */
  otherCa: PemFiles;
  /** Signed by the cluster CA for 127.0.0.1, but its validity ended before it began. */
  expired: PemFiles;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '2', '-subj', `/CN=${name}/O=Runnel test`, '-out', `${name}.pem`]);
}

/** A certificate signed by `ca`, valid for `days` (negative: expired). */
function makeLeaf(dir: string, name: string, ca: string, altNames: string, days = 2): PemFiles {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}/O=Runnel test`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    String(days),
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  ]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), ca: join(dir, `${ca}.pem`) };
}

export function makePeerCerts(): PeerCerts {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-peer-certs-'));
  makeCa(dir, 'cluster-ca');
  makeCa(dir, 'other-ca');
  return {
    dir,
    broker: makeLeaf(dir, 'broker', 'cluster-ca', 'IP:127.0.0.1,DNS:localhost'),
    wrongName: makeLeaf(dir, 'wrong-name', 'cluster-ca', 'DNS:other.invalid'),
    otherCa: makeLeaf(dir, 'other-broker', 'other-ca', 'IP:127.0.0.1,DNS:localhost'),
    expired: makeLeaf(dir, 'expired', 'cluster-ca', 'IP:127.0.0.1,DNS:localhost', -1),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The PEM text of `files`, as TcpTransport's `tls` option takes it. */
export function readPem(files: PemFiles): { cert: string; key: string; ca: string } {
  return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ca: readFileSync(files.ca, 'utf8') };
}

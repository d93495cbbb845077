// Certificates for the SDK's TLS unit tests, made with openssl in a temp dir (never committed):
// a CA, a broker certificate it signs for 127.0.0.1 and localhost, and a second CA that signed
// nothing of ours (a client trusting only it must refuse the broker).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClientTestCerts {
  dir: string;
  /** PEM text. */
  ca: string;
  brokerCert: string;
  brokerKey: string;
  otherCa: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A new EC key and, with `-x509`, a self-signed certificate (a CA), else a signing request. */
function newKey(dir: string, name: string, kind: '-x509' | '-new'): void {
  const out = kind === '-x509' ? `${name}.pem` : `${name}.csr`;
  const days = kind === '-x509' ? ['-days', '2'] : [];
  openssl(dir, [
    'req',
    kind,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    out,
    ...days,
    '-subj',
    `/CN=${name}`,
  ]);
}

export function makeClientTestCerts(): ClientTestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-client-certs-'));
  newKey(dir, 'ca', '-x509');
  newKey(dir, 'other-ca', '-x509');
  newKey(dir, 'localhost', '-new');
  writeFileSync(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'localhost.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'broker.pem',
    '-days',
    '2',
    '-extfile',
    'broker.ext',
  ]);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    ca: read('ca.pem'),
    brokerCert: read('broker.pem'),
    brokerKey: read('localhost.key'),
    otherCa: read('other-ca.pem'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

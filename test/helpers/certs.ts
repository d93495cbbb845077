// Certificates for the TLS tests, made at test time in a temporary directory (never committed):
// scripts/gen-certs.sh's CA, broker and client certificates, plus the ones a broker must refuse
// (an expired client certificate signed by the same CA, and one from a CA the broker does not know).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './broker-process.ts';

export interface TestCerts {
  dir: string;
  caFile: string;
  brokerCertFile: string;
  brokerKeyFile: string;
  /** Subject CN=client,OU=Clients,O=Runnel, signed by the CA. */
  clientCertFile: string;
  clientKeyFile: string;
  /** Signed by the CA, but its validity ended before it began. */
  expiredCertFile: string;
  expiredKeyFile: string;
  /** Signed by another CA (otherCaFile), which the broker does not trust. */
  untrustedCertFile: string;
  untrustedKeyFile: string;
  otherCaFile: string;
  /** PEM text of a file in `dir`. */
  read(file: string): Buffer;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A key and a certificate for `subject`, signed by caName.pem/.key in `dir`, valid for `days` (negative: expired). */
function signedCert(dir: string, name: string, subject: string, caName: string, days: number): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${caName}.pem`,
    '-CAkey',
    `${caName}.key`,
    '-CAcreateserial',
    '-days',
    String(days),
    '-out',
    `${name}.pem`,
  ]);
}

/** Runs scripts/gen-certs.sh into `dir` (created when missing). */
export function genCerts(dir: string): void {
  execFileSync(join(REPO_ROOT, 'scripts', 'gen-certs.sh'), [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes every certificate of TestCerts in a new temporary directory. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-certs-'));
  genCerts(dir);
  signedCert(dir, 'expired', '/O=Runnel/CN=expired', 'ca', -1);
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=Other CA',
    '-keyout',
    'other-ca.key',
    '-out',
    'other-ca.pem',
  ]);
  signedCert(dir, 'untrusted', '/O=Elsewhere/CN=intruder', 'other-ca', 30);
  const at = (file: string) => join(dir, file);
  return {
    dir,
    caFile: at('ca.pem'),
    brokerCertFile: at('broker.pem'),
    brokerKeyFile: at('broker.key'),
    clientCertFile: at('client.pem'),
    clientKeyFile: at('client.key'),
    expiredCertFile: at('expired.pem'),
    expiredKeyFile: at('expired.key'),
    untrustedCertFile: at('untrusted.pem'),
    untrustedKeyFile: at('untrusted.key'),
    otherCaFile: at('other-ca.pem'),
    read: (file) => readFileSync(file.startsWith('/') ? file : at(file)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// A self-signed certificate for 127.0.0.1 and localhost, made by openssl into a temporary
// directory for one test (never committed): what an HTTPS test serves and trusts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCert {
  dir: string;
  certFile: string;
  keyFile: string;
  /** The certificate's PEM: a client trusts it as its CA. */
  cert: Buffer;
}

export function selfSignedCert(name: string): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), `runnel-${name}-cert-`));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  // An EC key: made in milliseconds, where RSA takes a noticeable part of a second.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { dir, certFile, keyFile, cert: readFileSync(certFile) };
}

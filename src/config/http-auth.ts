// The operations surface's secrets at broker start: the HTTP token from http.auth.token_file and
// the certificate and key http.tls serves HTTPS with. Like the cluster secret, this runs when a
// broker starts, not when a config is loaded, so `./broker status` and the config tests load a
// config whose files exist only on the broker's host. The rules that need no file (basic auth
// only over TLS or loopback) are checked when the config loads (load.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readSecretFile } from './cluster-auth.ts';
import { fieldError } from './errors.ts';
import type { ConfigWarning, RunnelConfig } from './types.ts';

/** A PEM certificate chain or key is a few KiB; anything much larger is the wrong file. */
const PEM_FILE_BYTES_MAX = 1024 * 1024;

const HOW_TO_MAKE_TOKEN = 'make one with: (umask 077; head -c 32 /dev/urandom | base64 > FILE)';

export interface HttpTlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface HttpAuthSecrets {
  /** token mode: the bearer token; null otherwise. */
  token: string | null;
  /** http.tls: the broker's certificate and key, read once at start. */
  tls: HttpTlsFiles | null;
  /** To be logged at every start. */
  warnings: ConfigWarning[];
}

/** True for an address only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function readPem(field: string, file: string, cwd: string): Buffer {
  const path = resolve(cwd, file);
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fieldError(field, `cannot read "${path}": ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (pem.length > PEM_FILE_BYTES_MAX) throw fieldError(field, `"${path}" is larger than ${PEM_FILE_BYTES_MAX} bytes; it should hold PEM text`);
  if (!pem.includes('-----BEGIN ')) throw fieldError(field, `"${path}" holds no PEM block ("-----BEGIN ...")`);
  return pem;
}

/** Throws ConfigError naming the field when the broker must not start. */
export function resolveHttpAuth(config: RunnelConfig, opts: { cwd?: string } = {}): HttpAuthSecrets {
  const { http } = config;
  const cwd = opts.cwd ?? process.cwd();
  if (!http.enabled) return { token: null, tls: null, warnings: [] };
  const warnings: ConfigWarning[] = [];
  let tls: HttpTlsFiles | null = null;
  if (http.tls) {
    // load.ts checked that both are set.
    tls = { cert: readPem('tls.cert_file', config.tls.cert_file!, cwd), key: readPem('tls.key_file', config.tls.key_file!, cwd) };
  }
  let token: string | null = null;
  if (http.auth.mode === 'token') {
    const read = readSecretFile(resolve(cwd, http.auth.token_file!), 'http.auth.token_file', HOW_TO_MAKE_TOKEN);
    token = read.secret;
    warnings.push(...read.warnings);
    if (!http.tls && !isLoopbackHost(http.host)) {
      warnings.push({
        field: 'http.tls',
        message: `http.auth.mode is "token" but http.tls is false on ${http.host}: the token crosses the network in clear; set http.tls: true`,
      });
    }
  }
  return { token, tls, warnings };
}

// The credentials `runnel` sends to a broker's HTTP server when its http.auth is on (docs/cli.md,
// "Authentication"): a bearer token from RUNNEL_HTTP_TOKEN or --http-token-file FILE (or, with
// --config, the config's own http.auth.token_file, as on the broker's host), or a user from
// --http-user with the password in RUNNEL_HTTP_PASSWORD. Secrets never come from the command
// line itself, where `ps` and shell history would show them. HTTPS needs no flag: an https://
// admin address (what runnel.admin.address says over http.tls) is followed, and a CA of one's
// own is trusted through NODE_EXTRA_CA_CERTS, as everywhere in Node.

import { readFileSync } from 'node:fs';
import { UsageError } from './flags.ts';

/** A token file larger than this is the wrong file (the broker's limit too). */
const TOKEN_FILE_BYTES_MAX = 4096;

export interface HttpCredentialOptions {
  /** --http-token-file */
  tokenFile?: string;
  /** --http-user */
  user?: string;
  /** With --config and http.auth.mode "token": the config's token file (used when nothing else is given). */
  configTokenFile?: string;
  env: NodeJS.ProcessEnv;
}

function readToken(file: string, from: string): string {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > TOKEN_FILE_BYTES_MAX)
      throw new UsageError(`${from} "${file}" is larger than ${TOKEN_FILE_BYTES_MAX} bytes; it should hold only the token`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${from}: cannot read "${file}": ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const token = text.replace(/\s+$/, '');
  if (token === '') throw new UsageError(`${from} "${file}" is empty`);
  return token;
}

/** The headers every HTTP request and WebSocket of the command carries ({} when none are given). */
export function httpCredentialHeaders(options: HttpCredentialOptions): Record<string, string> {
  const envToken = options.env.RUNNEL_HTTP_TOKEN;
  const given = [
    envToken ? 'RUNNEL_HTTP_TOKEN' : null,
    options.tokenFile !== undefined ? '--http-token-file' : null,
    options.user !== undefined ? '--http-user' : null,
  ].filter((g) => g !== null);
  if (given.length > 1) throw new UsageError(`give one way to authenticate to the HTTP server, not ${given.join(' and ')}`);
  if (options.user !== undefined) {
    const password = options.env.RUNNEL_HTTP_PASSWORD;
    if (!password) throw new UsageError('--http-user needs the password in the environment variable RUNNEL_HTTP_PASSWORD (never on the command line)');
    if (options.user.includes(':')) throw new UsageError('--http-user: a user name cannot contain ":" in HTTP basic authentication');
    return { authorization: `Basic ${Buffer.from(`${options.user}:${password}`, 'utf8').toString('base64')}` };
  }
  const token = envToken || (options.tokenFile !== undefined ? readToken(options.tokenFile, '--http-token-file') : undefined);
  if (token) return { authorization: `Bearer ${token}` };
  if (options.configTokenFile !== undefined) return { authorization: `Bearer ${readToken(options.configTokenFile, 'http.auth.token_file of --config')}` };
  return {};
}

// The HTTP server's TLS and authentication from the config (docs/security.md, "Operations
// surface"): the files http.tls and http.auth.token_file name are read once when the broker
// starts (a missing or empty one stops the start, naming the field), and basic auth checks a
// user's password against the SCRAM credentials in the metadata, the ones SASL checks.

import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { resolveHttpAuth, type RunnelConfig } from '../config/index.ts';
import type { HttpSecurity } from '../http/server.ts';

/** Whether `password` is `user`'s; null when this build cannot tell (basic mode then refuses to start). */
export type PasswordCheck = ((user: string, password: string) => boolean) | null;

/** Reads the files and logs the warnings; throws ConfigError when the broker must not start. */
export function httpSecurity(config: RunnelConfig, logger: Logger, checkPassword: PasswordCheck): HttpSecurity {
  const secrets = resolveHttpAuth(config);
  for (const warning of secrets.warnings) logger.warn({ field: warning.field }, warning.message);
  const { auth } = config.http;
  if (auth.mode === 'basic' && checkPassword === null) {
    throw new Error('http.auth.mode "basic" needs the SCRAM credentials of SASL, which this build does not store yet; use "token"');
  }
  return {
    tls: secrets.tls && {
      ...secrets.tls,
      reload: { certFile: resolve(config.tls.cert_file!), keyFile: resolve(config.tls.key_file!), intervalMs: config.tls.reload_interval_ms },
    },
    auth: { mode: auth.mode, token: secrets.token, checkPassword, metricsOpen: auth.metrics_open, secure: config.http.tls },
  };
}

/** The SCRAM mechanisms a basic-auth password is checked against, the stronger first. */
const BASIC_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

/**
 * Basic auth's check over the users' stored SCRAM credentials (`lookup`: the metadata's
 * scramCredential; `verify`: credentials.ts verifyPassword). An unknown user costs the same PBKDF2
 * as a known one (against `decoy`, a credential of no one's password), so the time of a refusal
 * does not tell which users exist.
 */
export function scramPasswordCheck<C>(
  lookup: (user: string, mechanism: (typeof BASIC_MECHANISMS)[number]) => C | undefined,
  verify: (credential: C, password: string) => boolean,
  decoy: C,
): (user: string, password: string) => boolean {
  return (user, password) => {
    for (const mechanism of BASIC_MECHANISMS) {
      const credential = lookup(user, mechanism);
      if (credential !== undefined) return verify(credential, password);
    }
    verify(decoy, password);
    return false;
  };
}

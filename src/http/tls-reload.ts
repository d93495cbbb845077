// HTTPS certificate reload without a restart (tls.reload_interval_ms): every interval the
// certificate and key files' modification times are compared with the last ones read; when
// either changed, both are read again and the server's secure context is replaced, so new
// connections get the new certificate and open ones go on with theirs. A file that cannot be
// read or does not hold a valid pair is logged (once a change) and the old certificate stays.

import { readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:https';
import type { Logger } from 'pino';

export interface TlsReloadOptions {
  certFile: string;
  keyFile: string;
  /** 0: never. */
  intervalMs: number;
}

function mtimes(options: TlsReloadOptions): string {
  try {
    return `${statSync(options.certFile).mtimeMs}/${statSync(options.keyFile).mtimeMs}`;
  } catch (err) {
    return `unreadable: ${(err as Error).message}`;
  }
}

/** Starts watching; returns the function that stops it. */
export function watchCertificate(server: Server, options: TlsReloadOptions, logger: Logger): () => void {
  if (options.intervalMs <= 0) return () => undefined;
  let seen = mtimes(options);
  const timer = setInterval(() => {
    const now = mtimes(options);
    if (now === seen) return;
    seen = now;
    try {
      server.setSecureContext({ cert: readFileSync(options.certFile), key: readFileSync(options.keyFile) });
      logger.info({ certFile: options.certFile }, 'http certificate reloaded');
    } catch (err) {
      logger.warn({ certFile: options.certFile, keyFile: options.keyFile, err: (err as Error).message }, 'http certificate not reloaded; the old one stays');
    }
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

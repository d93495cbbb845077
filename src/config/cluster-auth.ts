// The cluster secret at broker start: read cluster.secret_file, and refuse cluster mode without
// a secret unless cluster.insecure says so. Without a secret, anyone who can reach a Raft port
// can pose as a broker (docs/transport.md), so that is never the silent default.
//
// This runs when a broker starts, not when a config is loaded: `./broker status` and the
// config tests load the shipped cluster configs without the secret file existing.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { fieldError } from './errors.ts';
import type { ConfigWarning, RunnelConfig } from './types.ts';

/** A secret is a short token; anything larger is the wrong file. */
export const SECRET_FILE_BYTES_MAX = 4096;

export interface ClusterAuth {
  /** The secret the peer transport uses, or null on a single node or an insecure cluster. */
  secret: string | null;
  /** To be logged at every start. */
  warnings: ConfigWarning[];
}

export interface ResolveOptions {
  /** Where a relative cluster.secret_file starts; the process's working directory by default. */
  cwd?: string;
}

const HOW_TO_MAKE =
  'scripts/start-cluster.sh creates it for the shipped configs; elsewhere make one with: (umask 077; head -c 32 /dev/urandom | base64 > FILE)';

/** Throws ConfigError naming the field when the broker must not start. */
export function resolveClusterAuth(config: RunnelConfig, opts: ResolveOptions = {}): ClusterAuth {
  const cluster = config.cluster;
  if (!cluster.enabled) return { secret: null, warnings: [] };
  if (cluster.secret_file !== null) {
    const { secret, warnings } = readSecretFile(resolve(opts.cwd ?? process.cwd(), cluster.secret_file), 'cluster.secret_file', HOW_TO_MAKE);
    return { secret, warnings };
  }
  if (cluster.secret !== null) return { secret: cluster.secret, warnings: [] };
  if (!cluster.insecure) {
    throw fieldError(
      'cluster.secret',
      'cluster mode needs a secret shared by the brokers, or anyone who can reach a Raft port can pose as a broker: ' +
        'set cluster.secret_file to a file holding it (scripts/start-cluster.sh makes one for the shipped configs) or cluster.secret to the secret itself, ' +
        'or set cluster.insecure: true to run without authentication between brokers',
    );
  }
  return {
    secret: null,
    warnings: [
      {
        field: 'cluster.insecure',
        message:
          'cluster.insecure is true and no cluster secret is set: peer connections are NOT authenticated; any host that can reach the raft port can join as a known node id',
      },
    ],
  };
}

/**
 * Reads a file holding one secret (the cluster secret, the HTTP token): at most
 * SECRET_FILE_BYTES_MAX bytes, trailing whitespace dropped, not empty; a file others may read is
 * a warning. Errors name `field` and say how to make one (`howToMake`).
 */
export function readSecretFile(path: string, field: string, howToMake: string): { secret: string; warnings: ConfigWarning[] } {
  let text: string;
  let mode: number;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    mode = stat.mode;
    if (stat.size > SECRET_FILE_BYTES_MAX) {
      throw fieldError(field, `"${path}" is larger than ${SECRET_FILE_BYTES_MAX} bytes (${stat.size}); it should hold only the secret`);
    }
    const buf = Buffer.alloc(SECRET_FILE_BYTES_MAX + 1);
    const length = readSync(fd, buf, 0, buf.length, 0);
    if (length > SECRET_FILE_BYTES_MAX) {
      throw fieldError(field, `"${path}" is larger than ${SECRET_FILE_BYTES_MAX} bytes; it should hold only the secret`);
    }
    text = buf.subarray(0, length).toString('utf8');
  } catch (error) {
    if ((error as Error).name === 'ConfigError') throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw fieldError(field, `cannot read "${path}": ${why} (${howToMake})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  // Editors and `echo` end the file with a newline; it is not part of the secret.
  const secret = text.replace(/\s+$/, '');
  if (secret === '') throw fieldError(field, `"${path}" is empty (${howToMake})`);
  const warnings: ConfigWarning[] = [];
  if ((mode & 0o077) !== 0) {
    warnings.push({
      field,
      message: `the secret file "${path}" (${field}) is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    });
  }
  return { secret, warnings };
}

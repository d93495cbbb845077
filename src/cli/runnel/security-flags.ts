// How `runnel` reaches a secured listener (issue 15): --tls with --tls-ca/--tls-cert/--tls-key
// (PEM files), and SASL with --username and --sasl-mechanism. The password is not a flag people
// should type: it comes from RUNNEL_PASSWORD or --password-file. --password is accepted (kcat
// users pass `-X sasl.password=...`) but warns, because the process list and the shell history
// show it to anyone on the machine. docs/cli.md, "Secured clusters".

import { readFileSync } from 'node:fs';
import type { ConnectionSecurity } from '../../client/security.ts';
import { flagString } from './command.ts';
import { type FlagSpec, type FlagValue, UsageError } from './flags.ts';

export const SECURITY_FLAGS: FlagSpec[] = [
  { name: 'tls', type: 'boolean', help: 'connect over TLS (SSL and SASL_SSL listeners); trusts the system CAs unless --tls-ca' },
  { name: 'tls-ca', type: 'string', value: 'FILE', help: "PEM file of the CA that signed the brokers' certificates (implies --tls)" },
  { name: 'tls-cert', type: 'string', value: 'FILE', help: 'PEM client certificate, for brokers that ask for one (mTLS; with --tls-key)' },
  { name: 'tls-key', type: 'string', value: 'FILE', help: 'PEM private key of --tls-cert' },
  { name: 'username', type: 'string', value: 'NAME', help: 'log in with SASL as NAME; the password comes from RUNNEL_PASSWORD or --password-file' },
  { name: 'sasl-mechanism', type: 'string', value: 'NAME', help: 'SCRAM-SHA-512 (the default), SCRAM-SHA-256 or PLAIN' },
  { name: 'password-file', type: 'string', value: 'FILE', help: 'read the SASL password from FILE (its first line)' },
  { name: 'password', type: 'string', value: 'PASSWORD', help: 'the SASL password itself: others on the machine can see it; prefer RUNNEL_PASSWORD' },
];

/** The mechanism when --username comes without --sasl-mechanism: the one configs/secure.json and Kafka's docs use. */
export const DEFAULT_SASL_MECHANISM = 'SCRAM-SHA-512';

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * The TLS and SASL settings of the command line (files read here); `warn` gets what the user
 * should know but that does not stop the command. A UsageError names the flag that is wrong.
 */
export function securityFromFlags(flags: Map<string, FlagValue>, env: NodeJS.ProcessEnv, warn: (message: string) => void): ConnectionSecurity {
  const security: ConnectionSecurity = {};
  const ca = flagString(flags, 'tls-ca');
  const cert = flagString(flags, 'tls-cert');
  const key = flagString(flags, 'tls-key');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both for a client certificate');
  if (flags.get('tls') === true || ca !== undefined || cert !== undefined) {
    security.ssl = {
      ...(ca === undefined ? {} : { ca: readFlagFile('tls-ca', ca) }),
      ...(cert === undefined || key === undefined ? {} : { cert: readFlagFile('tls-cert', cert), key: readFlagFile('tls-key', key) }),
    };
  }

  const username = flagString(flags, 'username');
  const mechanismFlag = flagString(flags, 'sasl-mechanism');
  const passwordFile = flagString(flags, 'password-file');
  const passwordFlag = flagString(flags, 'password');
  if (username === undefined) {
    const stray = [mechanismFlag && '--sasl-mechanism', passwordFile && '--password-file', passwordFlag && '--password'].filter(Boolean);
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')} without --username: give the SASL user with --username NAME`);
    return security;
  }
  if (passwordFile !== undefined && passwordFlag !== undefined) throw new UsageError('give the password once: --password-file or --password, not both');
  let password: string | undefined;
  if (passwordFile !== undefined) {
    // The first line: `echo secret > file` leaves a newline that is not part of the password.
    password = readFlagFile('password-file', passwordFile).split(/\r?\n/, 1)[0];
    if (!password) throw new UsageError(`--password-file ${passwordFile}: the first line is empty`);
  } else if (passwordFlag !== undefined) {
    warn('--password puts the password where other users can see it (ps, shell history); use RUNNEL_PASSWORD or --password-file');
    password = passwordFlag;
  } else password = env.RUNNEL_PASSWORD;
  if (!password) throw new UsageError(`--username ${username} needs a password: set RUNNEL_PASSWORD or give --password-file FILE`);

  const mechanism = (mechanismFlag ?? DEFAULT_SASL_MECHANISM).toUpperCase();
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism)) {
    throw new UsageError(`--sasl-mechanism ${mechanismFlag}: use SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN`);
  }
  if (mechanism === 'PLAIN' && !security.ssl) warn('PLAIN without --tls sends the password in clear over the network');
  security.sasl = { mechanism, username, password };
  return security;
}

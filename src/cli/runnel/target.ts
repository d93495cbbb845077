// Which cluster a `runnel` command talks to, and how. The Kafka bootstrap list comes from
// --bootstrap/-b, else RUNNEL_BOOTSTRAP, else --config FILE (a broker config: its Kafka
// listener), else 127.0.0.1:9092. The HTTP admin API comes from --admin, else the config's
// HTTP server, else the bootstrap broker itself: DescribeConfigs on its BROKER resource
// answers the read-only config `runnel.admin.address`. The config loader (and its schema
// validator) is imported only when --config is given, to keep every other command's start short.

import { adminAddressOf } from '../../client/admin-address.ts';
import { type ConnectionLimits, type KafkaConnection, parseHostPort } from '../../client/connection.ts';
import { openConnection } from '../../client/open-connection.ts';
import { type ConnectionSecurity, checkSecurity, type ResolvedSecurity } from '../../client/security.ts';
import { CommandFailed } from './command.ts';
import { UsageError } from './flags.ts';
import { httpCredentialHeaders } from './http-credentials.ts';
import { resolve } from 'node:path';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
/** How long one admin HTTP call may take: long enough for a busy broker, short enough for a script. */
export const ADMIN_TIMEOUT_MS = 10_000;

/** What a broker config file says about where its Kafka listener and HTTP admin API answer. */
export interface ConfigAddresses {
  kafka: string;
  /** Undefined when the config turns the HTTP server off; https://host:port with http.tls. */
  admin: string | undefined;
  /** The config's http.auth.token_file when http.auth.mode is "token" (runnel sends that token unless told otherwise). */
  tokenFile?: string;
}

export interface TargetOptions {
  bootstrap?: string;
  admin?: string;
  configFile?: string;
  /** TLS and SASL from the command line (security-flags.ts); PLAINTEXT when absent. */
  security?: ConnectionSecurity;
  /** --http-token-file */
  httpTokenFile?: string;
  /** --http-user (the password comes from RUNNEL_HTTP_PASSWORD) */
  httpUser?: string;
  env: NodeJS.ProcessEnv;
}

function splitList(value: string, from: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new UsageError(`${from} is empty: give HOST:PORT[,HOST:PORT...]`);
  for (const address of list) {
    try {
      parseHostPort(address);
    } catch (err) {
      throw new UsageError(`${from}: ${(err as Error).message}`);
    }
  }
  return list;
}

async function configAddresses(file: string, env: NodeJS.ProcessEnv): Promise<ConfigAddresses> {
  const { loadConfig, ConfigError, effectiveListeners } = await import('../../config/index.ts');
  const { reachableAddress } = await import('../status.ts');
  try {
    const config = loadConfig({ file, env });
    // The first PLAINTEXT listener when there is one: the one a client needs no credentials for.
    const listeners = effectiveListeners(config);
    const kafka = listeners.find((l) => l.securityProtocol === 'PLAINTEXT') ?? listeners[0]!;
    const admin = reachableAddress(config.http.host, config.http.port);
    const { token_file: tokenFile, mode } = config.http.auth;
    return {
      kafka: reachableAddress(kafka.advertisedHost, kafka.advertisedPort ?? kafka.port),
      admin: config.http.enabled ? (config.http.tls ? `https://${admin}` : admin) : undefined,
      ...(mode === 'token' && tokenFile !== null && { tokenFile: resolve(tokenFile) }),
    };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--config ${file}: ${err.message}`);
    throw err;
  }
}

export class Target {
  /** Kafka addresses to try, in order. */
  readonly bootstrap: string[];
  /** TLS and SASL for every connection the command opens, as the SDK takes them. */
  readonly security: ConnectionSecurity;
  private readonly resolvedSecurity: ResolvedSecurity;
  private readonly adminOverride: string | undefined;
  /** What every HTTP request and WebSocket carries to authenticate (http-credentials.ts); {} when nothing is given. */
  readonly httpHeaders: Record<string, string>;
  private connection: KafkaConnection | null = null;

  /** The target of `options`, reading the --config file (if given) first. */
  static async open(options: TargetOptions): Promise<Target> {
    return new Target(options, options.configFile === undefined ? undefined : await configAddresses(options.configFile, options.env));
  }

  /** `fromConfig`: the addresses of the --config file, which `open` reads. */
  constructor(options: Omit<TargetOptions, 'configFile'>, fromConfig?: ConfigAddresses) {
    if (options.bootstrap !== undefined) this.bootstrap = splitList(options.bootstrap, '--bootstrap');
    else if (options.env.RUNNEL_BOOTSTRAP) this.bootstrap = splitList(options.env.RUNNEL_BOOTSTRAP, 'RUNNEL_BOOTSTRAP');
    else if (fromConfig) this.bootstrap = [fromConfig.kafka];
    else this.bootstrap = [DEFAULT_BOOTSTRAP];
    if (options.admin !== undefined) this.adminOverride = splitList(options.admin, '--admin')[0];
    else this.adminOverride = fromConfig?.admin;
    this.security = options.security ?? {};
    try {
      this.resolvedSecurity = checkSecurity(this.security);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    this.httpHeaders = httpCredentialHeaders({
      tokenFile: options.httpTokenFile,
      user: options.httpUser,
      ...(fromConfig?.tokenFile !== undefined && { configTokenFile: fromConfig.tokenFile }),
      env: options.env,
    });
  }

  /** What an SDK client (Admin, Producer, Consumer) of this command takes: the bootstrap list, TLS and SASL. */
  clientOptions(): { bootstrap: string[] } & ConnectionSecurity {
    return { bootstrap: this.bootstrap, ...this.security };
  }

  /** A connection to `address` with the command's TLS and SASL; the caller closes it. */
  async connect(address: string, limits?: Partial<ConnectionLimits>): Promise<KafkaConnection> {
    return (await openConnection(address, { clientId: 'runnel-cli', limits, security: this.resolvedSecurity })).connection;
  }

  /** A connection to the first bootstrap broker that answers; kept for the command's lifetime. */
  async kafka(): Promise<KafkaConnection> {
    if (this.connection) return this.connection;
    const failures: string[] = [];
    for (const address of this.bootstrap) {
      try {
        this.connection = await this.connect(address);
        return this.connection;
      } catch (err) {
        // A broker that refused the login answered: trying the next one with the same password will not help.
        if ((err as Error).name === 'KafkaError') throw new CommandFailed((err as Error).message, { cause: err });
        failures.push((err as Error).message);
      }
    }
    throw new CommandFailed(`${failures.join('; ')} (is the cluster running? give its address with --bootstrap HOST:PORT or RUNNEL_BOOTSTRAP)`);
  }

  /** `host:port` of the HTTP admin API: --admin, the config's HTTP server, or the bootstrap broker's runnel.admin.address. */
  async admin(): Promise<string> {
    if (this.adminOverride !== undefined) return this.adminOverride;
    const connection = await this.kafka();
    try {
      return await adminAddressOf(connection);
    } catch (err) {
      throw new CommandFailed(`${(err as Error).message}; give the admin address with --admin HOST:PORT`, { cause: err });
    }
  }

  close(): void {
    this.connection?.close();
    this.connection = null;
  }
}

// Which cluster a `runnel` command talks to, and how. The Kafka bootstrap list comes from
// --bootstrap/-b, else RUNNEL_BOOTSTRAP, else --config FILE (a broker config: its Kafka
// listener), else 127.0.0.1:9092. The HTTP admin API comes from --admin, else the config's
// HTTP server, else the bootstrap broker itself: DescribeConfigs on its BROKER resource
// answers the read-only config `runnel.admin.address`.

import { KafkaConnection, parseHostPort } from '../../client/connection.ts';
import { loadConfig, ConfigError, type RunnelConfig } from '../../config/index.ts';
import { adminAddressOf } from '../../client/admin-address.ts';
import { reachableAddress } from '../status.ts';
import { CommandFailed } from './command.ts';
import { UsageError } from './flags.ts';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
/** How long one admin HTTP call may take: long enough for a busy broker, short enough for a script. */
export const ADMIN_TIMEOUT_MS = 10_000;

export interface TargetOptions {
  bootstrap?: string;
  admin?: string;
  configFile?: string;
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

export class Target {
  /** Kafka addresses to try, in order. */
  readonly bootstrap: string[];
  private readonly adminOverride: string | undefined;
  private connection: KafkaConnection | null = null;

  constructor(options: TargetOptions) {
    let config: RunnelConfig | undefined;
    if (options.configFile !== undefined) {
      try {
        config = loadConfig({ file: options.configFile, env: options.env });
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(`--config ${options.configFile}: ${err.message}`);
        throw err;
      }
    }
    if (options.bootstrap !== undefined) this.bootstrap = splitList(options.bootstrap, '--bootstrap');
    else if (options.env.RUNNEL_BOOTSTRAP) this.bootstrap = splitList(options.env.RUNNEL_BOOTSTRAP, 'RUNNEL_BOOTSTRAP');
    else if (config) this.bootstrap = [reachableAddress(config.server.advertised_host, config.server.port)];
    else this.bootstrap = [DEFAULT_BOOTSTRAP];
    if (options.admin !== undefined) this.adminOverride = splitList(options.admin, '--admin')[0];
    else if (config?.http.enabled) this.adminOverride = reachableAddress(config.http.host, config.http.port);
  }

  /** A connection to the first bootstrap broker that answers; kept for the command's lifetime. */
  async kafka(): Promise<KafkaConnection> {
    if (this.connection) return this.connection;
    const failures: string[] = [];
    for (const address of this.bootstrap) {
      try {
        this.connection = await KafkaConnection.connect(address);
        return this.connection;
      } catch (err) {
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

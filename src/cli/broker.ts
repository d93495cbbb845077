// `./broker [-config=FILE] [command]`: runs one Runnel broker until SIGINT or SIGTERM.

import { loadConfigDetailed, parseArgs, resolveClusterAuth, ConfigError, type ClusterAuth } from '../config/index.ts';
import { createLogger, LogRing } from '../log/index.ts';
import { startBrokerNode } from '../node/broker-node.ts';
import { enablePowerLossMode, powerLossModeFromEnv } from './power-loss-mode.ts';
import { runStatusCommand } from './status.ts';

const usage = `usage: ./broker [-config=FILE | --config FILE]
       ./broker [-config=FILE] status [--address HOST:PORT] [--json]

Runs a Runnel broker. Without a config file it runs a single node on built-in defaults
(Kafka port 9092, data in ./data). Every config field can be overridden by an environment
variable, e.g. RUNNEL_SERVER__PORT=9093 or RUNNEL_DATA_DIR=/var/lib/runnel.
See docs/configuration.md.

status   Prints a running broker's status (brokers, Raft groups, follower lag) from its
         HTTP server: --address HOST:PORT, else http.host and http.port of the config.
         --json prints the raw JSON of GET /status. See docs/operations.md.`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (args.command === 'help' || args.rest.includes('-h') || args.rest.includes('--help')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (args.command === 'status') {
    return runStatusCommand(
      { configFile: args.configFile, rest: args.rest },
      { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
    );
  }
  if (args.command !== undefined) {
    process.stderr.write(`unknown command "${args.command}"\n${usage}\n`);
    return 2;
  }

  let loaded;
  let auth: ClusterAuth;
  try {
    loaded = loadConfigDetailed({ file: args.configFile, env: process.env });
    // Reads cluster.secret_file, and refuses cluster mode without a secret unless cluster.insecure.
    auth = resolveClusterAuth(loaded.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`runnel: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let powerLoss;
  try {
    powerLoss = powerLossModeFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`runnel: ${(err as Error).message}\n`);
    return 2;
  }

  const config = { ...loaded.config, cluster: { ...loaded.config.cluster, secret: auth.secret } };
  // The broker's recent lines for log tails (GET /v1/ws/logs), whatever the output format.
  const logRing = new LogRing({ linesMax: config.limits.log_ring_lines, lineBytesMax: config.limits.max_log_line_bytes });
  const logger = createLogger({
    ring: logRing,
    level: config.server.log_level,
    format: config.server.log_format,
    file: config.server.log_file,
    base: { node: config.cluster.node_id },
  });

  logger.info({ file: loaded.file, envOverrides: loaded.envOverrides.map((o) => o.variable) }, 'config loaded');
  for (const field of loaded.ignored) {
    logger.warn({ field: field.field, source: field.source }, `config field accepted but ignored: ${field.reason}`);
  }
  for (const warning of [...loaded.warnings, ...auth.warnings]) logger.warn({ field: warning.field, variable: warning.variable }, warning.message);

  if (powerLoss !== null) {
    enablePowerLossMode(powerLoss);
    logger.warn(
      { seed: powerLoss.seed, skipFsync: powerLoss.skipFsync },
      'TEST-ONLY POWER-LOSS MODE: unsynced writes are held in memory and lost on kill -9; never use this in production',
    );
  }

  let node;
  try {
    node = await startBrokerNode(config, logger, { logRing });
  } catch (err) {
    logger.fatal({ err }, 'broker failed to start');
    logger.flush?.();
    return 1;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      node.close().then(
        () => resolve(0),
        (err) => {
          logger.error({ err }, 'error while stopping');
          resolve(1);
        },
      );
    };
    // A completed leave (POST /cluster/leave): the broker is no member any more and stops on its own.
    node.onLeft(() => stop('left the cluster'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

main().then(
  (code) => {
    // Exit explicitly: a client socket or timer left behind must not keep a stopped broker alive.
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`runnel: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);

// Loading: built-in defaults, then the file, then RUNNEL_* variables (env
// beats file beats defaults). Each layer is validated on its own, so an error
// names the file's field or the variable that caused it.
import { readFileSync } from 'node:fs';
import { baseDefaults } from './defaults.ts';
import { envLayer, variableForField, type EnvOverride } from './env.ts';
import { ConfigError, fieldError } from './errors.ts';
import { checkListeners } from './listeners.ts';
import { isLoopbackHost } from './http-auth.ts';
import { normaliseLayer, type VariableFor } from './normalise.ts';
import { checkPeerTls } from './peer-tls.ts';
import { mergeInto, type PlainObject } from './paths.ts';
import { allKnownPaths, findRawIssue } from './schema.ts';
import { suggestKey } from './suggest.ts';
import type { ConfigWarning, DiscoveryConfig, IgnoredField, RunnelConfig } from './types.ts';

export interface LoadOptions {
  /** A JSON config file; without one, defaults and the environment only. */
  file?: string;
  /** The environment to read RUNNEL_* overrides from; process.env when absent. */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: RunnelConfig;
  /** Go Queue fields that were accepted but have no effect, for the broker to log. */
  ignored: IgnoredField[];
  file: string | null;
  /** The variables that overrode something. */
  envOverrides: EnvOverride[];
  /** What the broker can run with but must log as a warning at start. */
  warnings: ConfigWarning[];
}

/** Loads and validates the configuration; throws ConfigError naming the field on any problem. */
export function loadConfig(opts: LoadOptions = {}): RunnelConfig {
  return loadConfigDetailed(opts).config;
}

/** The built-in defaults, normalised exactly as loadConfig would return them with no file and no variables. */
export function defaultConfig(): RunnelConfig {
  return finish(baseDefaults() as unknown as PlainObject);
}

export function loadConfigDetailed(opts: LoadOptions = {}): LoadedConfig {
  const merged = baseDefaults() as unknown as PlainObject;
  const ignored: IgnoredField[] = [];

  if (opts.file !== undefined) {
    const raw = readConfigFile(opts.file);
    const noVariable: VariableFor = () => undefined;
    checkRaw(raw, noVariable, (problem) => new ConfigError('', `config file "${opts.file}": ${problem}`));
    const layer = normaliseLayer(raw as PlainObject, opts.file, noVariable);
    oneSecretSetting(layer.partial, noVariable);
    mergeInto(merged, layer.partial);
    ignored.push(...layer.ignored);
  }

  const env = envLayer(opts.env ?? process.env);
  const variableFor: VariableFor = (field) => variableForField(env.overrides, field);
  checkRaw(env.raw, variableFor, (problem) => new ConfigError('', `environment: ${problem}`));
  const envNormalised = normaliseLayer(env.raw, 'environment', variableFor);
  oneSecretSetting(envNormalised.partial, variableFor);
  mergeInto(merged, envNormalised.partial);
  ignored.push(...envNormalised.ignored);

  const warnings: ConfigWarning[] = [...env.unknown];
  return { config: finish(merged), ignored, file: opts.file ?? null, envOverrides: env.overrides, warnings };
}

/**
 * cluster.secret and cluster.secret_file are one setting in two forms: a layer may give only
 * one of them, and a layer that gives either replaces both, so an inline secret in the
 * environment overrides a file's secret_file (env beats file) instead of clashing with it.
 */
function oneSecretSetting(partial: PlainObject, variableFor: VariableFor): void {
  const cluster = partial.cluster as { secret?: string | null; secret_file?: string | null } | undefined;
  if (cluster === undefined || (cluster.secret === undefined && cluster.secret_file === undefined)) return;
  if (typeof cluster.secret === 'string' && typeof cluster.secret_file === 'string') {
    throw fieldError(
      'cluster.secret_file',
      'set only one of cluster.secret and cluster.secret_file (both are the cluster secret)',
      variableFor('cluster.secret_file') ?? variableFor('cluster.secret'),
    );
  }
  cluster.secret ??= null;
  cluster.secret_file ??= null;
}

function checkRaw(raw: unknown, variableFor: VariableFor, wholeError: (problem: string) => ConfigError): void {
  const issue = findRawIssue(raw);
  if (issue === null) return;
  if (issue.field === '') throw wholeError(issue.problem);
  let problem = issue.problem;
  if (issue.siblings !== undefined) {
    const lastDot = issue.field.lastIndexOf('.');
    const parent = lastDot === -1 ? '' : issue.field.slice(0, lastDot);
    const suggestion = suggestKey(issue.field.slice(lastDot + 1), parent, issue.siblings, allKnownPaths());
    if (suggestion !== undefined) problem += ` (did you mean "${suggestion}"?)`;
  }
  throw fieldError(issue.field, problem, variableFor(issue.field));
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError('', `config file "${file}": cannot read it: ${why}`);
  }
  // Editors on some systems save a byte-order mark, which JSON.parse rejects.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError('', `config file "${file}": not valid JSON${jsonErrorPlace(text, (error as Error).message)}: ${(error as Error).message}`);
  }
}

/** " at line L column C" from V8's "... at position N" (or its "(line L column C)"), when present. */
export function jsonErrorPlace(text: string, message: string): string {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` at line ${lineColumn[1]} column ${lineColumn[2]}`;
  const position = /position (\d+)/.exec(message);
  if (position === null) return text.trim() === '' ? ' (the file is empty)' : '';
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return ` at line ${line} column ${column}`;
}

/** Fills derived defaults and checks the rules that span several fields. */
function finish(merged: PlainObject): RunnelConfig {
  const config = merged as unknown as RunnelConfig & { cluster: { data_dir: string | null } };
  // The cluster's small durable state lives with the node's data unless placed elsewhere.
  if (config.cluster.data_dir === null) config.cluster.data_dir = `${config.data_dir.replace(/\/+$/, '')}/cluster`;
  // Members of one cluster usually listen on one Raft port (a StatefulSet's pods do).
  const discovery = config.cluster.discovery as { port: number | null };
  if (discovery.port === null) discovery.port = raftPort(config.cluster.raft_address);
  checkCrossFieldRules(config);
  return config;
}

/** The port of a "host:port" that passed readAddress. */
function raftPort(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** What the chosen discovery type needs (src/discovery); the other types' fields are ignored. */
function checkDiscovery(discovery: DiscoveryConfig): void {
  if (discovery.type === 'dns' && discovery.name === null) {
    throw fieldError(
      'cluster.discovery.name',
      'must be set when cluster.discovery.type is "dns": the name whose SRV and A/AAAA records list the members, e.g. "runnel-headless.default.svc.cluster.local"',
    );
  }
  if (discovery.type === 'etcd' && discovery.endpoints.length === 0) {
    throw fieldError(
      'cluster.discovery.endpoints',
      'must name at least one etcd client URL when cluster.discovery.type is "etcd", e.g. ["http://127.0.0.1:2379"]',
    );
  }
  if (discovery.port === 0) {
    throw fieldError('cluster.discovery.port', 'must be a port 1..65535: the Raft port of the addresses that A/AAAA records give (got 0)');
  }
  // Node keys are the prefix + the node id: without the slash, prefix "/runnel/a" would also list "/runnel/ab1".
  if (!discovery.prefix.endsWith('/')) {
    throw fieldError(
      'cluster.discovery.prefix',
      `must end with "/", so one cluster's keys never match another's prefix (got ${JSON.stringify(discovery.prefix)})`,
    );
  }
}

/** The operations surface's rules that need no file read (the files are read at start: http-auth.ts). */
function checkHttpSecurity(config: RunnelConfig): void {
  const { http, tls } = config;
  if (!http.enabled) return;
  if (http.tls && (tls.cert_file === null || tls.key_file === null)) {
    throw fieldError('http.tls', `is true, so tls.cert_file and tls.key_file must name the broker's certificate and key (PEM files)`);
  }
  if (http.auth.mode === 'token' && http.auth.token_file === null) {
    throw fieldError('http.auth.token_file', 'must name the file holding the token when http.auth.mode is "token"');
  }
  // Basic auth sends a user's password (the same one SASL checks) with every request: never in clear over a network.
  if (http.auth.mode === 'basic' && !http.tls && !isLoopbackHost(http.host)) {
    throw fieldError(
      'http.auth.mode',
      `is "basic", which sends passwords with every request: set http.tls: true, or bind http.host to 127.0.0.1 (got ${JSON.stringify(http.host)})`,
    );
  }
}

function checkCrossFieldRules(config: RunnelConfig): void {
  checkDiscovery(config.cluster.discovery);
  checkListeners(config);
  checkPeerTls(config);
  const { cluster, limits } = config;
  // dragonboat refuses ElectionRTT <= 2 * HeartbeatRTT; a follower must miss
  // at least two heartbeats before it may start an election.
  if (cluster.election_rtt <= 2 * cluster.heartbeat_rtt) {
    throw fieldError(
      'cluster.election_rtt',
      `must be greater than 2 x cluster.heartbeat_rtt (${cluster.heartbeat_rtt}), so a follower misses at least two heartbeats before an election (got ${cluster.election_rtt})`,
    );
  }
  if (limits.max_batch_bytes > limits.max_frame_bytes) {
    throw fieldError(
      'limits.max_batch_bytes',
      `must not exceed limits.max_frame_bytes (${limits.max_frame_bytes}), or a batch could never arrive (got ${limits.max_batch_bytes})`,
    );
  }
  if (config.default_partitions > config.max_topic_partitions) {
    throw fieldError('default_partitions', `must not exceed max_topic_partitions (${config.max_topic_partitions}) (got ${config.default_partitions})`);
  }
  checkHttpSecurity(config);
  if (config.groups.min_session_timeout_ms > config.groups.max_session_timeout_ms) {
    throw fieldError(
      'groups.min_session_timeout_ms',
      `must not exceed groups.max_session_timeout_ms (${config.groups.max_session_timeout_ms}) (got ${config.groups.min_session_timeout_ms})`,
    );
  }
}

// `./broker status [-config=FILE] [--address HOST:PORT] [--json]`: asks a running broker's
// HTTP server for GET /status and prints it, as a table for people or as JSON for scripts.
// The address comes from --address, else from the config's http.host and http.port, so the
// same config file (and RUNNEL_* variables) that started a broker also finds it.

import { loadConfig, ConfigError } from '../config/index.ts';
import type { NodeStatus } from '../http/status.ts';
import type { GroupStatus } from '../raft-host/group-status.ts';
import { table } from './table.ts';
import { UsageError } from './runnel/flags.ts';
import { httpCredentialHeaders } from './runnel/http-credentials.ts';

/** Long enough for a busy broker, short enough that a script waiting on a stopped one moves on. */
const FETCH_TIMEOUT_MS = 5_000;

export interface StatusArgs {
  address?: string;
  json: boolean;
}

export interface StatusOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit codes, as for the broker: 2 for a mistake in the command line or config, 1 for a broker that cannot be asked. */
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 1;

export class StatusUsageError extends Error {}

/** Reads the words after `status`: `--address HOST:PORT` (or `--address=`), `--json`. */
export function parseStatusArgs(rest: readonly string[]): StatusArgs {
  const args: StatusArgs = { json: false };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (name === '--json' || name === '-json') {
      if (equals !== -1) throw new StatusUsageError(`flag ${name} takes no value`);
      args.json = true;
    } else if (name === '--address' || name === '-address') {
      const value = equals === -1 ? rest[++i] : arg.slice(equals + 1);
      if (value === undefined || value === '' || value.startsWith('-')) {
        throw new StatusUsageError(`flag ${name}: needs HOST:PORT of the broker's HTTP server, e.g. ${name}=127.0.0.1:8081`);
      }
      args.address = value;
    } else {
      throw new StatusUsageError(`status: unknown argument "${arg}"`);
    }
  }
  return args;
}

/**
 * The address to reach an HTTP server bound to `host`: a wildcard bind (0.0.0.0, ::) is
 * reachable on loopback, and an IPv6 literal needs brackets in a URL.
 */
export function reachableAddress(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '[::]') return `127.0.0.1:${port}`;
  if (host.includes(':') && !host.startsWith('[')) return `[${host}]:${port}`;
  return `${host}:${port}`;
}

/** The URL of GET /status for an address given as HOST:PORT or as a full http(s) URL. */
export function statusUrl(address: string): string {
  const base = /^https?:\/\//.test(address) ? address.replace(/\/+$/, '') : `http://${address}`;
  return `${base}/status`;
}

function isNodeStatus(value: unknown): value is NodeStatus {
  const v = value as Partial<NodeStatus> | null;
  return typeof v === 'object' && v !== null && typeof v.nodeId === 'number' && Array.isArray(v.brokers) && Array.isArray(v.groups);
}

/** Fetches and checks one status; the error message says what went wrong in an operator's words. */
export async function fetchStatus(url: string, timeoutMs = FETCH_TIMEOUT_MS, headers: Record<string, string> = {}): Promise<NodeStatus> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.message ?? e.message);
    throw new Error(`cannot reach the broker at ${url}: ${why} (is it running, with http.enabled true?)`);
  }
  const body = await response.text();
  if (!response.ok) {
    // The API's refusals are {error, message}: the message is what the operator needs (a 401 says which credentials).
    let message = body.slice(0, 200);
    try {
      message = String((JSON.parse(body) as { message?: unknown }).message ?? message);
    } catch {
      // Not JSON: the start of the body as it is.
    }
    throw new Error(`the broker at ${url} answered HTTP ${response.status}: ${message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`the server at ${url} answered something that is not JSON; is it a Runnel broker?`);
  }
  if (!isNodeStatus(parsed)) throw new Error(`the server at ${url} answered JSON that is not a broker status; is it a Runnel broker?`);
  return parsed;
}

/** Followers' lag as `id:lag` (entries behind the leader's last index); only the leader tracks its followers. */
function followerLag(group: GroupStatus): string {
  if (group.state !== 'leader') return '-';
  if (group.followers.length === 0) return '(none)';
  return group.followers.map((f) => `${f.id}:${f.lag}`).join(' ');
}

/** The readable form of a status, as `./broker status` prints it. A pure function of its input. */
export function formatStatus(status: NodeStatus): string {
  const controller = status.controllerId > 0 ? String(status.controllerId) : 'unknown';
  const out = [
    `node ${status.nodeId}  cluster ${status.clusterId}  mode ${status.mode}  controller ${controller}`,
    `kafka ${status.kafka.host}:${status.kafka.port}`,
    '',
  ];
  if (status.brokers.length === 0) {
    out.push('brokers: none known');
  } else {
    const rows = [...status.brokers]
      .sort((a, b) => a.nodeId - b.nodeId)
      .map((b) => [String(b.nodeId), `${b.host}:${b.port}`, b.nodeId === status.nodeId ? 'yes (this node)' : b.connected ? 'yes' : 'no']);
    out.push(table(['BROKER', 'ADDRESS', 'CONNECTED'], rows));
  }
  out.push('');
  if (status.groups.length === 0) {
    out.push(status.mode === 'single' ? 'raft groups: none (single node)' : 'raft groups: none hosted here');
  } else {
    const rows = status.groups.map((g) => [
      g.group,
      g.state,
      String(g.term),
      g.leader > 0 ? String(g.leader) : 'unknown',
      String(g.commit),
      String(g.applied),
      String(g.lastIndex),
      followerLag(g),
    ]);
    out.push(table(['GROUP', 'STATE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'LAST', 'FOLLOWER LAG'], rows));
  }
  return `${out.join('\n')}\n`;
}

/**
 * The address to ask (--address, else the config's HTTP server: the file, then RUNNEL_* variables;
 * https:// with http.tls) and the credentials to send (RUNNEL_HTTP_TOKEN, else the config's
 * http.auth.token_file in token mode: `./broker status` runs where the broker does).
 */
function resolveTarget(args: StatusArgs, configFile: string | undefined, env: NodeJS.ProcessEnv): { address: string; headers: Record<string, string> } {
  const config = args.address !== undefined && configFile === undefined ? null : loadConfig({ file: configFile, env });
  const { token_file: tokenFile, mode } = config?.http.auth ?? { token_file: null, mode: 'none' };
  const headers = httpCredentialHeaders({ env, ...(mode === 'token' && tokenFile !== null && { configTokenFile: tokenFile }) });
  if (args.address !== undefined) return { address: args.address, headers };
  if (!config!.http.enabled) {
    throw new StatusUsageError('http.enabled is false in this config, so the broker serves no status; pass --address HOST:PORT');
  }
  const address = reachableAddress(config!.http.host, config!.http.port);
  return { address: config!.http.tls ? `https://${address}` : address, headers };
}

/** Runs `./broker status`; resolves with the process exit code. */
export async function runStatusCommand(
  options: { configFile?: string; rest: readonly string[]; env?: NodeJS.ProcessEnv },
  output: StatusOutput,
): Promise<number> {
  let url: string;
  let args: StatusArgs;
  let headers: Record<string, string>;
  try {
    args = parseStatusArgs(options.rest);
    const target = resolveTarget(args, options.configFile, options.env ?? process.env);
    url = statusUrl(target.address);
    headers = target.headers;
  } catch (err) {
    if (err instanceof StatusUsageError || err instanceof ConfigError || err instanceof UsageError) {
      output.stderr(`runnel: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  let status: NodeStatus;
  try {
    status = await fetchStatus(url, FETCH_TIMEOUT_MS, headers);
  } catch (err) {
    output.stderr(`runnel: ${(err as Error).message}\n`);
    return EXIT_UNREACHABLE;
  }
  output.stdout(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  return 0;
}

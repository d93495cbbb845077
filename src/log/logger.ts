// The broker's logger: pino JSON lines to stdout or to server.log_file, or
// human-readable lines for a terminal. Every destination is synchronous, so
// the last lines before a crash or process.exit() are not lost; the broker
// logs one line per significant event, not per request, so the cost is small.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { ConfigError } from '../config/errors.ts';
import type { LogFormat, LogLevel, RunnelConfig } from '../config/types.ts';
import type { LogRing } from './log-ring.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LogLevel;
  /** 'auto' is pretty on a terminal with no log file, JSON otherwise. */
  format: LogFormat;
  /** Append to this file instead of writing to stdout; null or absent for stdout. */
  file?: string | null;
  /** Fields on every line, e.g. { node_id: 1 }. */
  base?: Record<string, unknown>;
  /** Writes here instead of stdout or the file (tests, an in-process log tail). */
  destination?: DestinationStream;
  /** Whether stdout is a terminal, for 'auto'; process.stdout.isTTY when absent. */
  stdoutIsTTY?: boolean;
  /** Keeps every line here too (log tails); it sees pino's JSON whatever the format. */
  ring?: LogRing;
}

/** Decides what 'auto' means here and now. */
export function resolveLogFormat(format: LogFormat, file: string | null | undefined, stdoutIsTTY: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return stdoutIsTTY && (file === null || file === undefined) ? 'pretty' : 'json';
}

function openFile(file: string): void {
  // Opening once here turns a bad path into an error that names the config field,
  // instead of a stack trace from inside the stream library.
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new ConfigError('server.log_file', `config field "server.log_file": cannot create the directory of "${file}": ${(error as Error).message}`);
  }
}

function prettyStream(file: string | null, colorize: boolean): DestinationStream {
  try {
    return prettyStreamUnchecked(file, colorize);
  } catch (error) {
    throw new ConfigError('server.log_file', `config field "server.log_file": cannot open "${file}": ${(error as Error).message}`);
  }
}

function prettyStreamUnchecked(file: string | null, colorize: boolean): DestinationStream {
  return pretty({
    sync: true,
    colorize,
    destination: file ?? 1,
    append: true,
    mkdir: true,
    // The pid and hostname are the same on every line of one process; on a terminal they are noise.
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss.l',
  });
}

function jsonStream(file: string | null): DestinationStream {
  if (file === null) return pino.destination({ dest: 1, sync: true });
  try {
    return pino.destination({ dest: file, sync: true, append: true, mkdir: true });
  } catch (error) {
    throw new ConfigError('server.log_file', `config field "server.log_file": cannot open "${file}": ${(error as Error).message}`);
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const file = opts.file ?? null;
  const stdoutIsTTY = opts.stdoutIsTTY ?? process.stdout.isTTY === true;
  const format = resolveLogFormat(opts.format, file, stdoutIsTTY);
  if (file !== null && opts.destination === undefined) openFile(file);
  const output = opts.destination ?? (format === 'pretty' ? prettyStream(file, file === null && stdoutIsTTY) : jsonStream(file));
  const destination = opts.ring ? opts.ring.tee(output) : output;
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid, hostname: hostname(), ...opts.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names ("warn") read better than pino's numbers (40) in files and in a log tail.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** The logger the server.* fields of a config describe. */
export function loggerFromConfig(config: RunnelConfig, base?: Record<string, unknown>): Logger {
  return createLogger({
    level: config.server.log_level,
    format: config.server.log_format,
    file: config.server.log_file,
    base: { ...(config.cluster.enabled ? { node_id: config.cluster.node_id } : {}), ...base },
  });
}

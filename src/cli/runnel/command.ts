// What one `runnel` command is: the words that name it, its help (with an example), the
// flags it accepts, its arguments, and what it runs. Exit codes (docs/cli.md): 0 done,
// 1 the cluster could not be reached or refused the operation, 2 a usage mistake.

import type { FlagSpec, FlagValue } from './flags.ts';
import type { Target } from './target.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The cluster could not be reached, or refused or failed the operation: exit code 1. */
export class CommandFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandFailed';
  }
}

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ArgSpec {
  name: string;
  optional?: boolean;
}

export interface CommandContext {
  args: Map<string, string>;
  flags: Map<string, FlagValue>;
  json: boolean;
  target: Target;
  out: Output;
  /** The environment runnel runs with (a secret a command reads comes from here, not argv). */
  env: NodeJS.ProcessEnv;
}

export interface Command {
  /** e.g. ['cluster', 'status']. */
  path: string[];
  summary: string;
  /** Longer explanation for --help; may be empty. */
  details?: string;
  /** At least one line a user can paste. */
  examples: string[];
  /** Positional arguments after the command words; none when absent. */
  args?: ArgSpec[];
  /** The command's own flags (the global ones apply to every command); none when absent. */
  flags?: FlagSpec[];
  run(ctx: CommandContext): Promise<number>;
}

/** Prints `json` (with --json) or `human` to stdout; the command is done (exit 0). */
export function printResult(ctx: CommandContext, json: unknown, human: string): number {
  ctx.out.stdout(ctx.json ? `${JSON.stringify(json, null, 2)}\n` : human);
  return EXIT_OK;
}

export function flagString(flags: Map<string, FlagValue>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagInteger(flags: Map<string, FlagValue>, name: string): number | undefined {
  const v = flags.get(name);
  return typeof v === 'number' ? v : undefined;
}

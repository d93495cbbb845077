// `runnel`: finds the command named by the words of the command line, checks its flags and
// arguments, and runs it. Help: `runnel --help`, `runnel cluster --help`,
// `runnel cluster status --help` (or `runnel help cluster status`). Exit codes: 0 done,
// 1 the cluster could not be reached or refused the operation, 2 a usage mistake.
// Start-up: the command modules hold only help and flags; the Kafka client, the WebSocket
// client and the compression natives load with `import()` once a command runs, so `--help` and
// usage mistakes skip them (docs/cli.md, "Start-up time"; test/unit/cli/runnel-startup.test.ts).

import { aclCommands } from './acl.ts';
import { benchCommands } from './bench.ts';
import { clusterCommands } from './cluster.ts';
import { consumeCommands } from './consume.ts';
import { groupCommands } from './group.ts';
import { logsCommands } from './logs.ts';
import { produceCommands } from './produce.ts';
import { reassignCommands } from './reassign.ts';
import { topicCommands } from './topic.ts';
import { userCommands } from './user.ts';
import { CommandFailed, EXIT_FAILED, EXIT_OK, EXIT_USAGE, flagString, type Command, type Output } from './command.ts';
import { FlagTable, formatFlags, parseCommandLine, UsageError, type FlagSpec } from './flags.ts';
import { SECURITY_FLAGS, securityFromFlags } from './security-flags.ts';
import type { Target } from './target.ts';

export const GLOBAL_FLAGS: FlagSpec[] = [
  {
    name: 'bootstrap',
    short: 'b',
    type: 'string',
    value: 'HOST:PORT[,...]',
    help: 'Kafka address of any broker (else RUNNEL_BOOTSTRAP, else --config, else 127.0.0.1:9092)',
  },
  { name: 'config', type: 'string', value: 'FILE', help: "a broker's config file: its Kafka listener and HTTP server" },
  { name: 'admin', type: 'string', value: 'HOST:PORT', help: "the broker's HTTP admin address (else asked from the broker: runnel.admin.address)" },
  {
    name: 'http-token-file',
    type: 'string',
    value: 'FILE',
    help: "the HTTP server's token (http.auth.mode token), else RUNNEL_HTTP_TOKEN, else --config's token_file",
  },
  { name: 'http-user', type: 'string', value: 'USER', help: 'HTTP basic authentication as USER, the password in RUNNEL_HTTP_PASSWORD' },
  { name: 'json', type: 'boolean', help: 'print JSON for scripts instead of tables' },
  { name: 'help', short: 'h', type: 'boolean', help: 'show help for the command' },
  ...SECURITY_FLAGS,
];

export const COMMANDS: Command[] = [
  ...clusterCommands,
  ...reassignCommands,
  ...topicCommands,
  ...produceCommands,
  ...consumeCommands,
  ...groupCommands,
  ...userCommands,
  ...aclCommands,
  ...logsCommands,
  ...benchCommands,
];

const EXIT_CODES = `Exit codes: 0 done; 1 the cluster could not be reached, or refused or failed the operation;
2 a mistake in the command line (unknown command or flag, missing argument).`;

function buildFlagTable(): FlagTable {
  const table = new FlagTable();
  for (const spec of GLOBAL_FLAGS) table.add(spec);
  for (const command of COMMANDS) for (const spec of command.flags ?? []) table.add(spec);
  return table;
}

function synopsis(command: Command): string {
  const args = (command.args ?? []).map((a) => (a.optional ? `[<${a.name}>]` : `<${a.name}>`));
  const flags = (command.flags ?? []).length > 0 ? ['[flags]'] : [];
  return ['runnel', ...command.path, ...args, ...flags].join(' ');
}

/** The help of one command: synopsis, what it does, its flags, the global flags, examples. */
export function commandHelp(command: Command): string {
  const parts = [`usage: ${synopsis(command)}`, '', command.summary];
  if (command.details) parts.push('', command.details);
  if (command.flags?.length) parts.push('', 'Flags:', formatFlags(command.flags));
  parts.push('', 'Global flags (before or after the command):', formatFlags(GLOBAL_FLAGS));
  parts.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`), '', EXIT_CODES);
  return `${parts.join('\n')}\n`;
}

/** The list of commands under `prefix` ([] = all), for `runnel --help` and `runnel cluster --help`. */
export function listHelp(prefix: readonly string[]): string {
  const commands = COMMANDS.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const names = commands.map((c) => c.path.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  const parts = [
    `usage: runnel ${prefix.length > 0 ? `${prefix.join(' ')} ` : ''}<command> [flags]`,
    '',
    'Commands:',
    ...commands.map((c, i) => `  ${names[i]!.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags (before or after the command):',
    formatFlags(GLOBAL_FLAGS),
    '',
    `Run \`runnel ${prefix.length > 0 ? `${prefix.join(' ')} ` : ''}<command> --help\` for a command's flags and an example.`,
    'Example: runnel -b 127.0.0.1:9092 cluster status',
    '',
    EXIT_CODES,
  ];
  return `${parts.join('\n')}\n`;
}

/** The command whose words start `words`, the longest match first. */
function findCommand(words: readonly string[]): Command | undefined {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    if (command.path.length <= words.length && command.path.every((w, i) => words[i] === w)) {
      if (!best || command.path.length > best.path.length) best = command;
    }
  }
  return best;
}

function isGroupPrefix(words: readonly string[]): boolean {
  return words.length > 0 && COMMANDS.some((c) => c.path.length > words.length && words.every((w, i) => c.path[i] === w));
}

/** Runs `runnel` with `argv` (without node and the script); resolves with the exit code. */
export async function runRunnel(argv: readonly string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, buildFlagTable());
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.stderr(`runnel: ${err.message}\nRun \`runnel --help\` for usage.\n`);
    return EXIT_USAGE;
  }
  let words = parsed.words;
  const help = parsed.flags.get('help') === true || words[0] === 'help';
  if (words[0] === 'help') words = words.slice(1);

  const command = findCommand(words);
  if (!command) {
    const group = words.filter((_, i) => isGroupPrefix(words.slice(0, i + 1)));
    if (help && (words.length === 0 || group.length === words.length)) {
      out.stdout(listHelp(group));
      return EXIT_OK;
    }
    if (words.length > 0 && group.length === words.length) {
      out.stderr(`runnel: "${words.join(' ')}" needs a command\n${listHelp(group)}`);
      return EXIT_USAGE;
    }
    const what = words.length === 0 ? 'no command given' : `unknown command "${words.slice(0, group.length + 1).join(' ')}"`;
    out.stderr(`runnel: ${what}\n${listHelp(group)}`);
    return EXIT_USAGE;
  }
  if (help) {
    out.stdout(commandHelp(command));
    return EXIT_OK;
  }
  const usageHint = `Run \`runnel ${command.path.join(' ')} --help\` for usage.`;

  let target: Target | undefined;
  try {
    const allowed = new Set([...GLOBAL_FLAGS, ...(command.flags ?? [])].map((f) => f.name));
    for (const name of parsed.flags.keys()) {
      if (!allowed.has(name)) throw new UsageError(`runnel ${command.path.join(' ')} takes no flag --${name}`);
    }
    for (const name of parsed.repeated) {
      if (!command.flags?.some((f) => f.name === name && f.repeatable)) throw new UsageError(`flag --${name} given twice`);
    }
    const rest = words.slice(command.path.length);
    const args = new Map<string, string>();
    const specs = command.args ?? [];
    specs.forEach((spec, i) => {
      if (rest[i] !== undefined) args.set(spec.name, rest[i]!);
      else if (!spec.optional) throw new UsageError(`runnel ${command.path.join(' ')}: missing <${spec.name}>`);
    });
    if (rest.length > specs.length) throw new UsageError(`runnel ${command.path.join(' ')}: unexpected argument "${rest[specs.length]}"`);
    const { Target } = await import('./target.ts');
    target = await Target.open({
      bootstrap: flagString(parsed.flags, 'bootstrap'),
      admin: flagString(parsed.flags, 'admin'),
      configFile: flagString(parsed.flags, 'config'),
      security: securityFromFlags(parsed.flags, env, (warning) => out.stderr(`runnel: warning: ${warning}\n`)),
      httpTokenFile: flagString(parsed.flags, 'http-token-file'),
      httpUser: flagString(parsed.flags, 'http-user'),
      env,
    });
    return await command.run({ args, flags: parsed.flags, json: parsed.flags.get('json') === true, target, out, env });
  } catch (err) {
    if (err instanceof UsageError) {
      out.stderr(`runnel: ${err.message}\n${usageHint}\n`);
      return EXIT_USAGE;
    }
    const { ConnectionError } = await import('../../client/connection.ts');
    if (err instanceof CommandFailed || err instanceof ConnectionError) {
      out.stderr(`runnel: ${err.message}\n`);
      return EXIT_FAILED;
    }
    throw err;
  } finally {
    target?.close();
  }
}

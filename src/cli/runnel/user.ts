// `runnel user create|delete|list`: SASL/SCRAM users through the SDK's Admin client
// (AlterUserScramCredentials and DescribeUserScramCredentials, KIP-554), as
// `kafka-configs.sh --entity-type users` manages them. The password never goes on the command
// line (where `ps` shows it): it comes from RUNNEL_CLI_PASSWORD or, with --password-stdin, from
// the first line of standard input; runnel salts it and sends only the salted form.

import { scramIterationsMin, scramMechanisms, type ScramMechanism } from '../../security/scram-crypto.ts';
import { CommandFailed, flagInteger, flagString, printResult, type Command, type CommandContext } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';
import { withAdmin } from './sdk-client.ts';
import { table } from '../table.ts';

/** The variable `runnel user create` reads the password from. */
export const PASSWORD_ENV = 'RUNNEL_CLI_PASSWORD';

const MECHANISM: FlagSpec = {
  name: 'mechanism',
  type: 'string',
  value: 'M[,M]',
  help: 'SCRAM-SHA-256 and/or SCRAM-SHA-512 (default: both)',
};
const ITERATIONS: FlagSpec = {
  name: 'iterations',
  type: 'integer',
  value: 'N',
  help: `PBKDF2 iterations, ${scramIterationsMin}..16384 (default ${scramIterationsMin})`,
};
const PASSWORD_STDIN: FlagSpec = { name: 'password-stdin', type: 'boolean', help: `read the password from the first line of stdin (else ${PASSWORD_ENV})` };

function mechanismsOf(ctx: CommandContext): ScramMechanism[] {
  const text = flagString(ctx.flags, 'mechanism');
  if (text === undefined) return [...scramMechanisms];
  const names = [...new Set(text.split(',').map((m) => m.trim().toUpperCase()))];
  for (const name of names) {
    if (!scramMechanisms.includes(name as ScramMechanism)) throw new UsageError(`--mechanism: "${name}" is not one of ${scramMechanisms.join(', ')}`);
  }
  return names as ScramMechanism[];
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

async function passwordOf(ctx: CommandContext): Promise<string> {
  const password = ctx.flags.get('password-stdin') === true ? await readFirstLine(process.stdin) : ctx.env[PASSWORD_ENV];
  if (password === undefined || password === '') {
    throw new UsageError(`user create: give the password in ${PASSWORD_ENV} or on stdin with --password-stdin (never as an argument)`);
  }
  return password;
}

export const userCommands: Command[] = [
  {
    path: ['user', 'create'],
    summary: "create a SASL/SCRAM user, or set an existing user's password",
    details: `The password comes from ${PASSWORD_ENV} or, with --password-stdin, from stdin. Both SCRAM mechanisms are set unless --mechanism names one.`,
    examples: [
      `runnel user create alice    # the password from ${PASSWORD_ENV}`,
      'runnel user create alice --password-stdin --mechanism SCRAM-SHA-512 < password.txt',
    ],
    args: [{ name: 'user' }],
    flags: [MECHANISM, ITERATIONS, PASSWORD_STDIN],
    async run(ctx) {
      const user = ctx.args.get('user')!;
      const mechanisms = mechanismsOf(ctx);
      const iterations = flagInteger(ctx.flags, 'iterations') ?? scramIterationsMin;
      const password = await passwordOf(ctx);
      await withAdmin(ctx, user, (admin) =>
        admin.alterUserScramCredentials(mechanisms.map((mechanism) => ({ op: 'upsert' as const, user, mechanism, password, iterations }))),
      );
      return printResult(ctx, { user, mechanisms, iterations }, `user ${user}: ${mechanisms.join(', ')} set (${iterations} iterations)\n`);
    },
  },
  {
    path: ['user', 'delete'],
    summary: "delete a SASL/SCRAM user's credentials (both mechanisms unless --mechanism names one)",
    examples: ['runnel user delete alice', 'runnel user delete alice --mechanism SCRAM-SHA-256'],
    args: [{ name: 'user' }],
    flags: [MECHANISM],
    async run(ctx) {
      const user = ctx.args.get('user')!;
      const named = flagString(ctx.flags, 'mechanism') !== undefined;
      let mechanisms = mechanismsOf(ctx);
      const existing = await withAdmin(ctx, user, async (admin) => (await admin.describeUserScramCredentials()).find((u) => u.user === user));
      if (!existing) throw new CommandFailed(`user ${user} does not exist: see the users with \`runnel user list\``);
      // Without --mechanism: the mechanisms the user has (deleting one it lacks is an error).
      if (!named) mechanisms = existing.mechanisms.map((m) => m.mechanism);
      await withAdmin(ctx, user, (admin) => admin.alterUserScramCredentials(mechanisms.map((mechanism) => ({ op: 'delete' as const, user, mechanism }))));
      return printResult(ctx, { user, deleted: mechanisms }, `user ${user}: ${mechanisms.join(', ')} deleted\n`);
    },
  },
  {
    path: ['user', 'list'],
    summary: 'list the SASL/SCRAM users with their mechanisms and iterations',
    examples: ['runnel user list', 'runnel user list --json'],
    async run(ctx) {
      const users = await withAdmin(ctx, '', (admin) => admin.describeUserScramCredentials());
      const human =
        users.length === 0
          ? `no users: create one with \`${PASSWORD_ENV}=... runnel user create NAME\`\n`
          : `${table(
              ['USER', 'MECHANISMS'],
              users.map((u) => [u.user, u.mechanisms.map((m) => `${m.mechanism} (${m.iterations})`).join(', ')]),
            )}\n`;
      return printResult(ctx, users, human);
    },
  },
];

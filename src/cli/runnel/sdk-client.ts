// Runs a `runnel` command on the SDK (src/client): an Admin or Producer on the command's
// bootstrap list, closed when the command ends, and a KafkaError turned into exit code 1 with
// a message that says what to do next. The client loads when a command runs, not at start-up.

import type { Admin } from '../../client/admin/admin.ts';
import { CommandFailed, type CommandContext } from './command.ts';
import { UsageError } from './flags.ts';

/** What to do next after an error, by Kafka error name. */
const NEXT_STEP: Record<string, (what: string) => string> = {
  UNKNOWN_TOPIC_OR_PARTITION: (topic) => `create it with \`runnel topic create ${topic}\`, or see \`runnel topic list\``,
  TOPIC_ALREADY_EXISTS: (topic) => `see it with \`runnel topic describe ${topic}\``,
  INVALID_PARTITIONS: (topic) => `partitions can only be added: see the count with \`runnel topic describe ${topic}\``,
  INVALID_REPLICATION_FACTOR: () => 'give --replication-factor at most the number of brokers (`runnel cluster status`)',
  INVALID_CONFIG: () => 'see the topic configs in docs/configuration.md',
  NON_EMPTY_GROUP: (group) => `the group has active members: stop its consumers first (see them with \`runnel group describe ${group}\`)`,
  GROUP_ID_NOT_FOUND: () => 'see the groups with `runnel group list`',
};

/** `err` as the command's failure (exit 1): a KafkaError with the next step, others unchanged. */
export async function commandError(err: unknown, subject: string): Promise<unknown> {
  const { KafkaError } = await import('../../client/errors.ts');
  if (!(err instanceof KafkaError)) return err;
  const next = NEXT_STEP[err.errorName]?.(subject);
  return new CommandFailed(next && !err.message.includes('runnel topic create') ? `${err.message}: ${next}` : err.message, { cause: err });
}

/** Runs `fn` with an Admin on the command's cluster, closing it after. */
export async function withAdmin<T>(ctx: CommandContext, subject: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const { Admin } = await import('../../client/admin/admin.ts');
  const admin = new Admin({ ...ctx.target.clientOptions(), clientId: 'runnel-cli' });
  try {
    return await fn(admin);
  } catch (err) {
    throw await commandError(err, subject);
  } finally {
    await admin.close();
  }
}

/** `k=v,k2=v2` as pairs; a part without `=` is a usage error naming the flag. */
export function parsePairs(value: string | undefined, flag: string): [string, string][] {
  if (value === undefined || value === '') return [];
  return value.split(',').map((part) => {
    const at = part.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag}: "${part}" is not NAME=VALUE (e.g. --${flag} retention.ms=86400000)`);
    return [part.slice(0, at), part.slice(at + 1)];
  });
}

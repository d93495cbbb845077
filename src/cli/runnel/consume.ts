// `runnel consume TOPIC` and `runnel tail TOPIC`: print a topic's records with the SDK's
// consumer, as `key:value` lines or JSON lines. Without --group every partition is assigned
// directly (nothing committed); with --group the command is a member of that consumer group and
// commits what it printed. The consumer and the WebSocket client load when the command runs.

import type { ConsumerRecord } from '../../client/consumer/index.ts';
import { CommandFailed, type CommandContext, type Command, EXIT_OK, flagInteger, flagString } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';

/** How long `consume` without --follow waits for a record before it exits, unless --timeout-ms says. */
export const CONSUME_IDLE_MS_DEFAULT = 2_000;

const CONSUME_FLAGS: FlagSpec[] = [
  { name: 'from-beginning', type: 'boolean', help: 'start at the first record (default: at the end, only new records)' },
  { name: 'offset', type: 'integer', value: 'N', help: 'start every partition at offset N' },
  { name: 'from-timestamp', type: 'integer', value: 'MS', help: 'start at the first record at or after this time (ms since the epoch)' },
  { name: 'group', type: 'string', value: 'G', help: 'consume as a member of consumer group G, committing what is printed' },
  { name: 'follow', type: 'boolean', help: 'keep waiting for new records until Ctrl-C' },
  { name: 'max-messages', type: 'integer', value: 'N', help: 'exit after N records' },
  { name: 'timeout-ms', type: 'integer', value: 'MS', help: `exit when no record arrives for MS (default ${CONSUME_IDLE_MS_DEFAULT} without --follow)` },
];

/** Flags of `tail --ws` only: where it starts, which partition and keys. */
const TAIL_WS_FLAGS: FlagSpec[] = [
  ...CONSUME_FLAGS.filter((f) => ['from-beginning', 'offset', 'from-timestamp', 'max-messages'].includes(f.name)),
  { name: 'partition', type: 'integer', value: 'P', help: 'only partition P (default: all)' },
  { name: 'key', type: 'string', value: 'K', help: 'only records whose key is K' },
  { name: 'key-regex', type: 'string', value: 'RE', help: 'only records whose key matches RE (no backreferences, lookarounds or nested repeats)' },
];

const TAIL_FLAGS: FlagSpec[] = [{ name: 'ws', type: 'boolean', help: "read the broker's WebSocket tail instead of a Kafka consumer" }, ...TAIL_WS_FLAGS];

/** One record as a `key:value` line (an absent key or value prints as nothing) or a JSON line. */
export function formatRecord(r: ConsumerRecord, json: boolean): string {
  if (!json) return `${r.key?.toString() ?? ''}:${r.value?.toString() ?? ''}\n`;
  return `${JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? null])),
  })}\n`;
}

interface ConsumeOptions {
  topic: string;
  from: 'beginning' | 'end' | { offset: number } | { timestamp: number };
  group?: string;
  follow: boolean;
  maxMessages?: number;
  idleMs?: number;
}

function optionsOf(ctx: CommandContext, follow: boolean): ConsumeOptions {
  const flags = ctx.flags;
  const offset = flagInteger(flags, 'offset');
  const timestamp = flagInteger(flags, 'from-timestamp');
  const beginning = flags.get('from-beginning') === true;
  const starts = [beginning, offset !== undefined, timestamp !== undefined].filter(Boolean).length;
  if (starts > 1) throw new UsageError('give at most one of --from-beginning, --offset, --from-timestamp');
  const group = flagString(flags, 'group');
  if (group !== undefined && (offset !== undefined || timestamp !== undefined)) {
    throw new UsageError(
      "with --group, reading resumes at the group's commits: --offset and --from-timestamp do not apply (--from-beginning sets where a new group starts)",
    );
  }
  if (offset !== undefined && offset < 0) throw new UsageError(`--offset must be >= 0, got ${offset}`);
  if (timestamp !== undefined && timestamp < 0) throw new UsageError(`--from-timestamp must be >= 0, got ${timestamp}`);
  const maxMessages = flagInteger(flags, 'max-messages');
  if (maxMessages !== undefined && maxMessages < 1) throw new UsageError(`--max-messages must be >= 1, got ${maxMessages}`);
  const timeoutMs = flagInteger(flags, 'timeout-ms');
  if (timeoutMs !== undefined && timeoutMs < 1) throw new UsageError(`--timeout-ms must be >= 1, got ${timeoutMs}`);
  const from = beginning ? 'beginning' : offset !== undefined ? { offset } : timestamp !== undefined ? { timestamp } : 'end';
  return { topic: ctx.args.get('topic')!, from, group, follow, maxMessages, idleMs: timeoutMs ?? (follow ? undefined : CONSUME_IDLE_MS_DEFAULT) };
}

async function consume(ctx: CommandContext, o: ConsumeOptions): Promise<number> {
  const { Consumer } = await import('../../client/consumer/index.ts');
  const { KafkaError } = await import('../../client/errors.ts');
  const errors: Error[] = [];
  const consumer = new Consumer({
    ...ctx.target.clientOptions(),
    clientId: 'runnel-cli',
    groupId: o.group,
    autoOffsetReset: o.from === 'beginning' ? 'earliest' : 'latest',
    onError: (err) => errors.push(err),
  });
  const stop = () => void consumer.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (o.idleMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stop, o.idleMs);
  };
  try {
    let partitions: number[];
    try {
      partitions = await consumer.partitionsFor(o.topic);
    } catch (err) {
      if (err instanceof KafkaError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new CommandFailed(`topic ${o.topic} does not exist: create it with \`runnel topic create ${o.topic}\``);
      }
      throw err;
    }
    if (o.group !== undefined) consumer.subscribe([o.topic]);
    else {
      const tps = partitions.map((partition) => ({ topic: o.topic, partition }));
      await consumer.assign(tps);
      if (typeof o.from === 'object' && 'offset' in o.from) for (const tp of tps) consumer.seek(tp, o.from.offset);
      else if (typeof o.from === 'object') consumer.seekToTimestamp(tps, o.from.timestamp);
    }
    armIdle();
    let count = 0;
    for await (const record of consumer) {
      ctx.out.stdout(formatRecord(record, ctx.json));
      armIdle();
      if (o.maxMessages !== undefined && ++count >= o.maxMessages) break;
    }
    return EXIT_OK;
  } catch (err) {
    if (err instanceof KafkaError) throw new CommandFailed(err.message, { cause: err });
    throw err;
  } finally {
    clearTimeout(idleTimer);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await consumer.close();
    for (const err of errors.slice(0, 3)) ctx.out.stderr(`runnel: ${err.message}\n`);
  }
}

export const consumeCommands: Command[] = [
  {
    path: ['consume'],
    summary: 'print records of a topic (key:value lines, or --json)',
    details:
      'Starts at the end (only new records) unless --from-beginning, --offset or --from-timestamp says otherwise.\n' +
      `Exits after --max-messages, or when nothing arrives for --timeout-ms (${CONSUME_IDLE_MS_DEFAULT} ms unless --follow), or on Ctrl-C.\n` +
      'Without --group every partition is read directly and nothing is committed; with --group the command joins\n' +
      "that consumer group, resumes at the group's commits and commits what it printed.",
    examples: [
      'runnel consume orders --from-beginning',
      'runnel consume orders --group billing --follow --json',
      'runnel consume orders --offset 42 --max-messages 10',
    ],
    args: [{ name: 'topic' }],
    flags: CONSUME_FLAGS,
    run: (ctx) => consume(ctx, optionsOf(ctx, ctx.flags.get('follow') === true)),
  },
  {
    path: ['tail'],
    summary: "print new records of a topic until Ctrl-C (= consume --follow from the end; --ws: the broker's WebSocket tail)",
    details:
      'Without --ws: a Kafka consumer from the end, like `runnel consume --follow`.\n' +
      "With --ws: the broker's WebSocket tail (docs/tailing.md) through its HTTP server (--admin, else asked from the\n" +
      'broker): committed records only, filtered by --key or --key-regex on the broker, from the end unless\n' +
      '--from-beginning, --offset or --from-timestamp says otherwise. A terminal that cannot keep up is told how many\n' +
      'records it missed.',
    examples: [
      'runnel tail orders',
      'runnel tail orders --ws --json',
      'runnel tail orders --ws --key customer-42 --from-beginning',
      "runnel tail orders --ws --partition 0 --key-regex '^eu-' --max-messages 10",
    ],
    args: [{ name: 'topic' }],
    flags: TAIL_FLAGS,
    run: async (ctx) => {
      if (ctx.flags.get('ws') === true) return (await import('./tail-ws.ts')).tailWs(ctx);
      const wsOnly = TAIL_WS_FLAGS.find((f) => ctx.flags.has(f.name));
      if (wsOnly) throw new UsageError(`--${wsOnly.name} needs --ws (the Kafka consumer tail starts at the end of every partition)`);
      return consume(ctx, { topic: ctx.args.get('topic')!, from: 'end', follow: true });
    },
  },
];

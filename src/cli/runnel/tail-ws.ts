// `runnel tail TOPIC --ws`: a topic's committed records from the broker's WebSocket tail
// (GET /v1/ws/topics/:topic, docs/tailing.md) instead of a Kafka consumer: one connection to
// the HTTP server, filtered by key on the broker, and a slow terminal is told what it missed.

import { flagInteger, flagString, type CommandContext } from './command.ts';
import { UsageError } from './flags.ts';
import { followStream, type StreamMessage, wsUrl } from './ws-stream.ts';

/** The stream's query from the command's flags (the same start flags as `runnel consume`). */
export function tailQuery(ctx: CommandContext): URLSearchParams {
  const flags = ctx.flags;
  const offset = flagInteger(flags, 'offset');
  const timestamp = flagInteger(flags, 'from-timestamp');
  const beginning = flags.get('from-beginning') === true;
  if ([beginning, offset !== undefined, timestamp !== undefined].filter(Boolean).length > 1) {
    throw new UsageError('give at most one of --from-beginning, --offset, --from-timestamp');
  }
  const query = new URLSearchParams();
  if (beginning) query.set('from', 'earliest');
  else if (offset !== undefined) query.set('from', `offset:${offset}`);
  else if (timestamp !== undefined) query.set('from', `time:${timestamp}`);
  const partition = flagInteger(flags, 'partition');
  if (partition !== undefined) query.set('partition', String(partition));
  const key = flagString(flags, 'key');
  const keyRegex = flagString(flags, 'key-regex');
  if (key !== undefined && keyRegex !== undefined) throw new UsageError('give either --key or --key-regex, not both');
  if (key !== undefined) query.set('key', key);
  if (keyRegex !== undefined) query.set('keyRegex', keyRegex);
  return query;
}

function text(value: unknown, encoding: unknown): string {
  if (value === null || value === undefined) return '';
  return encoding === 'base64' ? `base64:${String(value)}` : String(value);
}

/** `key:value` like `runnel consume` (bytes that are not UTF-8 as base64:...), or the stream's JSON line. */
export function formatStreamRecord(message: StreamMessage, json: boolean): string {
  if (json) {
    const { type: _type, ...record } = message;
    return `${JSON.stringify(record)}\n`;
  }
  return `${text(message.key, message.keyEncoding)}:${text(message.value, message.valueEncoding)}\n`;
}

export async function tailWs(ctx: CommandContext): Promise<number> {
  const topic = ctx.args.get('topic')!;
  const query = tailQuery(ctx);
  const address = await ctx.target.admin();
  const url = wsUrl(address, `/v1/ws/topics/${encodeURIComponent(topic)}${query.size > 0 ? `?${query}` : ''}`);
  const maxMessages = flagInteger(ctx.flags, 'max-messages');
  if (maxMessages !== undefined && maxMessages < 1) throw new UsageError(`--max-messages must be >= 1, got ${maxMessages}`);
  let count = 0;
  return followStream(ctx, url, (message) => {
    if (message.type !== 'record') return undefined;
    ctx.out.stdout(formatStreamRecord(message, ctx.json));
    return maxMessages !== undefined && ++count >= maxMessages ? 'stop' : undefined;
  });
}

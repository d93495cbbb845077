// `runnel logs [--follow] [--node N] [--level L]`: a broker's own log lines from its log tail
// (GET /v1/ws/logs, docs/tailing.md): the lines it keeps in memory (limits.log_ring_lines),
// then, with --follow, new ones until Ctrl-C.

import { LOG_LEVELS } from '../../log/log-ring.ts';
import { type Command, type CommandContext, flagInteger, flagString } from './command.ts';
import { UsageError } from './flags.ts';
import type { StreamMessage } from './ws-stream.ts';

/** One pino line as `time LEVEL msg {other fields}` (or the JSON line itself with --json). */
export function formatLogLine(line: unknown, json: boolean): string {
  if (typeof line === 'string') return `${line}\n`;
  if (json) return `${JSON.stringify(line)}\n`;
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = line as Record<string, unknown>;
  const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${String(time ?? '')} ${String(level ?? '').toUpperCase()} ${String(msg ?? '')}${rest}\n`;
}

async function logs(ctx: CommandContext): Promise<number> {
  const level = flagString(ctx.flags, 'level') ?? 'info';
  if (!Object.hasOwn(LOG_LEVELS, level)) throw new UsageError(`--level must be one of ${Object.keys(LOG_LEVELS).join(', ')} (got "${level}")`);
  const node = flagInteger(ctx.flags, 'node');
  const follow = ctx.flags.get('follow') === true;
  // The WebSocket client loads when the command runs, not at start-up.
  const { adminAddressOfNode, followStream, wsUrl } = await import('./ws-stream.ts');
  const address = node === undefined ? await ctx.target.admin() : await adminAddressOfNode(ctx, node);
  return followStream(ctx, wsUrl(address, `/v1/ws/logs?level=${level}`), (message: StreamMessage) => {
    if (message.type === 'live') return follow ? undefined : 'stop';
    if (message.type === 'log') ctx.out.stdout(formatLogLine(message.line, ctx.json));
    return undefined;
  });
}

export const logsCommands: Command[] = [
  {
    path: ['logs'],
    summary: "print a broker's recent log lines; --follow keeps printing new ones",
    details:
      "Reads the broker's log tail over WebSocket (its HTTP server, found as for every admin command). The broker keeps\n" +
      'its last limits.log_ring_lines lines in memory; they print first. A terminal that cannot keep up is told how many\n' +
      "lines it missed. --json prints the broker's JSON lines as they are.",
    examples: ['runnel logs --follow', 'runnel logs --follow --node 2 --level warn', 'runnel logs --level debug --json'],
    flags: [
      { name: 'follow', type: 'boolean', help: 'keep printing new lines until Ctrl-C' },
      { name: 'node', type: 'integer', value: 'N', help: 'the broker with node_id N (default: the broker --bootstrap or --admin names)' },
      { name: 'level', type: 'string', value: 'L', help: `the lowest level shown: ${Object.keys(LOG_LEVELS).join(', ')} (default info)` },
    ],
    run: logs,
  },
];

// `runnel group list|describe|reset-offsets|delete`: consumer groups through the SDK's Admin
// client (src/client/admin/groups.ts), as kafka-consumer-groups.sh does them. reset-offsets
// moves an empty group's committed offsets of the given topics to the earliest or latest
// offset, the first record at a time, or a fixed offset; --dry-run prints the plan only.

import type { Admin } from '../../client/admin/admin.ts';
import type { GroupDescription, ResetTarget } from '../../client/admin/groups.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { CommandFailed, flagInteger, flagString, printResult, type Command, type CommandContext } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';
import { withAdmin } from './sdk-client.ts';
import { table } from '../table.ts';

const TOPICS: FlagSpec = { name: 'topic', type: 'string', value: 'T[,T]', help: 'a topic whose offsets to reset (repeatable)', repeatable: true };
const TO_EARLIEST: FlagSpec = { name: 'to-earliest', type: 'boolean', help: "each partition's first offset still kept" };
const TO_LATEST: FlagSpec = { name: 'to-latest', type: 'boolean', help: "each partition's end (the next record written)" };
const TO_DATETIME: FlagSpec = {
  name: 'to-datetime',
  type: 'string',
  value: 'ISO',
  help: 'the first record at or after this time, e.g. 2026-12-07T10:00:00Z (no zone: UTC; none that late: the end)',
};
const TO_OFFSET: FlagSpec = { name: 'to-offset', type: 'integer', value: 'N', help: 'offset N in every partition' };
const DRY_RUN: FlagSpec = { name: 'dry-run', type: 'boolean', help: 'print the new offsets and change nothing' };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `2026-12-07T10:00:00Z` as ms; a time without a zone is UTC, so a script gets the same plan on every machine. */
export function parseDatetime(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) {
    throw new UsageError(`--to-datetime: "${text}" is not an ISO 8601 time such as 2026-12-07T10:00:00Z`);
  }
  const zoned = /T|\s/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new UsageError(`--to-datetime: "${text}" is not a valid date`);
  return ms;
}

/** The one target among --to-earliest, --to-latest, --to-datetime and --to-offset. */
export function resetTargetOf(ctx: Pick<CommandContext, 'flags'>): ResetTarget {
  const datetime = flagString(ctx.flags, 'to-datetime');
  const offset = flagInteger(ctx.flags, 'to-offset');
  const targets: ResetTarget[] = [];
  if (ctx.flags.get('to-earliest') === true) targets.push({ to: 'earliest' });
  if (ctx.flags.get('to-latest') === true) targets.push({ to: 'latest' });
  if (datetime !== undefined) targets.push({ to: 'timestamp', timestamp: parseDatetime(datetime) });
  if (offset !== undefined) targets.push({ to: 'offset', offset });
  if (targets.length !== 1) throw new UsageError('group reset-offsets: give exactly one of --to-earliest, --to-latest, --to-datetime ISO, --to-offset N');
  if (offset !== undefined && offset < 0) throw new UsageError(`--to-offset must be >= 0, got ${offset}`);
  return targets[0]!;
}

/** The topics of --topic, each once, in the order given. */
export function topicsOf(ctx: Pick<CommandContext, 'flags'>): string[] {
  const topics = [...new Set((flagString(ctx.flags, 'topic') ?? '').split(',').filter((t) => t !== ''))];
  if (topics.length === 0) throw new UsageError('group reset-offsets: name the topics with --topic T (repeatable, or T1,T2)');
  return topics;
}

/** The group, or a failure saying it does not exist (DescribeGroups answers "Dead" for a group it does not know). */
async function describeExisting(admin: Admin, groupId: string): Promise<GroupDescription> {
  const [g] = await admin.describeGroups([groupId]);
  if (!g || (g.state === 'Dead' && g.members.length === 0 && g.offsets.length === 0)) {
    throw new CommandFailed(`group ${groupId} does not exist: see the groups with \`runnel group list\``);
  }
  return g;
}

/** The topic's partitions, or a failure saying it does not exist. */
async function partitionsOf(admin: Admin, topic: string): Promise<number[]> {
  try {
    const [t] = await admin.describeTopics([topic]);
    return (t?.partitions ?? []).map((p) => p.partition).sort((a, b) => a - b);
  } catch (err) {
    const { KafkaError } = await import('../../client/errors.ts');
    if (err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new CommandFailed(`topic ${topic} does not exist: see the topics with \`runnel topic list\``);
    }
    throw err;
  }
}

interface ResetRow {
  topic: string;
  partition: number;
  /** The committed offset before; -1 when none. */
  current: number;
  new: number;
}

export const groupCommands: Command[] = [
  {
    path: ['group', 'list'],
    summary: 'list the consumer groups with their state',
    examples: ['runnel group list', 'runnel group list --json'],
    async run(ctx) {
      const groups = await withAdmin(ctx, '', (admin) => admin.listGroups());
      const human =
        groups.length === 0
          ? 'no consumer groups: a consumer joins one with `runnel consume TOPIC --group G`\n'
          : `${table(
              ['GROUP', 'STATE', 'TYPE'],
              groups.map((g) => [g.groupId, g.state || '-', g.protocolType || '-']),
            )}\n`;
      return printResult(ctx, groups, human);
    },
  },
  {
    path: ['group', 'describe'],
    summary: "a group's state, members, and per partition its committed offset, the end and the lag",
    examples: ['runnel group describe billing', 'runnel group describe billing --json'],
    args: [{ name: 'group' }],
    async run(ctx) {
      const groupId = ctx.args.get('group')!;
      const g = await withAdmin(ctx, groupId, (admin) => describeExisting(admin, groupId));
      const offsets =
        g.offsets.length === 0
          ? 'no committed offsets\n'
          : `${table(
              ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
              g.offsets.map((o) => [o.topic, String(o.partition), String(o.committed), String(o.highWatermark), String(o.lag)]),
            )}\n`;
      const members =
        g.members.length === 0
          ? ''
          : `\n${table(
              ['MEMBER', 'CLIENT', 'HOST'],
              g.members.map((m) => [m.memberId, m.clientId, m.clientHost]),
            )}\n`;
      const lag = g.offsets.reduce((sum, o) => sum + Math.max(0, o.lag), 0);
      const human =
        `group ${g.groupId}  state ${g.state}  protocol ${g.protocolType || '-'}/${g.protocol || '-'}  ${plural(g.members.length, 'member')}  lag ${lag}\n\n` +
        offsets +
        members;
      return printResult(ctx, g, human);
    },
  },
  {
    path: ['group', 'reset-offsets'],
    summary: "move an empty group's committed offsets of some topics (earliest, latest, a time, an offset)",
    details:
      'The group must have no active members (they would commit over the reset): stop its consumers first.\n' +
      'Every partition of each --topic is reset. --dry-run prints the plan (current and new offset) and changes nothing.',
    examples: [
      'runnel group reset-offsets billing --topic orders --to-earliest --dry-run',
      'runnel group reset-offsets billing --topic orders,refunds --to-datetime 2026-12-07T10:00:00Z',
      'runnel group reset-offsets billing --topic orders --to-offset 0 --json',
    ],
    args: [{ name: 'group' }],
    flags: [TOPICS, TO_EARLIEST, TO_LATEST, TO_DATETIME, TO_OFFSET, DRY_RUN],
    async run(ctx) {
      const groupId = ctx.args.get('group')!;
      const topics = topicsOf(ctx);
      const target = resetTargetOf(ctx);
      const dryRun = ctx.flags.get('dry-run') === true;
      const rows = await withAdmin(ctx, groupId, async (admin) => {
        const [g] = await admin.describeGroups([groupId]);
        const active = g?.members.length ?? 0;
        if (active > 0) {
          throw new CommandFailed(
            `group ${groupId} has ${plural(active, 'active member')}: stop them before resetting offsets (see them with \`runnel group describe ${groupId}\`)`,
          );
        }
        const current = new Map((g?.offsets ?? []).map((o) => [`${o.topic}/${o.partition}`, o.committed]));
        const out: ResetRow[] = [];
        for (const topic of topics) {
          const partitions = await partitionsOf(admin, topic);
          const moved = dryRun
            ? [...(await admin.resetOffsetsPlan(topic, target, partitions))].map(([partition, offset]) => ({ partition, offset }))
            : await admin.resetOffsets(groupId, topic, target, partitions);
          for (const { partition, offset } of moved.sort((a, b) => a.partition - b.partition)) {
            out.push({ topic, partition, current: current.get(`${topic}/${partition}`) ?? -1, new: offset });
          }
        }
        return out;
      });
      const verdict = dryRun
        ? `dry run: nothing changed; run it again without --dry-run to reset ${plural(rows.length, 'partition')}\n`
        : `reset group ${groupId}: ${plural(rows.length, 'partition')}\n`;
      const human = `${table(
        ['TOPIC', 'PARTITION', 'CURRENT', 'NEW'],
        rows.map((r) => [r.topic, String(r.partition), r.current >= 0 ? String(r.current) : '-', String(r.new)]),
      )}\n${verdict}`;
      return printResult(ctx, { group: groupId, dryRun, offsets: rows }, human);
    },
  },
  {
    path: ['group', 'delete'],
    summary: 'delete a consumer group and its committed offsets (it must have no active members)',
    examples: ['runnel group delete billing'],
    args: [{ name: 'group' }],
    async run(ctx) {
      const groupId = ctx.args.get('group')!;
      await withAdmin(ctx, groupId, (admin) => admin.deleteGroups([groupId]));
      return printResult(ctx, { deleted: groupId }, `deleted group ${groupId}\n`);
    },
  },
];

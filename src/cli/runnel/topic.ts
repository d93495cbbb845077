// `runnel topic create|list|describe|delete|add-partitions|config`: topics through the SDK's
// Admin client (src/client/admin) over the Kafka protocol, so they work against any broker of
// the cluster (and any Kafka broker).

import { flagInteger, flagString, printResult, type Command } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';
import { parsePairs, withAdmin } from './sdk-client.ts';
import { table } from '../table.ts';

const PARTITIONS: FlagSpec = {
  name: 'partitions',
  type: 'integer',
  value: 'N',
  help: 'partitions (create: broker default; add-partitions: new total)',
};
const REPLICATION: FlagSpec = { name: 'replication-factor', type: 'integer', value: 'N', help: 'copies of each partition (default: the broker default)' };
// The global --config names a broker config file, so topic configs have their own flag.
const TOPIC_CONFIG: FlagSpec = { name: 'topic-config', type: 'string', value: 'K=V[,K=V]', help: 'topic configs, e.g. retention.ms=86400000' };
const SET: FlagSpec = { name: 'set', type: 'string', value: 'K=V[,K=V]', help: 'configs to set' };
const UNSET: FlagSpec = { name: 'unset', type: 'string', value: 'K[,K]', help: 'configs to set back to their default' };

function positive(value: number | undefined, flag: string): number | undefined {
  if (value !== undefined && value < 1) throw new UsageError(`--${flag}: ${value} must be at least 1`);
  return value;
}

export const topicCommands: Command[] = [
  {
    path: ['topic', 'create'],
    summary: 'create a topic',
    examples: [
      'runnel topic create orders --partitions 6 --replication-factor 3',
      'runnel topic create audit --topic-config retention.ms=604800000,cleanup.policy=delete',
    ],
    args: [{ name: 'topic' }],
    flags: [PARTITIONS, REPLICATION, TOPIC_CONFIG],
    async run(ctx) {
      const name = ctx.args.get('topic')!;
      const partitions = positive(flagInteger(ctx.flags, 'partitions'), 'partitions');
      const replicationFactor = positive(flagInteger(ctx.flags, 'replication-factor'), 'replication-factor');
      const configs = Object.fromEntries(parsePairs(flagString(ctx.flags, 'topic-config'), 'topic-config'));
      await withAdmin(ctx, name, (admin) => admin.createTopics([{ name, partitions, replicationFactor, configs }]));
      return printResult(ctx, { created: name }, `created topic ${name}\n`);
    },
  },
  {
    path: ['topic', 'list'],
    summary: 'list the topics',
    examples: ['runnel topic list', 'runnel topic list --json'],
    async run(ctx) {
      const topics = await withAdmin(ctx, '', (admin) => admin.describeTopics());
      const rows = topics
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((t) => [t.name, String(t.partitions.length), String(t.partitions[0]?.replicas.length ?? 0)]);
      const human = rows.length === 0 ? 'no topics: create one with `runnel topic create NAME`\n' : table(['TOPIC', 'PARTITIONS', 'REPLICAS'], rows);
      return printResult(
        ctx,
        topics.map((t) => ({ name: t.name, partitions: t.partitions.length, replicationFactor: t.partitions[0]?.replicas.length ?? 0 })),
        human,
      );
    },
  },
  {
    path: ['topic', 'describe'],
    summary: "a topic's partitions (leader, replicas, in-sync replicas) and its configs that are not defaults",
    examples: ['runnel topic describe orders'],
    args: [{ name: 'topic' }],
    async run(ctx) {
      const name = ctx.args.get('topic')!;
      const { topic, configs } = await withAdmin(ctx, name, async (admin) => ({
        topic: (await admin.describeTopics([name]))[0]!,
        configs: (await admin.describeConfigs({ type: 'topic', name })).filter((c) => !c.isDefault),
      }));
      const list = (ids: number[]) => ids.join(',') || '-';
      const human =
        `topic ${topic.name}  id ${topic.topicId || '-'}  partitions ${topic.partitions.length}\n` +
        table(
          ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR'],
          topic.partitions.map((p) => [String(p.partition), String(p.leader), String(p.leaderEpoch), list(p.replicas), list(p.isr)]),
        ) +
        (configs.length > 0 ? `configs: ${configs.map((c) => `${c.name}=${c.value}`).join(' ')}\n` : '');
      return printResult(ctx, { ...topic, configs }, human);
    },
  },
  {
    path: ['topic', 'delete'],
    summary: 'delete a topic and its records',
    examples: ['runnel topic delete orders'],
    args: [{ name: 'topic' }],
    async run(ctx) {
      const name = ctx.args.get('topic')!;
      await withAdmin(ctx, name, (admin) => admin.deleteTopics([name]));
      return printResult(ctx, { deleted: name }, `deleted topic ${name}\n`);
    },
  },
  {
    path: ['topic', 'add-partitions'],
    summary: 'grow a topic to --partitions N partitions (keyed records of existing keys may move)',
    examples: ['runnel topic add-partitions orders --partitions 12'],
    args: [{ name: 'topic' }],
    flags: [PARTITIONS],
    async run(ctx) {
      const name = ctx.args.get('topic')!;
      const total = positive(flagInteger(ctx.flags, 'partitions'), 'partitions');
      if (total === undefined) throw new UsageError('topic add-partitions: give the new total with --partitions N');
      await withAdmin(ctx, name, (admin) => admin.createPartitions(name, total));
      return printResult(ctx, { topic: name, partitions: total }, `topic ${name} has ${total} partitions\n`);
    },
  },
  {
    path: ['topic', 'config'],
    summary: "show a topic's configs, or change some (--set, --unset) leaving the others",
    examples: ['runnel topic config orders', 'runnel topic config orders --set retention.ms=86400000 --unset cleanup.policy'],
    args: [{ name: 'topic' }],
    flags: [SET, UNSET],
    async run(ctx) {
      const name = ctx.args.get('topic')!;
      const set = parsePairs(flagString(ctx.flags, 'set'), 'set');
      const unset = (flagString(ctx.flags, 'unset') ?? '').split(',').filter((k) => k !== '');
      const configs = await withAdmin(ctx, name, async (admin) => {
        const changes = [
          ...set.map(([key, value]) => ({ name: key, op: 'set' as const, value })),
          ...unset.map((key) => ({ name: key, op: 'delete' as const })),
        ];
        if (changes.length > 0) await admin.alterConfigs({ type: 'topic', name }, changes);
        return admin.describeConfigs({ type: 'topic', name });
      });
      const human = table(
        ['CONFIG', 'VALUE', 'DEFAULT'],
        configs.map((c) => [c.name, c.isSensitive ? '(hidden)' : (c.value ?? '-'), c.isDefault ? 'yes' : 'no']),
      );
      return printResult(ctx, configs, human);
    },
  },
];

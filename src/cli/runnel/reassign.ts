// `runnel cluster reassign | list-reassignments | elect-leaders`: partition reassignment and
// preferred-leader election through Kafka's own APIs (AlterPartitionReassignments,
// ListPartitionReassignments, ElectLeaders), sent to the bootstrap broker, which forwards what
// needs the controller. The same requests kafka-reassign-partitions.sh and
// kafka-leader-election.sh send, so the CLI and Kafka's tools see the same reassignments.

import { alterPartitionReassignments } from '../../protocol/apis/alter-partition-reassignments.ts';
import { electLeaders } from '../../protocol/apis/elect-leaders.ts';
import { listPartitionReassignments } from '../../protocol/apis/list-partition-reassignments.ts';
import { metadata } from '../../protocol/apis/metadata.ts';
import { ErrorCode, errorName } from '../../protocol/errors.ts';
import { table as formatTable } from '../table.ts';
import { CommandFailed, EXIT_OK, flagInteger, flagString, type Command, type CommandContext } from './command.ts';
import { UsageError, type FlagSpec } from './flags.ts';

/** How long the broker may take over the request (Kafka's tools default to 60 s as well). */
const REQUEST_TIMEOUT_MS = 60_000;
/** ElectLeaders election type PREFERRED (KIP-460): the first replica of the assignment leads. */
const ELECTION_PREFERRED = 0;

const TOPIC_FLAG: FlagSpec = { name: 'topic', type: 'string', value: 'T', help: 'a topic name' };
const PARTITION_FLAG: FlagSpec = { name: 'partition', type: 'integer', value: 'P', help: 'a partition index (≥ 0)' };
const REPLICAS_FLAG: FlagSpec = { name: 'replicas', type: 'string', value: 'ID,ID,...', help: 'the target replica list, preferred leader first' };
const CANCEL_FLAG: FlagSpec = { name: 'cancel', type: 'boolean', help: 'cancel the reassignment in flight instead' };

/** `1,2,4` → [1, 2, 4]: broker ids, at least one, none twice. */
export function parseReplicaList(text: string): number[] {
  const ids = text.split(',').map((s) => s.trim());
  if (ids.some((s) => !/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s)))) {
    throw new UsageError(`--replicas: "${text}" is not a list of broker ids (whole numbers ≥ 1, comma-separated)`);
  }
  const replicas = ids.map(Number);
  if (new Set(replicas).size !== replicas.length) throw new UsageError(`--replicas: "${text}" names a broker twice`);
  return replicas;
}

function requiredPartition(ctx: CommandContext, command: string): { topic: string; partition: number } {
  const topic = flagString(ctx.flags, 'topic');
  const partition = flagInteger(ctx.flags, 'partition');
  if (topic === undefined || partition === undefined) throw new UsageError(`${command}: give --topic T and --partition P`);
  if (partition < 0) throw new UsageError(`${command} --partition: ${partition} is not a partition index (≥ 0)`);
  return { topic, partition };
}

function failure(code: number, message: string | null | undefined): string {
  return `${errorName(code)}${message ? `: ${message}` : ''}`;
}

async function reassign(ctx: CommandContext): Promise<number> {
  const { topic, partition } = requiredPartition(ctx, 'cluster reassign');
  const cancel = ctx.flags.get('cancel') === true;
  const text = flagString(ctx.flags, 'replicas');
  if (cancel === (text !== undefined)) throw new UsageError('cluster reassign: give exactly one of --replicas ID,ID,... or --cancel');
  const replicas = cancel ? null : parseReplicaList(text!);
  const connection = await ctx.target.kafka();
  const response = await connection.request(alterPartitionReassignments, {
    timeoutMs: REQUEST_TIMEOUT_MS,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }],
  });
  if (response.errorCode !== ErrorCode.NONE) throw new CommandFailed(`cluster reassign: ${failure(response.errorCode, response.errorMessage)}`);
  const result = response.responses[0]?.partitions[0];
  if (!result) throw new CommandFailed('cluster reassign: the broker answered no result for the partition');
  if (result.errorCode !== ErrorCode.NONE) throw new CommandFailed(`cluster reassign ${topic}-${partition}: ${failure(result.errorCode, result.errorMessage)}`);
  const outcome = { topic, partition, ...(cancel ? { cancelled: true } : { target: replicas }) };
  ctx.out.stdout(
    ctx.json
      ? `${JSON.stringify(outcome, null, 2)}\n`
      : cancel
        ? `${topic}-${partition}: reassignment cancelled\n`
        : `${topic}-${partition}: reassigning to [${replicas!.join(', ')}]; follow it with \`runnel cluster list-reassignments\`\n`,
  );
  return EXIT_OK;
}

async function listReassignments(ctx: CommandContext): Promise<number> {
  const topic = flagString(ctx.flags, 'topic');
  const connection = await ctx.target.kafka();
  // A topic alone: ListPartitionReassignments names partitions, so ask for every one the metadata knows of.
  const response = await connection.request(listPartitionReassignments, { timeoutMs: REQUEST_TIMEOUT_MS, topics: null });
  if (response.errorCode !== ErrorCode.NONE) throw new CommandFailed(`cluster list-reassignments: ${failure(response.errorCode, response.errorMessage)}`);
  const rows = response.topics
    .filter((t) => topic === undefined || t.name === topic)
    .flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })),
    )
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  if (ctx.json) {
    ctx.out.stdout(`${JSON.stringify({ reassignments: rows }, null, 2)}\n`);
  } else if (rows.length === 0) {
    ctx.out.stdout('no reassignment in flight\n');
  } else {
    const list = (ids: number[]) => ids.join(',') || '-';
    ctx.out.stdout(
      formatTable(
        ['TOPIC', 'PARTITION', 'REPLICAS', 'ADDING', 'REMOVING'],
        rows.map((r) => [r.topic, String(r.partition), list(r.replicas), list(r.adding), list(r.removing)]),
      ),
    );
  }
  return EXIT_OK;
}

async function electPreferred(ctx: CommandContext): Promise<number> {
  const topic = flagString(ctx.flags, 'topic');
  const partition = flagInteger(ctx.flags, 'partition');
  if (partition !== undefined && topic === undefined) throw new UsageError('cluster elect-leaders --partition: give --topic T as well');
  if (partition !== undefined && partition < 0) throw new UsageError(`cluster elect-leaders --partition: ${partition} is not a partition index (≥ 0)`);
  const connection = await ctx.target.kafka();
  let topicPartitions: Array<{ topic: string; partitions: number[] }> | null = null;
  if (topic !== undefined && partition !== undefined) topicPartitions = [{ topic, partitions: [partition] }];
  else if (topic !== undefined) topicPartitions = [{ topic, partitions: await partitionsOf(ctx, topic) }];
  const response = await connection.request(electLeaders, { electionType: ELECTION_PREFERRED, topicPartitions, timeoutMs: REQUEST_TIMEOUT_MS });
  if (response.errorCode !== ErrorCode.NONE) throw new CommandFailed(`cluster elect-leaders: ${errorName(response.errorCode)}`);
  const rows = response.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({
      topic: t.topic,
      partition: p.partitionId,
      error: p.errorCode === ErrorCode.NONE ? null : failure(p.errorCode, p.errorMessage),
    })),
  );
  if (ctx.json) ctx.out.stdout(`${JSON.stringify({ results: rows }, null, 2)}\n`);
  else
    ctx.out.stdout(
      formatTable(
        ['TOPIC', 'PARTITION', 'RESULT'],
        rows.map((r) => [r.topic, String(r.partition), r.error ?? 'elected']),
      ),
    );
  // ELECTION_NOT_NEEDED: the preferred replica leads already, which is what was asked.
  const failed = rows.filter((r) => r.error !== null && !r.error.startsWith('ELECTION_NOT_NEEDED'));
  if (failed.length > 0) throw new CommandFailed(`cluster elect-leaders: ${failed.length} partition(s) failed`);
  return EXIT_OK;
}

/** The partition indexes of `topic` from the broker's metadata (ElectLeaders names partitions one by one). */
async function partitionsOf(ctx: CommandContext, topic: string): Promise<number[]> {
  const connection = await ctx.target.kafka();
  const response = await connection.request(metadata, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
  const found = response.topics.find((t) => t.name === topic);
  if (!found || found.errorCode !== ErrorCode.NONE) {
    throw new CommandFailed(`topic ${topic}: ${found ? errorName(found.errorCode) : 'not in the metadata'}`);
  }
  return found.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
}

export const reassignCommands: Command[] = [
  {
    path: ['cluster', 'reassign'],
    summary: "move a partition's replicas to a new list (Kafka's AlterPartitionReassignments), or cancel a move",
    details:
      "The partition's Raft leader adds each new replica as a learner, promotes it once it caught up, then removes the\n" +
      'replicas not in the list, one membership change at a time; data keeps flowing (docs/cluster.md, Reassignment).',
    examples: ['runnel cluster reassign --topic orders --partition 0 --replicas 4,2,3', 'runnel cluster reassign --topic orders --partition 0 --cancel'],
    flags: [TOPIC_FLAG, PARTITION_FLAG, REPLICAS_FLAG, CANCEL_FLAG],
    run: reassign,
  },
  {
    path: ['cluster', 'list-reassignments'],
    summary: 'the reassignments in flight, with the replicas being added and removed',
    examples: ['runnel cluster list-reassignments', 'runnel cluster list-reassignments --topic orders --json'],
    flags: [TOPIC_FLAG],
    run: listReassignments,
  },
  {
    path: ['cluster', 'elect-leaders'],
    summary: 'hand leadership to the preferred (first) replica: every partition, one topic, or one partition',
    examples: ['runnel cluster elect-leaders', 'runnel cluster elect-leaders --topic orders --partition 0'],
    flags: [TOPIC_FLAG, PARTITION_FLAG],
    run: electPreferred,
  },
];

// `runnel bench produce|consume|e2e`: the project's benchmark client, on the SDK. Flags are
// checked here (every run is bounded by --records and --time-s, both with a default and a
// maximum); the runs are in bench-run.ts (loaded when a run starts, with the client) and the
// numbers in bench-meter.ts.

import type { BenchMode } from './bench-meter.ts';
import { E2E_HEADER_BYTES, formatSummary } from './bench-meter.ts';
import type { BenchOptions } from './bench-run.ts';
import { EXIT_OK, flagInteger, flagString, type Command, type CommandContext } from './command.ts';
import { type FlagSpec, UsageError } from './flags.ts';
import { acksOf, compressionOf } from './produce.ts';
import { withAdmin } from './sdk-client.ts';

export const BENCH_TOPIC_DEFAULT = 'runnel-bench';
/** Records per run when neither --records nor --time-s is given. */
export const BENCH_RECORDS_DEFAULT = 100_000;
export const BENCH_RECORDS_MAX = 1_000_000_000;
/** The longest run when --time-s is not given (a run with only --records still ends). */
export const BENCH_TIME_S_DEFAULT = 600;
export const BENCH_TIME_S_MAX = 86_400;
export const BENCH_RECORD_BYTES_DEFAULT = 100;
/** The SDK producer's batches are at most 1 MiB (batchBytesMax); a record must fit one. */
export const BENCH_RECORD_BYTES_MAX = 1_000_000;
export const BENCH_RATE_MAX = 100_000_000;

const BENCH_FLAGS: FlagSpec[] = [
  { name: 'topic', type: 'string', value: 'T', help: `the topic (default ${BENCH_TOPIC_DEFAULT}); produce and e2e create it when missing` },
  { name: 'partitions', type: 'integer', value: 'N', help: 'partitions of a topic the command creates (default: the broker default)' },
  {
    name: 'records',
    type: 'integer',
    value: 'N',
    help: `records to send or read (default ${BENCH_RECORDS_DEFAULT.toLocaleString('en-US')}, or up to ${BENCH_RECORDS_MAX.toLocaleString('en-US')} with --time-s)`,
  },
  { name: 'time-s', type: 'integer', value: 'S', help: `stop after S seconds (default ${BENCH_TIME_S_DEFAULT}, at most ${BENCH_TIME_S_MAX})` },
  {
    name: 'record-bytes',
    type: 'integer',
    value: 'B',
    help: `value bytes per record (default ${BENCH_RECORD_BYTES_DEFAULT}; e2e at least ${E2E_HEADER_BYTES})`,
  },
  { name: 'acks', type: 'string', value: '0|1|all', help: 'acknowledgement to wait for (default all)' },
  { name: 'compression', type: 'string', value: 'CODEC', help: 'none (default), gzip, snappy, lz4 or zstd' },
  { name: 'rate', type: 'integer', value: 'R', help: 'records per second to send; 0 = as fast as possible (default)' },
  { name: 'progress', type: 'boolean', help: 'print the progress line once a second even when stderr is not a terminal' },
];

function within(flag: string, value: number | undefined, min: number, max: number): number | undefined {
  if (value !== undefined && (value < min || value > max)) {
    throw new UsageError(`--${flag}: ${value} is out of range (${min} to ${max.toLocaleString('en-US')})`);
  }
  return value;
}

function optionsOf(ctx: CommandContext, mode: BenchMode): BenchOptions {
  const f = ctx.flags;
  const records = within('records', flagInteger(f, 'records'), 1, BENCH_RECORDS_MAX);
  const timeS = within('time-s', flagInteger(f, 'time-s'), 1, BENCH_TIME_S_MAX);
  const recordBytes = within('record-bytes', flagInteger(f, 'record-bytes'), mode === 'e2e' ? E2E_HEADER_BYTES : 1, BENCH_RECORD_BYTES_MAX);
  const topic = flagString(f, 'topic') ?? BENCH_TOPIC_DEFAULT;
  if (mode === 'consume') {
    for (const flag of ['partitions', 'record-bytes', 'acks', 'compression', 'rate']) {
      if (f.has(flag)) throw new UsageError(`--${flag} applies to produce and e2e, not to consume`);
    }
  }
  return {
    mode,
    topic,
    records: records ?? (timeS !== undefined ? BENCH_RECORDS_MAX : BENCH_RECORDS_DEFAULT),
    timeS: timeS ?? BENCH_TIME_S_DEFAULT,
    recordBytes: recordBytes ?? BENCH_RECORD_BYTES_DEFAULT,
    acks: acksOf(flagString(f, 'acks')),
    compression: compressionOf(flagString(f, 'compression')),
    rate: within('rate', flagInteger(f, 'rate'), 0, BENCH_RATE_MAX) ?? 0,
    // On a terminal by default; --progress forces it on, --progress=false off.
    progress: f.has('progress') ? f.get('progress') === true : process.stderr.isTTY === true,
  };
}

/** Creates the topic unless it exists. */
async function ensureTopic(ctx: CommandContext, topic: string): Promise<void> {
  const partitions = within('partitions', flagInteger(ctx.flags, 'partitions'), 1, 100_000);
  await withAdmin(ctx, topic, async (admin) => {
    try {
      await admin.createTopics([{ name: topic, partitions }]);
    } catch (err) {
      const { KafkaError } = await import('../../client/errors.ts');
      if (!(err instanceof KafkaError && err.errorName === 'TOPIC_ALREADY_EXISTS')) throw err;
    }
  });
}

function benchCommand(mode: BenchMode, summary: string, examples: string[]): Command {
  return {
    path: ['bench', mode],
    summary,
    details:
      'Ends at --records or --time-s, whichever comes first. Prints a progress line on stderr once a second when\n' +
      'stderr is a terminal (or with --progress), and at the end records, MB (value bytes, 10^6), records/s,\n' +
      'MB/s, CPU seconds of this process per million records and the latency percentiles (--json for scripts).',
    examples,
    flags: BENCH_FLAGS,
    async run(ctx) {
      const o = optionsOf(ctx, mode);
      if (mode !== 'consume') await ensureTopic(ctx, o.topic);
      const { benchConsume, benchE2e, benchProduce } = await import('./bench-run.ts');
      const result = await { produce: benchProduce, consume: benchConsume, e2e: benchE2e }[mode](ctx, o);
      ctx.out.stdout(ctx.json ? `${JSON.stringify(result, null, 2)}\n` : formatSummary(result));
      return EXIT_OK;
    },
  };
}

export const benchCommands: Command[] = [
  benchCommand('produce', 'produce records as fast as possible (or at --rate); latency is send → acknowledgement', [
    'runnel bench produce --records 1000000',
    'runnel bench produce --topic load --partitions 6 --time-s 60 --rate 50000 --acks 1 --compression lz4',
  ]),
  benchCommand('consume', 'read a topic from its beginning (fill it with bench produce first)', [
    'runnel bench consume --records 1000000',
    'runnel bench consume --topic load --time-s 30 --json',
  ]),
  benchCommand('e2e', 'produce and consume in one process; latency is send → receive', [
    'runnel bench e2e --records 100000 --rate 10000',
    'runnel bench e2e --topic load --time-s 60 --record-bytes 1000 --json',
  ]),
];

// The three runs of `runnel bench` on the SDK: produce (send → acknowledgement latency),
// consume (read a topic from its beginning) and e2e (a producer and a consumer in this process;
// each record carries this run's id and its send time, so the consumer measures send → receive).
// Every run is bounded by a record count and a deadline; records in flight are bounded too.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type ConsumerRecord } from '../../client/consumer/index.ts';
import { KafkaError } from '../../client/errors.ts';
import { Producer, type Acks, type ProducerRecord } from '../../client/producer/producer.ts';
import type { CompressionName } from '../../protocol/record-batch.ts';
import { BenchMeter, E2E_HEADER_BYTES, type BenchMode, type BenchSummary, type StopReason } from './bench-meter.ts';
import { CommandFailed, type CommandContext } from './command.ts';
import { commandError } from './sdk-client.ts';

/** A consume or e2e run ends when no record arrived for this long. */
export const BENCH_IDLE_MS = 5_000;
/** How long e2e waits for its consumer to find the end of every partition before producing. */
const E2E_POSITION_WAIT_MS_MAX = 30_000;
/** How often the end conditions (deadline, idle) are checked. */
const WATCH_INTERVAL_MS = 100;

export interface BenchOptions {
  mode: BenchMode;
  topic: string;
  records: number;
  timeS: number;
  recordBytes: number;
  acks: Acks;
  compression: CompressionName;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  progress: boolean;
}

interface ProduceState {
  sent: number;
  pending: number;
  stoppedBy: StopReason;
}

/** Records handed to the producer per `sendBatch` at full speed: one call and one promise per chunk, not per record. */
const CHUNK_RECORDS = 1_000;
/**
 * Records sent and not yet acknowledged at most. Enough for the producer's own bound
 * (limits.bufferBytesMax, 32 MiB: about 270,000 records of 100 B) to be what limits, as the
 * in-flight window of kcat (librdkafka's queue.buffering.max.messages, 100,000) is for it.
 */
export const BENCH_RECORDS_IN_FLIGHT_MAX = 300_000;

/**
 * Sends up to o.records records (at o.rate per second when set) until the deadline, in chunks
 * through `sendBatch`, at most BENCH_RECORDS_IN_FLIGHT_MAX unacknowledged; resolves once every
 * send is answered. The records of a chunk are handed over at one time, so they share a send time.
 */
async function produceLoop(
  producer: Producer,
  o: BenchOptions,
  deadlineMs: number,
  state: ProduceState,
  value: (sentAtMs: number) => Buffer,
  onAck: (sentAtMs: number, records: number) => void,
): Promise<void> {
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const settle = (records: number) => {
    state.pending -= records;
    wake?.();
    wake = null;
  };
  // With a rate, a chunk is at most a millisecond of records, so the pace stays even.
  const chunkMax = o.rate > 0 ? Math.max(1, Math.min(CHUNK_RECORDS, Math.floor(o.rate / 1000))) : CHUNK_RECORDS;
  const startMs = performance.now();
  while (state.sent < o.records && failure === null) {
    if (performance.now() >= deadlineMs) {
      state.stoppedBy = 'time';
      break;
    }
    if (o.rate > 0) {
      const aheadMs = startMs + (state.sent * 1000) / o.rate - performance.now();
      if (aheadMs >= 1) await sleep(aheadMs);
    }
    const count = Math.min(chunkMax, o.records - state.sent);
    while (state.pending > 0 && state.pending + count > BENCH_RECORDS_IN_FLIGHT_MAX) await new Promise<void>((resolve) => (wake = resolve));
    const sentAtMs = performance.now();
    const records: ProducerRecord[] = new Array(count);
    for (let i = 0; i < count; i++) records[i] = { topic: o.topic, value: value(sentAtMs) };
    state.pending += count;
    state.sent += count;
    producer.sendBatch(records).then(
      () => {
        onAck(sentAtMs, count);
        settle(count);
      },
      (err: unknown) => {
        failure ??= err;
        settle(count);
      },
    );
  }
  while (state.pending > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure !== null) throw failure;
}

/** Prints the progress line once a second while `fn` runs (when asked), and stops it after. */
async function withProgress<T>(ctx: CommandContext, o: BenchOptions, meter: BenchMeter, inFlight: () => number, fn: () => Promise<T>): Promise<T> {
  const tty = process.stderr.isTTY === true;
  const timer = o.progress
    ? setInterval(() => {
        const line = meter.progressLine(o.mode, inFlight());
        ctx.out.stderr(tty ? `\r${line}\x1b[K` : `${line}\n`);
      }, 1000)
    : undefined;
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    if (timer && tty) ctx.out.stderr('\n');
  }
}

function newProducer(ctx: CommandContext, o: BenchOptions): Producer {
  return new Producer({ ...ctx.target.clientOptions(), clientId: 'runnel-bench', acks: o.acks, compression: o.compression });
}

function settings(o: BenchOptions): Record<string, string | number> {
  return { topic: o.topic, recordBytes: o.recordBytes, acks: String(o.acks), compression: o.compression, rate: o.rate };
}

/** `runnel bench produce`: o.records values of o.recordBytes bytes; latency is send → acknowledgement. */
export async function benchProduce(ctx: CommandContext, o: BenchOptions): Promise<BenchSummary> {
  const producer = newProducer(ctx, o);
  const meter = new BenchMeter();
  const state: ProduceState = { sent: 0, pending: 0, stoppedBy: 'records' };
  // One value for every record: the producer copies it into the batch.
  const value = randomBytes(o.recordBytes);
  try {
    await withProgress(
      ctx,
      o,
      meter,
      () => state.pending,
      () =>
        produceLoop(
          producer,
          o,
          performance.now() + o.timeS * 1000,
          state,
          () => value,
          (sentAtMs, records) => {
            const latencyMs = o.acks === 0 ? undefined : performance.now() - sentAtMs;
            for (let i = 0; i < records; i++) meter.done(o.recordBytes, latencyMs);
          },
        ),
    );
  } catch (err) {
    throw await commandError(err, o.topic);
  } finally {
    await producer.close().catch(() => {});
  }
  return meter.summary('produce', state.stoppedBy, settings(o));
}

/** A consumer of every partition of o.topic (no group), started at `from`. */
async function assignAll(ctx: CommandContext, o: BenchOptions, from: 'earliest' | 'latest', errors: Error[]): Promise<Consumer> {
  const consumer = new Consumer({ ...ctx.target.clientOptions(), clientId: 'runnel-bench', autoOffsetReset: from, onError: (err) => errors.push(err) });
  try {
    const partitions = await consumer.partitionsFor(o.topic);
    await consumer.assign(partitions.map((partition) => ({ topic: o.topic, partition })));
    return consumer;
  } catch (err) {
    await consumer.close();
    if (err instanceof KafkaError && err.errorName === 'UNKNOWN_TOPIC_OR_PARTITION') {
      throw new CommandFailed(`topic ${o.topic} does not exist: fill one with \`runnel bench produce --topic ${o.topic}\``);
    }
    throw err;
  }
}

/**
 * Reads records into `take` until `done()` says so or the watchdog closes the consumer: at the
 * deadline ('time') or after BENCH_IDLE_MS without a record ('idle').
 */
async function consumeLoop(consumer: Consumer, deadlineMs: number, take: (r: ConsumerRecord) => void, done: () => StopReason | null): Promise<StopReason> {
  let lastRecordMs = performance.now();
  let stoppedBy: StopReason | null = null;
  const watchdog = setInterval(() => {
    const now = performance.now();
    stoppedBy ??= done() ?? (now >= deadlineMs ? 'time' : now - lastRecordMs >= BENCH_IDLE_MS ? 'idle' : null);
    if (stoppedBy) void consumer.close();
  }, WATCH_INTERVAL_MS);
  try {
    for await (const record of consumer) {
      lastRecordMs = performance.now();
      take(record);
      stoppedBy ??= done();
      if (stoppedBy) break;
    }
  } finally {
    clearInterval(watchdog);
  }
  return stoppedBy ?? 'idle';
}

/** Runs `fn` with the consumer, closing it after and reporting its first errors; KafkaErrors exit 1. */
async function withConsumer<T>(ctx: CommandContext, o: BenchOptions, consumer: Consumer, errors: Error[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw await commandError(err, o.topic);
  } finally {
    await consumer.close();
    for (const err of errors.slice(0, 3)) ctx.out.stderr(`runnel: ${err.message}\n`);
  }
}

/** `runnel bench consume`: reads up to o.records records of o.topic from its beginning. */
export async function benchConsume(ctx: CommandContext, o: BenchOptions): Promise<BenchSummary> {
  const errors: Error[] = [];
  const consumer = await assignAll(ctx, o, 'earliest', errors);
  const meter = new BenchMeter();
  const stoppedBy = await withConsumer(ctx, o, consumer, errors, () =>
    withProgress(
      ctx,
      o,
      meter,
      () => 0,
      () =>
        consumeLoop(
          consumer,
          performance.now() + o.timeS * 1000,
          (r) => meter.done(r.value?.length ?? 0),
          () => (meter.records >= o.records ? 'records' : null),
        ),
    ),
  );
  return meter.summary('consume', stoppedBy, { topic: o.topic });
}

/** Waits until the consumer knows where every partition ends, so no record of this run is missed. */
async function untilPositioned(consumer: Consumer): Promise<void> {
  const giveUpMs = performance.now() + E2E_POSITION_WAIT_MS_MAX;
  while (consumer.assignment().some((tp) => consumer.position(tp) === null)) {
    if (performance.now() >= giveUpMs)
      throw new CommandFailed(`the consumer found no end offsets within ${E2E_POSITION_WAIT_MS_MAX} ms: is the cluster healthy? (\`runnel cluster status\`)`);
    await sleep(20);
  }
}

/**
 * `runnel bench e2e`: a producer and a consumer of the same topic; latency is send → receive,
 * from the send time each value carries. Records of other writers (without this run's id) are
 * not counted.
 */
export async function benchE2e(ctx: CommandContext, o: BenchOptions): Promise<BenchSummary> {
  const errors: Error[] = [];
  const consumer = await assignAll(ctx, o, 'latest', errors);
  const meter = new BenchMeter();
  const state: ProduceState = { sent: 0, pending: 0, stoppedBy: 'records' };
  const runId = randomBytes(8);
  const filler = randomBytes(o.recordBytes);
  runId.copy(filler, 0);
  let produced = false;
  const stoppedBy = await withConsumer(ctx, o, consumer, errors, async () => {
    await untilPositioned(consumer);
    const producer = newProducer(ctx, o);
    const deadlineMs = performance.now() + o.timeS * 1000;
    const producing = produceLoop(
      producer,
      o,
      deadlineMs,
      state,
      (sentAtMs) => {
        const value = Buffer.from(filler);
        value.writeDoubleLE(sentAtMs, 8);
        return value;
      },
      () => {},
    )
      .finally(() => producer.close().catch(() => {}))
      .then(() => {
        produced = true;
      });
    const consuming = withProgress(
      ctx,
      o,
      meter,
      () => state.sent - meter.records,
      () =>
        consumeLoop(
          consumer,
          // The consumer's deadline leaves time for what was sent just before the producer's.
          deadlineMs + BENCH_IDLE_MS,
          (r) => {
            const v = r.value;
            if (!v || v.length < E2E_HEADER_BYTES || v.compare(runId, 0, 8, 0, 8) !== 0) return;
            meter.done(v.length, performance.now() - v.readDoubleLE(8));
          },
          () => (produced && meter.records >= state.sent ? state.stoppedBy : null),
        ),
    );
    // A failed producer stops the consumer too, so its error is the one reported.
    const result = await Promise.all([
      producing.catch(async (err: unknown) => {
        await consumer.close();
        throw err;
      }),
      consuming,
    ]);
    return result[1];
  });
  return meter.summary('e2e', stoppedBy, settings(o));
}

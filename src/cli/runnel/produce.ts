// `runnel produce TOPIC`: one record per line of stdin (or --file), through the SDK's Producer.
// --key-separator SEP splits each line into key and value at the first SEP, as kcat's -K (a
// line without SEP is a value without a key). Sends stay bounded (the producer's buffer, and at
// most SENDS_IN_FLIGHT_MAX outstanding), so a large file streams in constant memory.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import type { Acks, Producer, ProducerRecord, RecordMetadata } from '../../client/producer/producer.ts';
import type { CompressionName } from '../../protocol/record-batch.ts';
import { EXIT_OK, flagInteger, flagString, type Command } from './command.ts';
import { UsageError } from './flags.ts';
import { commandError, parsePairs } from './sdk-client.ts';

/** Records sent and not yet acknowledged before reading more lines. */
export const SENDS_IN_FLIGHT_MAX = 10_000;
/** Lines handed to the producer's sendBatch at once: one promise per chunk, not per line. */
export const PRODUCE_CHUNK_RECORDS_MAX = 1_000;

/**
 * Hands records to `sendBatch` in chunks, in the order added. A chunk goes when it is full or
 * once the lines read so far are handled (setImmediate), so a slow pipe (`tail -f | runnel
 * produce`) is not held back waiting for a full chunk. Past SENDS_IN_FLIGHT_MAX unacknowledged
 * records the reader pauses until acknowledgements come back. The first failure is kept.
 */
class ChunkSender {
  failure: unknown = null;
  private chunk: ProducerRecord[] = [];
  private flushScheduled = false;
  private unacked = 0;
  private paused = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly producer: Producer,
    private readonly reader: Interface,
    private readonly onAcked: (metas: RecordMetadata[]) => void,
  ) {}

  add(record: ProducerRecord): void {
    this.chunk.push(record);
    if (this.chunk.length >= PRODUCE_CHUNK_RECORDS_MAX) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is left and waits for every acknowledgement; rejects with the first failure. */
  async finish(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
    if (this.failure !== null) throw this.failure;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.chunk.length === 0 || this.failure !== null) return;
    const records = this.chunk;
    this.chunk = [];
    this.unacked += records.length;
    const sending = this.producer.sendBatch(records).then(this.onAcked, (err: unknown) => {
      this.failure ??= err;
    });
    this.inFlight.add(sending);
    void sending.then(() => {
      this.inFlight.delete(sending);
      this.unacked -= records.length;
      if (this.paused && this.unacked < SENDS_IN_FLIGHT_MAX) {
        this.paused = false;
        this.reader.resume();
      }
    });
    if (this.unacked >= SENDS_IN_FLIGHT_MAX) {
      this.paused = true;
      this.reader.pause();
    }
  }
}
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The --compression flag's codec (default none); anything else is a usage error. */
export function compressionOf(value: string | undefined): CompressionName {
  const compression = value ?? 'none';
  if (!COMPRESSIONS.includes(compression)) throw new UsageError(`--compression: "${compression}" is not one of ${COMPRESSIONS.join(', ')}`);
  return compression as CompressionName;
}

export function acksOf(value: string | undefined): Acks {
  if (value === undefined || value === 'all' || value === '-1') return 'all';
  if (value === '0' || value === '1') return Number(value) as 0 | 1;
  throw new UsageError(`--acks: "${value}" is not 0, 1 or all`);
}

export const produceCommands: Command[] = [
  {
    path: ['produce'],
    summary: 'send lines from stdin (or --file) as records, one per line',
    details:
      'With --key-separator SEP each line is KEY SEP VALUE (as kcat -K); records with the same key go to the same\n' +
      'partition (murmur2, as the Java client, KafkaJS and librdkafka murmur2_random). --header adds headers to\n' +
      'every record. Prints how many records were acknowledged.',
    examples: [
      'runnel produce orders --file lines.txt --partition 0',
      "echo 'hello' | runnel produce orders",
      'printf \'customer-7:{"total":3}\\n\' | runnel produce orders --key-separator : --header source=cli --acks all --compression zstd',
    ],
    args: [{ name: 'topic' }],
    flags: [
      { name: 'file', type: 'string', value: 'FILE', help: 'read lines from FILE instead of stdin' },
      { name: 'key-separator', short: 'K', type: 'string', value: 'SEP', help: 'split each line into key and value at the first SEP' },
      { name: 'header', type: 'string', value: 'K=V[,K=V]', help: 'headers for every record' },
      { name: 'partition', type: 'integer', value: 'N', help: 'send every record to partition N (default: by key, or sticky)' },
      { name: 'compression', type: 'string', value: 'CODEC', help: 'none (default), gzip, snappy, lz4 or zstd' },
      { name: 'acks', type: 'string', value: '0|1|all', help: 'acknowledgement to wait for (default all)' },
    ],
    async run(ctx) {
      const topic = ctx.args.get('topic')!;
      const separator = flagString(ctx.flags, 'key-separator');
      if (separator === '') throw new UsageError('--key-separator: give a non-empty separator');
      const headers = parsePairs(flagString(ctx.flags, 'header'), 'header').map(([key, value]) => ({ key, value }));
      const partition = flagInteger(ctx.flags, 'partition');
      if (partition !== undefined && partition < 0) throw new UsageError(`--partition: ${partition} is not a partition number`);
      const compression = compressionOf(flagString(ctx.flags, 'compression'));
      const acks = acksOf(flagString(ctx.flags, 'acks'));
      const file = flagString(ctx.flags, 'file');

      const { Producer } = await import('../../client/producer/producer.ts');
      const producer = new Producer({ ...ctx.target.clientOptions(), clientId: 'runnel-cli', acks, compression });
      const perPartition = new Map<number, number>();
      let lines = 0;
      try {
        const input = file === undefined ? process.stdin : createReadStream(file);
        const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
        const sender = new ChunkSender(producer, reader, (metas) => {
          for (const meta of metas) perPartition.set(meta.partition, (perPartition.get(meta.partition) ?? 0) + 1);
        });
        await new Promise<void>((resolve, reject) => {
          input.once('error', reject);
          reader.once('close', resolve);
          reader.on('line', (line) => {
            if (sender.failure !== null) return reader.close();
            lines++;
            const at = separator === undefined ? -1 : line.indexOf(separator);
            const key = at < 0 ? null : line.slice(0, at);
            const value = at < 0 ? line : line.slice(at + separator!.length);
            sender.add({ topic, key, value, headers, partition });
          });
        });
        await sender.finish();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--file: ${file} does not exist`);
        throw await commandError(err, topic);
      } finally {
        await producer.close().catch(() => {});
      }
      const acked = [...perPartition.values()].reduce((a, b) => a + b, 0);
      const partitions = Object.fromEntries([...perPartition].sort((a, b) => a[0] - b[0]));
      ctx.out.stdout(
        ctx.json
          ? `${JSON.stringify({ topic, records: acked, partitions }, null, 2)}\n`
          : `produced ${acked} record(s) of ${lines} line(s) to ${topic}${acks === 0 ? ' (acks=0: sent, not acknowledged)' : ''}\n`,
      );
      return EXIT_OK;
    },
  },
];

// Reading records back from the broker for verification.
//
// Tests depend on the RecordReader interface, not on how it reads: today the
// implementation is our raw client (bench/lib/raw-client.ts) fetching from an explicit
// offset, because consumer groups arrive in a later issue. A KafkaJS consumer (or our
// SDK) can implement the same interface later without touching the tests.

import { RawClient } from '../../bench/lib/raw-client.ts';
import { decodeBatches, type DecodedRecord } from '../../bench/lib/record-batch.ts';

export type { DecodedRecord };

export interface ReadOptions {
  fromOffset?: number;
  /** Stop once this many records were read. */
  count?: number;
  /** Stop at the high watermark seen when reading started (default when count is absent). */
  toEnd?: boolean;
  /** Give up after this long (the returned list is then shorter than `count`). */
  timeoutMs?: number;
}

export interface RecordReader {
  read(topic: string, partition: number, opts?: ReadOptions): Promise<DecodedRecord[]>;
  close(): Promise<void>;
}

/** Reads with Fetch through one RawClient connection. Compressed batches are refused (see decodeBatches). */
export class RawRecordReader implements RecordReader {
  private constructor(private readonly client: RawClient) {}

  static async connect(port: number, host = '127.0.0.1'): Promise<RawRecordReader> {
    return new RawRecordReader(await RawClient.connect({ port, host, clientId: 'runnel-read-back' }));
  }

  async read(topic: string, partition: number, opts: ReadOptions = {}): Promise<DecodedRecord[]> {
    const out: DecodedRecord[] = [];
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let offset = opts.fromOffset ?? 0;
    let endOffset: number | null = null;
    // Each Fetch either advances `offset` or waits up to maxWaitMs, and the deadline bounds the loop.
    while (Date.now() < deadline) {
      if (opts.count !== undefined && out.length >= opts.count) break;
      const res = await this.client.fetch(topic, partition, offset, { maxWaitMs: 200, partitionMaxBytes: 8 * 1024 * 1024 });
      if (res.errorCode !== 0) throw new Error(`Fetch ${topic}/${partition}@${offset} failed with error ${res.errorCode}`);
      if (endOffset === null && opts.count === undefined) endOffset = res.highWatermark;
      if (endOffset !== null && offset >= endOffset) break;
      for (const b of decodeBatches(res.records)) {
        if (!b.crcValid) throw new Error(`batch at offset ${b.baseOffset} of ${topic}/${partition} has a bad CRC`);
        if (b.compression !== 0)
          throw new Error(`batch at ${b.baseOffset} is compressed (codec ${b.compression}); RawRecordReader reads uncompressed batches only`);
        if (b.isControl) {
          offset = b.lastOffset + 1;
          continue;
        }
        for (const r of b.records) {
          // A fetch may start inside a batch; records before the requested offset are not ours.
          if (r.offset < offset) continue;
          out.push(r);
        }
        offset = b.lastOffset + 1;
      }
    }
    return opts.count !== undefined ? out.slice(0, opts.count) : out;
  }

  /**
   * Streams every record in [fromOffset, endOffset) to `onRecord` without keeping them,
   * for checks over millions of records. Resolves with the next offset to read, which
   * equals endOffset unless the deadline passed first.
   */
  async forEach(
    topic: string,
    partition: number,
    fromOffset: number,
    endOffset: number,
    onRecord: (r: DecodedRecord) => void,
    timeoutMs = 60_000,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let offset = fromOffset;
    while (offset < endOffset && Date.now() < deadline) {
      const res = await this.client.fetch(topic, partition, offset, { maxWaitMs: 200, partitionMaxBytes: 8 * 1024 * 1024 });
      if (res.errorCode !== 0) throw new Error(`Fetch ${topic}/${partition}@${offset} failed with error ${res.errorCode}`);
      for (const b of decodeBatches(res.records)) {
        if (!b.crcValid) throw new Error(`batch at offset ${b.baseOffset} of ${topic}/${partition} has a bad CRC`);
        if (b.compression !== 0) throw new Error(`batch at ${b.baseOffset} is compressed (codec ${b.compression})`);
        for (const r of b.records) {
          if (r.offset < offset || r.offset >= endOffset) continue;
          onRecord(r);
        }
        offset = Math.max(offset, b.lastOffset + 1);
      }
    }
    return offset;
  }

  /** The underlying client, for ListOffsets and the like. */
  get raw(): RawClient {
    return this.client;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

// A record as the consumer hands it out. Its offset and timestamp are read when the Fetch answer
// is; its key, value and headers stay where they are in the fetched bytes until first read, then
// are views of them (not copies), kept for later reads. A consumer that looks at a few fields of
// many records (a counter, a filter on the key) pays for nothing else: this is what lets it
// read millions of records a second (docs/benchmarks.md). The views keep the fetched bytes
// alive as long as the application keeps a record or a field of it.

import { readRecordHeaders, type RecordCursor, type RecordHeader } from '../../protocol/record-batch.ts';

/** What a buffered record is charged against the prefetch limit beyond its key, value and headers. */
const RECORD_OVERHEAD_BYTES = 64;

export class FetchedRecord {
  readonly offset: number;
  readonly timestamp: number;
  /** What the record counts as against limits.prefetchBytesPerPartitionMax. */
  readonly sizeBytes: number;
  private readonly bytes: Buffer;
  private readonly keyAt: number;
  private readonly keyLength: number;
  private readonly valueAt: number;
  private readonly valueLength: number;
  private readonly headersAt: number;
  private readonly headerCount: number;
  private keyView: Buffer | null | undefined = undefined;
  private valueView: Buffer | null | undefined = undefined;
  private headerList: RecordHeader[] | undefined = undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    at: RecordCursor,
  ) {
    this.offset = at.offset;
    this.timestamp = at.timestamp;
    this.bytes = at.bytes;
    this.keyAt = at.keyAt;
    this.keyLength = at.keyLength;
    this.valueAt = at.valueAt;
    this.valueLength = at.valueLength;
    this.headersAt = at.headersAt;
    this.headerCount = at.headerCount;
    this.sizeBytes = RECORD_OVERHEAD_BYTES + Math.max(0, at.keyLength) + Math.max(0, at.valueLength) + at.headersLength;
  }

  get key(): Buffer | null {
    if (this.keyView === undefined) this.keyView = this.keyLength < 0 ? null : this.bytes.subarray(this.keyAt, this.keyAt + this.keyLength);
    return this.keyView;
  }

  get value(): Buffer | null {
    if (this.valueView === undefined) this.valueView = this.valueLength < 0 ? null : this.bytes.subarray(this.valueAt, this.valueAt + this.valueLength);
    return this.valueView;
  }

  get headers(): RecordHeader[] {
    this.headerList ??= this.headerCount === 0 ? [] : readRecordHeaders(this.bytes, this.headersAt, this.headerCount, false);
    return this.headerList;
  }

  /** The fields as a plain object (JSON.stringify and spreading do not see accessors). */
  toJSON(): { topic: string; partition: number; offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: RecordHeader[] } {
    return {
      topic: this.topic,
      partition: this.partition,
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key,
      value: this.value,
      headers: this.headers,
    };
  }
}

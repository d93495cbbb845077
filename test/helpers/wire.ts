// Hand-written encoders and decoders for the handful of Kafka messages the bad-input
// tests need, independent of src/protocol. They are written straight from the spec in
// reference/kafka-protocol so that malformed variants are easy to derive byte by byte,
// and so that these tests can catch a codec bug instead of sharing it.

export class Writer {
  private parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** Classic STRING / NULLABLE_STRING: int16 length then bytes (-1 = null). */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  /** COMPACT_STRING: uvarint (length + 1) then bytes. */
  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  /** Classic BYTES / RECORDS: int32 length then bytes (-1 = null). */
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Prefixes a request (header + body) with its int32 size. */
export function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

export const ApiKeys = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

/** Request header v1 (api key, version, correlation id, nullable client id). */
export function headerV1(apiKey: number, version: number, correlationId: number, clientId: string | null = 'runnel-test'): Writer {
  return new Writer().int16(apiKey).int16(version).int32(correlationId).string(clientId);
}

/** Request header v2: v1 plus an empty tagged-field section (flexible versions). */
export function headerV2(apiKey: number, version: number, correlationId: number, clientId: string | null = 'runnel-test'): Writer {
  return headerV1(apiKey, version, correlationId, clientId).uvarint(0);
}

/** ApiVersions request. v0-v2 have an empty body; v3+ are flexible with two compact strings. */
export function apiVersionsRequest(version: number, correlationId: number): Buffer {
  if (version < 3) return frame(headerV1(ApiKeys.ApiVersions, version, correlationId).build());
  return frame(headerV2(ApiKeys.ApiVersions, version, correlationId).compactString('runnel-test').compactString('0.0.1').uvarint(0).build());
}

export interface ApiVersionsV0 {
  correlationId: number;
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

/** Decodes an ApiVersions response in the v0 layout (header v0, no throttle time). */
export function parseApiVersionsV0(frameBody: Buffer): ApiVersionsV0 {
  let p = 0;
  const correlationId = frameBody.readInt32BE(p);
  p += 4;
  const errorCode = frameBody.readInt16BE(p);
  p += 2;
  const n = frameBody.readInt32BE(p);
  p += 4;
  const apiKeys: ApiVersionsV0['apiKeys'] = [];
  for (let i = 0; i < n; i++) {
    apiKeys.push({
      apiKey: frameBody.readInt16BE(p),
      minVersion: frameBody.readInt16BE(p + 2),
      maxVersion: frameBody.readInt16BE(p + 4),
    });
    p += 6;
  }
  return { correlationId, errorCode, apiKeys };
}

/** Metadata v1 request for the given topics (v1-v3 auto-create topics when the broker allows it). */
export function metadataRequestV1(correlationId: number, topics: string[]): Buffer {
  const w = headerV1(ApiKeys.Metadata, 1, correlationId).int32(topics.length);
  for (const t of topics) w.string(t);
  return frame(w.build());
}

/** Produce v3 request carrying one records blob for one partition. */
export function produceRequestV3(correlationId: number, topic: string, partition: number, records: Buffer, acks = -1, timeoutMs = 10_000): Buffer {
  return frame(
    headerV1(ApiKeys.Produce, 3, correlationId)
      .string(null)
      .int16(acks)
      .int32(timeoutMs)
      .int32(1)
      .string(topic)
      .int32(1)
      .int32(partition)
      .bytes(records)
      .build(),
  );
}

export interface ProduceV3Response {
  correlationId: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; errorCode: number; baseOffset: number }> }>;
}

/** Decodes a Produce v3 response (header v0). */
export function parseProduceV3(frameBody: Buffer): ProduceV3Response {
  let p = 0;
  const correlationId = frameBody.readInt32BE(p);
  p += 4;
  const nt = frameBody.readInt32BE(p);
  p += 4;
  const topics: ProduceV3Response['topics'] = [];
  for (let t = 0; t < nt; t++) {
    const nl = frameBody.readInt16BE(p);
    p += 2;
    const name = frameBody.toString('utf8', p, p + nl);
    p += nl;
    const np = frameBody.readInt32BE(p);
    p += 4;
    const partitions: ProduceV3Response['topics'][number]['partitions'] = [];
    for (let i = 0; i < np; i++) {
      partitions.push({
        index: frameBody.readInt32BE(p),
        errorCode: frameBody.readInt16BE(p + 4),
        baseOffset: Number(frameBody.readBigInt64BE(p + 6)),
      });
      // index int32, error_code int16, base_offset int64, log_append_time int64
      p += 4 + 2 + 8 + 8;
    }
    topics.push({ name, partitions });
  }
  return { correlationId, topics };
}

export interface MetadataV1Topic {
  errorCode: number;
  name: string;
  partitions: Array<{ errorCode: number; index: number; leader: number; replicas: number[] }>;
}

/** Decodes the topics of a Metadata v1 response (header v0). */
export function parseMetadataV1(frameBody: Buffer): { correlationId: number; brokers: number[]; topics: MetadataV1Topic[] } {
  let p = 0;
  const str = (): string | null => {
    const n = frameBody.readInt16BE(p);
    p += 2;
    if (n < 0) return null;
    const s = frameBody.toString('utf8', p, p + n);
    p += n;
    return s;
  };
  const correlationId = frameBody.readInt32BE(p);
  p += 4;
  const nb = frameBody.readInt32BE(p);
  p += 4;
  const brokers: number[] = [];
  for (let i = 0; i < nb; i++) {
    brokers.push(frameBody.readInt32BE(p));
    p += 4;
    str(); // host
    p += 4; // port
    str(); // rack
  }
  p += 4; // controller id
  const nt = frameBody.readInt32BE(p);
  p += 4;
  const topics: MetadataV1Topic[] = [];
  for (let t = 0; t < nt; t++) {
    const errorCode = frameBody.readInt16BE(p);
    p += 2;
    const name = str() ?? '';
    p += 1; // is_internal
    const np = frameBody.readInt32BE(p);
    p += 4;
    const partitions: MetadataV1Topic['partitions'] = [];
    for (let i = 0; i < np; i++) {
      const pe = frameBody.readInt16BE(p);
      const index = frameBody.readInt32BE(p + 2);
      const leader = frameBody.readInt32BE(p + 6);
      p += 10;
      const nr = frameBody.readInt32BE(p);
      const replicas = Array.from({ length: nr }, (_, k) => frameBody.readInt32BE(p + 4 + k * 4));
      p += 4 + nr * 4;
      const ni = frameBody.readInt32BE(p);
      p += 4 + ni * 4;
      partitions.push({ errorCode: pe, index, leader, replicas });
    }
    topics.push({ errorCode, name, partitions });
  }
  return { correlationId, brokers, topics };
}

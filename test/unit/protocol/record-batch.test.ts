import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  BATCH_HEADER_BYTES,
  CRC_OFFSET,
  MAGIC_OFFSET,
  RECORDS_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  RECORDS_COUNT_OFFSET,
  ATTRIBUTES_OFFSET,
  buildRecordBatch,
  RecordBatchBuilder,
  type RecordCursor,
  readRecordHeaders,
  walkBatches,
  type RecordInput,
  decodeBatches,
  decodeRecords,
  readBatchHeader,
  setBaseOffset,
  setPartitionLeaderEpoch,
  validateBatches,
  batchCrcIsValid,
  readInt64,
  writeInt64,
} from '../../../src/protocol/record-batch.ts';
import { crc32c } from '../../../src/protocol/crc32c.ts';

const require = createRequire(import.meta.url);

const sample = [
  { key: 'k0', value: 'v0', headers: [{ key: 'h', value: 'x' }], timestamp: 1_700_000_000_000 },
  { key: null, value: Buffer.alloc(300, 7), headers: [], timestamp: 1_700_000_000_005 },
  {
    key: Buffer.from([0, 1, 2]),
    value: null,
    headers: [
      { key: 'n', value: null },
      { key: 'é', value: '' },
    ],
    timestamp: 1_699_999_999_000,
  },
];

test('header offsets follow the RecordBatch v2 layout (61-byte header)', () => {
  assert.equal(BATCH_HEADER_BYTES, 61);
  assert.equal(RECORDS_OFFSET, 61);
  assert.equal(MAGIC_OFFSET, 16);
  assert.equal(CRC_OFFSET, 17);
  assert.equal(ATTRIBUTES_OFFSET, 21);
  assert.equal(RECORDS_COUNT_OFFSET, 57);
});

test('build then decode round-trips offsets, keys, values, headers and timestamps', () => {
  const batch = buildRecordBatch({ baseOffset: 1000, records: sample, producerId: 42, producerEpoch: 3, baseSequence: 9 });
  const h = readBatchHeader(batch, 0);
  assert.equal(h.baseOffset, 1000);
  assert.equal(h.magic, 2);
  assert.equal(h.batchLength, batch.length - 12);
  assert.equal(h.lastOffsetDelta, 2);
  assert.equal(h.recordCount, 3);
  assert.equal(h.baseTimestamp, 1_700_000_000_000);
  assert.equal(h.maxTimestamp, 1_700_000_000_005); // max, not last
  assert.equal(h.producerId, 42);
  assert.equal(h.producerEpoch, 3);
  assert.equal(h.baseSequence, 9);
  assert.equal(h.crc, crc32c(batch, ATTRIBUTES_OFFSET));
  const records = decodeRecords(batch);
  assert.deepEqual(
    records.map((r) => r.offset),
    [1000, 1001, 1002],
  );
  assert.deepEqual(
    records.map((r) => r.timestamp),
    [1_700_000_000_000, 1_700_000_000_005, 1_699_999_999_000],
  );
  assert.deepEqual(records[0].key, Buffer.from('k0'));
  assert.deepEqual(records[0].value, Buffer.from('v0'));
  assert.deepEqual(records[0].headers, [{ key: 'h', value: Buffer.from('x') }]);
  assert.equal(records[1].key, null);
  assert.deepEqual(records[1].value, Buffer.alloc(300, 7));
  assert.deepEqual(records[2].key, Buffer.from([0, 1, 2]));
  assert.equal(records[2].value, null);
  assert.deepEqual(records[2].headers, [
    { key: 'n', value: null },
    { key: 'é', value: Buffer.alloc(0) },
  ]);
});

test('gzip batches round-trip and carry compression codec 1', () => {
  const batch = buildRecordBatch({ records: sample, compression: 'gzip' });
  assert.equal(readBatchHeader(batch, 0).attributes & 7, 1);
  assert.ok(validateBatches(batch, 1 << 20).ok);
  const records = decodeRecords(batch);
  assert.deepEqual(
    records.map((r) => r.value),
    [Buffer.from('v0'), Buffer.alloc(300, 7), null],
  );
});

// issue 9 item B: every Kafka codec decodes (before, snappy, lz4 and zstd threw "unsupported compression").
test('snappy, lz4 and zstd batches round-trip and carry codecs 2, 3 and 4', () => {
  for (const [compression, codec] of [
    ['snappy', 2],
    ['lz4', 3],
    ['zstd', 4],
  ] as const) {
    const batch = buildRecordBatch({ records: sample, compression });
    assert.equal(readBatchHeader(batch, 0).attributes & 7, codec);
    assert.ok(validateBatches(batch, 1 << 20).ok);
    const records = decodeRecords(batch);
    assert.deepEqual(
      records.map((r) => r.value),
      [Buffer.from('v0'), Buffer.alloc(300, 7), null],
      compression,
    );
    assert.deepEqual(
      records.map((r) => r.timestamp),
      sample.map((r) => r.timestamp),
    );
  }
});

test('a codec id Kafka does not define (5..7) fails to decode', () => {
  for (const codec of [5, 6, 7]) {
    const batch = buildRecordBatch({ records: sample });
    batch.writeInt16BE(codec, ATTRIBUTES_OFFSET);
    assert.throws(() => decodeRecords(batch), /unknown compression codec/);
  }
});

test('decodeRecords refuses a compressed batch whose records could exceed its uncompressedBytesMax', () => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.alloc(100_000, 1) }], compression: 'zstd' });
  assert.equal(decodeRecords(batch)[0]!.value!.length, 100_000);
  assert.throws(() => decodeRecords(batch, { uncompressedBytesMax: 50_000 }), /more than the limit of 50000/);
});

test('setBaseOffset and setPartitionLeaderEpoch rewrite in place and keep the CRC valid', () => {
  const batch = buildRecordBatch({ records: sample });
  setBaseOffset(batch, 0, 2 ** 40 + 5);
  setPartitionLeaderEpoch(batch, 0, 77);
  const h = readBatchHeader(batch, 0);
  assert.equal(h.baseOffset, 2 ** 40 + 5);
  assert.equal(h.partitionLeaderEpoch, 77);
  assert.ok(batchCrcIsValid(batch, 0, batch.length));
  assert.equal(decodeRecords(batch)[2].offset, 2 ** 40 + 7);
});

test('int64 helpers handle negative values and values above 2^32', () => {
  const buf = Buffer.alloc(8);
  for (const v of [0, 1, -1, 2 ** 32, 2 ** 53 - 1, -(2 ** 40), 1_700_000_000_000]) {
    writeInt64(buf, 0, v);
    assert.equal(buf.readBigInt64BE(0), BigInt(v));
    assert.equal(readInt64(buf, 0), v);
  }
});

test('validateBatches splits several batches and reports positions and sizes', () => {
  const a = buildRecordBatch({ records: sample.slice(0, 1) });
  const b = buildRecordBatch({ records: sample });
  const blob = Buffer.concat([a, b]);
  const result = validateBatches(blob, 1 << 20);
  assert.ok(result.ok);
  assert.equal(result.batches.length, 2);
  assert.equal(result.batches[0].position, 0);
  assert.equal(result.batches[1].position, a.length);
  assert.equal(result.batches[1].sizeBytes, b.length);
  assert.equal(result.batches[1].recordCount, 3);
  assert.ok(result.batches[1].buf.equals(b));
});

test('a flipped bit anywhere in the CRC-covered range is CORRUPT_MESSAGE (2)', () => {
  const batch = buildRecordBatch({ records: sample });
  for (let pos = ATTRIBUTES_OFFSET; pos < batch.length; pos += 13) {
    const copy = Buffer.from(batch);
    copy[pos] ^= 0x10;
    const result = validateBatches(copy, 1 << 20);
    assert.equal(result.ok, false, `flip at ${pos}`);
    if (!result.ok) assert.ok(result.errorCode === 2 || result.errorCode === 87, `flip at ${pos}: ${result.errorCode}`);
  }
  const copy = Buffer.from(batch);
  copy[batch.length - 1] ^= 1;
  const result = validateBatches(copy, 1 << 20);
  assert.deepEqual(result.ok ? 0 : result.errorCode, 2);
});

test('a batch larger than maxBatchBytes is MESSAGE_TOO_LARGE (10)', () => {
  const batch = buildRecordBatch({ records: [{ value: Buffer.alloc(2000), timestamp: 1 }] });
  const result = validateBatches(batch, 1000);
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.errorCode, 10);
  assert.ok(validateBatches(batch, batch.length).ok);
});

test('a truncated batch or trailing garbage is CORRUPT_MESSAGE (2)', () => {
  const batch = buildRecordBatch({ records: sample });
  for (const blob of [batch.subarray(0, batch.length - 1), batch.subarray(0, 10), Buffer.concat([batch, Buffer.alloc(5)])]) {
    const result = validateBatches(blob, 1 << 20);
    assert.equal(result.ok ? 0 : result.errorCode, 2);
  }
  const tiny = Buffer.from(batch);
  tiny.writeInt32BE(10, 8); // batchLength below the header size
  assert.equal(((r) => (r.ok ? 0 : r.errorCode))(validateBatches(tiny, 1 << 20)), 2);
});

test('magic 0 and 1 message sets are UNSUPPORTED_FOR_MESSAGE_FORMAT (43)', () => {
  for (const magic of [0, 1]) {
    const blob = buildRecordBatch({ records: sample });
    blob[MAGIC_OFFSET] = magic;
    const result = validateBatches(blob, 1 << 20);
    assert.equal(result.ok ? 0 : result.errorCode, 43);
  }
});

// Kafka LogValidator: a client batch must have at least one record and
// lastOffsetDelta + 1 == recordCount.
test('inconsistent recordCount or lastOffsetDelta is INVALID_RECORD (87)', () => {
  const resign = (b: Buffer) => b.writeUInt32BE(crc32c(b, ATTRIBUTES_OFFSET), CRC_OFFSET);
  const a = buildRecordBatch({ records: sample });
  a.writeInt32BE(5, LAST_OFFSET_DELTA_OFFSET);
  resign(a);
  assert.equal(((r) => (r.ok ? 0 : r.errorCode))(validateBatches(a, 1 << 20)), 87);
  const b = buildRecordBatch({ records: sample });
  b.writeInt32BE(-1, RECORDS_COUNT_OFFSET);
  resign(b);
  assert.equal(((r) => (r.ok ? 0 : r.errorCode))(validateBatches(b, 1 << 20)), 87);
});

test('batches built by KafkaJS 2.2.4 validate and decode (real client bytes)', async () => {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  const records = [
    Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('a'), value: Buffer.from('hello'), headers: { trace: 'abc' } }),
    Record({ offsetDelta: 1, timestampDelta: 17, key: null, value: Buffer.from('world') }),
  ];
  for (const compression of [0, 1]) {
    const encoder = await RecordBatch({
      compression,
      firstTimestamp: 1_600_000_000_000,
      maxTimestamp: 1_600_000_000_017,
      lastOffsetDelta: 1,
      records,
    });
    const blob: Buffer = encoder.buffer;
    const result = validateBatches(blob, 1 << 20);
    assert.ok(result.ok, JSON.stringify(result.ok ? '' : result));
    const decoded = decodeRecords(blob);
    assert.deepEqual(
      decoded.map((r) => r.timestamp),
      [1_600_000_000_000, 1_600_000_000_017],
    );
    assert.deepEqual(decoded[0].headers, [{ key: 'trace', value: Buffer.from('abc') }]);
    assert.deepEqual(decoded[1].value, Buffer.from('world'));
  }
});

test('KafkaJS decodes batches we build (their decoder reads our bytes)', async () => {
  const Decoder = require('kafkajs/src/protocol/decoder.js');
  const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
  const batch = buildRecordBatch({ baseOffset: 50, records: sample, compression: 'gzip' });
  const decoded = await decodeBatch(new Decoder(batch));
  assert.equal(decoded.records.length, 3);
  assert.equal(decoded.records[0].offset, '50');
  assert.equal(decoded.records[0].key.toString(), 'k0');
  assert.equal(decoded.records[2].timestamp, '1699999999000');
});

test('decodeBatches walks several batches and skips a trailing partial batch', () => {
  const a = buildRecordBatch({ baseOffset: 0, records: sample.slice(0, 2) });
  const b = buildRecordBatch({ baseOffset: 2, records: sample, compression: 'gzip' });
  const c = buildRecordBatch({ baseOffset: 5, records: sample });
  const batches = decodeBatches(Buffer.concat([a, b, c.subarray(0, 70)]));
  assert.equal(batches.length, 2);
  assert.deepEqual(
    batches.flatMap((x) => x.records.map((r) => r.offset)),
    [0, 1, 2, 3, 4],
  );
});

test('buildRecordBatch rejects an empty batch and non-increasing offsetDeltas', () => {
  assert.throws(() => buildRecordBatch({ records: [] }), RangeError);
  assert.throws(
    () =>
      buildRecordBatch({
        records: [
          { value: 'a', offsetDelta: 1 },
          { value: 'b', offsetDelta: 1 },
        ],
      }),
    RangeError,
  );
});

test('explicit offsetDeltas set lastOffsetDelta (compacted-style batches decode)', () => {
  const batch = buildRecordBatch({
    baseOffset: 10,
    records: [
      { value: 'a', offsetDelta: 0, timestamp: 5 },
      { value: 'b', offsetDelta: 4, timestamp: 6 },
    ],
  });
  assert.equal(readBatchHeader(batch, 0).lastOffsetDelta, 4);
  assert.deepEqual(
    decodeRecords(batch).map((r) => r.offset),
    [10, 14],
  );
  // Not a legal client batch: Kafka requires dense offset deltas from producers.
  assert.equal(((r) => (r.ok ? 0 : r.errorCode))(validateBatches(batch, 1 << 20)), 87);
});

test('a gzip stream that is damaged but re-signed fails to decode loudly', () => {
  const batch = buildRecordBatch({ records: sample, compression: 'gzip' });
  const inner = gzipSync(Buffer.from('not records'));
  const bad = Buffer.concat([batch.subarray(0, RECORDS_OFFSET), inner]);
  bad.writeInt32BE(bad.length - 12, 8);
  assert.throws(() => decodeRecords(bad));
});

// issue 13 (performance): RecordBatchBuilder writes records in place as they come; buildRecordBatch
// builds through it. The bytes must be exactly those of the encoder it replaced.
function goldenRecords(): RecordInput[] {
  const records: RecordInput[] = [
    {
      key: 'k0',
      value: 'v0',
      headers: [
        { key: 'h', value: 'x' },
        { key: 'é', value: null },
      ],
      timestamp: 1_700_000_000_000,
    },
    { key: null, value: Buffer.alloc(3000, 7), headers: [], timestamp: 1_700_000_000_005 },
    { key: new Uint8Array([1, 2, 3]), value: null, timestamp: 1_699_999_000_000 },
    { key: 'ü'.repeat(70), value: 'x'.repeat(200), headers: [{ key: 'big', value: Buffer.alloc(2000, 1) }], timestamp: 1_700_000_000_000 + 2 ** 40 },
  ];
  for (let i = 0; i < 300; i++) records.push({ key: `key-${i}`, value: Buffer.alloc(i, i), headers: [], timestamp: 1_700_000_000_000 + i * 1000 });
  return records;
}

test('buildRecordBatch gives byte for byte what the encoder before RecordBatchBuilder gave (sha256 recorded from it)', () => {
  const records = goldenRecords();
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const a = buildRecordBatch({ records, producerId: 77, producerEpoch: 3, baseSequence: 1234, baseOffset: 42, partitionLeaderEpoch: 9 });
  assert.deepEqual([a.length, sha(a)], [55718, '007a0381d8dc3d71b193c489cad4345e419914658ab534a4b7bed3cecd450396']);
  const b = buildRecordBatch({
    records: records.slice(0, 4).map((r, i) => ({ ...r, offsetDelta: i * 3 })),
    isTransactional: true,
    isControl: true,
    timestampType: 'log-append',
  });
  assert.deepEqual([b.length, sha(b)], [5462, '164cc1db5c71ce4d1d349ddb63a355d8641d98cabe54de1456d1687e9cf0bd33']);
});

test('RecordBatchBuilder grows from a small buffer, and finishing again with another sequence rewrites only the header', () => {
  const records = goldenRecords();
  const builder = new RecordBatchBuilder(64);
  for (const r of records) builder.append(r.key, r.value, r.headers, r.timestamp!);
  const first = builder.finish({ producerId: 77, producerEpoch: 3, baseSequence: 1234, baseOffset: 42, partitionLeaderEpoch: 9 });
  assert.deepEqual(first, buildRecordBatch({ records, producerId: 77, producerEpoch: 3, baseSequence: 1234, baseOffset: 42, partitionLeaderEpoch: 9 }));
  const again = builder.finish({ producerId: 77, producerEpoch: 3, baseSequence: 5 });
  assert.equal(readBatchHeader(again, 0).baseSequence, 5);
  assert.ok(batchCrcIsValid(again, 0, again.length), 'the CRC covers the new header');
  assert.deepEqual(
    decodeRecords(again).map((r) => r.value),
    records.map((r) => (r.value === null ? null : Buffer.from(r.value as string))),
  );
  const lz4 = builder.finish({ compression: 'lz4', baseSequence: 6 });
  assert.equal(readBatchHeader(lz4, 0).attributes & 0x07, 3);
  assert.deepEqual(
    decodeRecords(lz4).map((r) => r.offset),
    records.map((_, i) => i),
  );
});

test('RecordBatchBuilder: varints on both sides of the 31-bit fast path round-trip; a bad record is refused and appends nothing', () => {
  const base = 1_700_000_000_000;
  const deltas = [0, 63, 64, -64, -65, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, -(2 ** 40), 2 ** 45];
  const builder = new RecordBatchBuilder();
  for (const d of deltas) builder.append(null, 'v', undefined, base + d);
  assert.throws(() => builder.append(null, 'v', undefined, Number.NaN), /timestamp NaN is not a safe integer/);
  assert.throws(() => builder.append(null, 'v', undefined, base, 3), /offsetDelta 3 must be greater than 11/);
  assert.equal(builder.count, deltas.length);
  const decoded = decodeRecords(builder.finish());
  assert.deepEqual(
    decoded.map((r) => r.timestamp),
    deltas.map((d) => base + d),
  );
  assert.equal(readBatchHeader(builder.finish(), 0).maxTimestamp, base + 2 ** 45);
  assert.throws(() => new RecordBatchBuilder().finish(), /at least one record/);
});

// issue 13 (performance): walkBatches is the consumer's decoder: positions through one reused
// cursor instead of copied keys and values; it must read exactly what decodeBatches reads.
test('walkBatches reads what decodeBatches reads, skips the records of batches onBatch declines, and the trailing partial batch', () => {
  const a = buildRecordBatch({ records: goldenRecords(), baseOffset: 10 });
  const b = buildRecordBatch({ records: sample, baseOffset: 400, compression: 'gzip' });
  const c = buildRecordBatch({ records: sample, baseOffset: 500 });
  const blob = Buffer.concat([a, b, c, c.subarray(0, c.length - 5)]);
  const walked: {
    offset: number;
    timestamp: number;
    key: Buffer | null;
    value: Buffer | null;
    headers: { key: string; value: Buffer | null }[];
    attributes: number;
  }[] = [];
  const seen: number[] = [];
  walkBatches(
    blob,
    {},
    (header) => {
      seen.push(header.baseOffset);
      return header.baseOffset !== 500;
    },
    (r: RecordCursor) => {
      walked.push({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.keyLength < 0 ? null : r.bytes.subarray(r.keyAt, r.keyAt + r.keyLength),
        value: r.valueLength < 0 ? null : r.bytes.subarray(r.valueAt, r.valueAt + r.valueLength),
        headers: readRecordHeaders(r.bytes, r.headersAt, r.headerCount, false),
        attributes: r.attributes,
      });
    },
  );
  assert.deepEqual(seen, [10, 400, 500], 'every whole batch, not the partial one');
  const expected = decodeBatches(blob)
    .filter((batch) => batch.header.baseOffset !== 500)
    .flatMap((batch) => batch.records);
  assert.equal(walked.length, goldenRecords().length + sample.length);
  assert.deepEqual(walked, expected);
  const broken = Buffer.from(a);
  broken[RECORDS_OFFSET] = 0x7f; // the first record's length now runs past the batch
  assert.throws(
    () =>
      walkBatches(
        broken,
        {},
        () => true,
        () => {},
      ),
    /record 0 length/,
  );
});

test('walkBatches: a record callback that returns false skips the rest of that batch, not the next batch', () => {
  const records = (base: number) => Array.from({ length: 5 }, (_, i) => ({ value: `v${base + i}` }));
  const blob = Buffer.concat([buildRecordBatch({ baseOffset: 0, records: records(0) }), buildRecordBatch({ baseOffset: 5, records: records(5) })]);
  const offsets: number[] = [];
  walkBatches(
    blob,
    {},
    () => true,
    (r) => {
      offsets.push(r.offset);
      return r.offset !== 1;
    },
  );
  assert.deepEqual(offsets, [0, 1, 5, 6, 7, 8, 9]);
});

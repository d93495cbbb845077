// Request/response headers (protocol guide "Headers"; KIP-482 header v2/v1) and golden
// frames written byte by byte from the protocol guide's BNF, not produced by our encoder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiVersions, ApiKey, metadata, produce, fetch } from '../../../src/protocol/apis/index.ts';
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeResponseBuffers,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../src/protocol/header.ts';
import { DecodeError, Reader, Writer } from '../../../src/protocol/primitives.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** Prefixes `body` with its int32 size, as on the wire. */
function frame(body: string): string {
  const b = hex(body);
  return b.length.toString(16).padStart(8, '0') + b.toString('hex');
}

test('header versions: request v2 / response v1 exactly for flexible API versions', () => {
  assert.equal(requestHeaderVersion(ApiKey.Metadata, 8), 1);
  assert.equal(requestHeaderVersion(ApiKey.Metadata, 9), 2);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  assert.equal(requestHeaderVersion(ApiKey.Fetch, 11), 1);
  assert.equal(requestHeaderVersion(ApiKey.SaslHandshake, 1), 1); // never flexible
  assert.equal(requestHeaderVersion(ApiKey.DescribeCluster, 0), 2); // flexible from v0
  assert.equal(requestHeaderVersion(9999, 5), 1); // unknown key: non-flexible reading
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1);
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 8), 0);
  // KIP-511: the ApiVersions response header is always v0, even for a flexible version.
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 3), 2);
  assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);
});

// Golden: ApiVersions v0 request, header v1, empty body.
const API_VERSIONS_V0_REQUEST = frame('0012 0000 00000001 0003 616263');
// Golden: ApiVersions v3 request, header v2. client_id stays a NULLABLE_STRING (int16
// length), then an empty tag buffer; the body uses COMPACT_STRINGs and its own tag buffer.
const API_VERSIONS_V3_REQUEST = frame('0012 0003 00000001 0003 616263 00  07 72756e6e656c 04 312e30 00');

test('golden: ApiVersions v0 and v3 requests', () => {
  const v0 = encodeRequest(apiVersions, 0, 1, 'abc', {});
  assert.equal(v0.toString('hex'), API_VERSIONS_V0_REQUEST);
  const v3 = encodeRequest(apiVersions, 3, 1, 'abc', { clientSoftwareName: 'runnel', clientSoftwareVersion: '1.0' });
  assert.equal(v3.toString('hex'), API_VERSIONS_V3_REQUEST);

  const r = new Reader(hex(API_VERSIONS_V3_REQUEST).subarray(4));
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'abc', headerVersion: 2 });
  assert.deepEqual(decodeRequestBody(apiVersions, 3, r), {
    body: { clientSoftwareName: 'runnel', clientSoftwareVersion: '1.0' },
    trailingBytes: 0,
  });
});

test('golden: ApiVersions v0 and v3 responses (header always v0)', () => {
  const keys = [{ apiKey: 18, minVersion: 0, maxVersion: 3 }];
  // v0: correlation_id, error_code, [api_keys] with an int32 count.
  const v0 = frame('00000007 0000 00000001 0012 0000 0003');
  assert.equal(encodeResponse(apiVersions, 0, 7, { errorCode: 0, apiKeys: keys }).toString('hex'), v0);
  // v3: correlation_id (no header tag buffer), error_code, COMPACT_ARRAY (count+1 = 2) of
  // entries each ending in a tag buffer, throttle_time_ms, top-level tag buffer.
  const v3 = frame('00000007 0000 02 0012 0000 0003 00 00000000 00');
  assert.equal(encodeResponse(apiVersions, 3, 7, { errorCode: 0, apiKeys: keys }).toString('hex'), v3);
  const decoded = decodeResponse(apiVersions, 3, hex(v3).subarray(4));
  assert.equal(decoded.correlationId, 7);
  assert.deepEqual(decoded.body.apiKeys, keys);
  assert.equal(decoded.body.finalizedFeaturesEpoch, -1);
  // A tagged field (finalized_features_epoch, tag 1) is written only when not default.
  const tagged = encodeResponse(apiVersions, 3, 7, { apiKeys: keys, finalizedFeaturesEpoch: 5 });
  assert.equal(tagged.subarray(tagged.length - 11).toString('hex'), '01' + '01' + '08' + '0000000000000005');
});

test('golden: Metadata v1 request, with a topic list and with null (= all topics)', () => {
  const withTopic = frame('0003 0001 0000002a 0003 636c69  00000001 0003 666f6f');
  assert.equal(encodeRequest(metadata, 1, 42, 'cli', { topics: [{ name: 'foo' }] }).toString('hex'), withTopic);
  const all = frame('0003 0001 0000002a ffff  ffffffff');
  assert.equal(encodeRequest(metadata, 1, 42, null, { topics: null }).toString('hex'), all);
  const r = new Reader(hex(all).subarray(4));
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 3, apiVersion: 1, correlationId: 42, clientId: null, headerVersion: 1 });
  assert.equal(decodeRequestBody(metadata, 1, r).body.topics, null);
});

test('golden: Produce v3 request with a records payload passed through untouched', () => {
  const records = hex('00000000000000000000001a0000000002c0de');
  const golden = frame(
    '0000 0003 00000005 0002 6b6a' + // header v1: Produce, v3, correlation 5, client "kj"
      'ffff' + // transactional_id: null
      'ffff' + // acks: -1
      '00007530' + // timeout_ms: 30000
      '00000001 0001 74' + // [topic_data] count 1, name "t"
      '00000001 00000000' + // [partition_data] count 1, index 0
      '00000013' +
      records.toString('hex'), // records: int32 size, then the bytes
  );
  const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] };
  assert.equal(encodeRequest(produce, 3, 5, 'kj', body).toString('hex'), golden);
  const r = new Reader(hex(golden).subarray(4));
  const header = decodeRequestHeader(r);
  assert.equal(header.apiKey, ApiKey.Produce);
  const decoded = decodeRequestBody(produce, 3, r).body;
  assert.deepEqual(decoded, body);
  assert.ok(decoded.topicData[0]!.partitionData[0]!.records!.equals(records));
});

test('an unknown api key or unsupported version still yields key, version and correlation id', () => {
  // Unknown key 9999, some body.
  let r = new Reader(hex('270f 0001 00000063 0002 6869 deadbeef'));
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 9999, apiVersion: 1, correlationId: 99, clientId: 'hi', headerVersion: 1 });
  // Unknown key whose "client id" is garbage: the three numbers survive.
  r = new Reader(hex('270f 0001 00000063 7fff 00'));
  const h = decodeRequestHeader(r);
  assert.deepEqual([h.apiKey, h.apiVersion, h.correlationId, h.clientId], [9999, 1, 99, null]);
  // ApiVersions v4 (newer than we support) from a newer librdkafka: header v2 is read.
  r = new Reader(hex('0012 0004 00000003 0001 61 00 0161 0161 00'));
  const av = decodeRequestHeader(r);
  assert.deepEqual([av.apiKey, av.apiVersion, av.correlationId, av.clientId, av.headerVersion], [18, 4, 3, 'a', 2]);
  // A supported request whose header is cut short is a DecodeError.
  assert.throws(() => decodeRequestHeader(new Reader(hex('0003 0001 00000001 0005 61'))), DecodeError);
  assert.throws(() => decodeRequestHeader(new Reader(hex('0003 00'))), DecodeError);
});

test('flexible request headers carry a tag buffer; tagged header fields are skipped', () => {
  // Metadata v9 with one (unknown) tagged header field: tag 3, 2 bytes.
  const w = new Writer();
  w.int16(3).int16(9).int32(11).nullableString('c');
  w.uvarint(1).uvarint(3).uvarint(2).int16(0x7777);
  w.compactArrayLength(null).bool(true).bool(false).bool(false).uvarint(0);
  const r = new Reader(w.toBuffer());
  const h = decodeRequestHeader(r);
  assert.equal(h.headerVersion, 2);
  const body = decodeRequestBody(metadata, 9, r).body;
  assert.equal(body.topics, null);
  assert.equal(body.allowAutoTopicCreation, true);
});

test('flexible response header v1 has a tag buffer after the correlation id', () => {
  const f = encodeResponse(metadata, 9, 5, {});
  assert.equal(f.readInt32BE(0), f.length - 4);
  assert.equal(f.readInt32BE(4), 5);
  assert.equal(f[8], 0, 'empty header tag buffer');
  const nonFlex = encodeResponse(metadata, 8, 5, {});
  assert.equal(nonFlex.readInt32BE(8), 0, 'v8 body starts with throttle_time_ms right after the correlation id');
  assert.throws(() => decodeResponse(metadata, 9, Buffer.concat([f.subarray(4), Buffer.from([0])])), DecodeError);
});

test('encodeResponseBuffers gives the same bytes as encodeResponse without copying records', () => {
  const records = Buffer.alloc(10_000, 3);
  const body = {
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 10, records }] }],
  };
  const one = encodeResponse(fetch, 11, 9, body);
  const parts = encodeResponseBuffers(fetch, 11, 9, body);
  assert.ok(Buffer.concat(parts).equals(one));
  assert.ok(parts.includes(records), 'the records buffer is sent as is');
  const decoded = decodeResponse(fetch, 11, one.subarray(4));
  assert.ok(decoded.body.responses[0]!.partitions[0]!.records!.equals(records));
});

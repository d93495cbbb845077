// Request frames captured from real clients (codec tests use the captured
// bytes of real clients): kcat 1.7 / librdkafka 2.0.2 and KafkaJS 2.2.4, recorded on
// 127.0.0.1 against a throwaway server that answered with this codec. Each is the frame
// after its int32 size. They pin the versions those clients really send (see
// reference/client-versions.md) and the quirks of their encodings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, apiVersions, metadata, produce } from '../../../src/protocol/apis/index.ts';
import { decodeRequestBody, decodeRequestHeader } from '../../../src/protocol/header.ts';
import { Reader } from '../../../src/protocol/primitives.ts';
import type { ApiDefinition } from '../../../src/protocol/api.ts';

function decodeCaptured<Req>(api: ApiDefinition<Req, unknown>, hex: string) {
  const r = new Reader(Buffer.from(hex, 'hex'));
  const header = decodeRequestHeader(r);
  assert.equal(header.apiKey, api.apiKey);
  const { body, trailingBytes } = decodeRequestBody(api, header.apiVersion, r);
  assert.equal(trailingBytes, 0, 'the whole frame is consumed');
  return { header, body };
}

const LIBRDKAFKA_API_VERSIONS_V3 = '0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200';
const LIBRDKAFKA_METADATA_V4 = '0003000400000002000772646b61666b6100000001000363617001';
const LIBRDKAFKA_PRODUCE_V7 =
  '0000000700000003000772646b61666b61ffffffff000075300000000100036361700000000100000000000000490000' +
  '0000000000000000003d0000000002272ce9b1000000000000000001a201737650000001a201737650ffffffffffffff' +
  'ffffffffffffff0000000116000000010a68656c6c6f00';
const KAFKAJS_API_VERSIONS_V2 = '001200020000000000036b6a73';
const KAFKAJS_METADATA_V6 = '000300060000000100036b6a7300000001000363617001';
const KAFKAJS_PRODUCE_V7 =
  '000000070000000200036b6a73ffffffff0000753000000001000363617000000001000000000000004a000000000000' +
  '00000000003e0000000002a3450bc9000000000000000001a2017393a9000001a2017393a9ffffffffffffffff000000' +
  '0000000000000118000000026b0a68656c6c6f00';

test('librdkafka ApiVersions v3: header v2 with a non-compact client_id, KIP-511 client software fields', () => {
  const { header, body } = decodeCaptured(apiVersions, LIBRDKAFKA_API_VERSIONS_V3);
  assert.deepEqual(header, { apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'rdkafka', headerVersion: 2 });
  assert.deepEqual(body, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
});

test('librdkafka Metadata v4 asks for one topic with auto-creation on (kcat relies on it)', () => {
  const { header, body } = decodeCaptured(metadata, LIBRDKAFKA_METADATA_V4);
  assert.equal(header.apiVersion, 4);
  assert.equal(body.topics!.length, 1);
  assert.equal(body.topics![0]!.name, 'cap');
  assert.equal(body.allowAutoTopicCreation, true);
});

test('librdkafka Produce v7: acks=-1, one RecordBatch passed through byte for byte', () => {
  const { header, body } = decodeCaptured(produce, LIBRDKAFKA_PRODUCE_V7);
  assert.equal(header.apiVersion, 7);
  assert.equal(body.transactionalId, null);
  assert.equal(body.acks, -1);
  assert.equal(body.timeoutMs, 30000);
  const partition = body.topicData[0]!.partitionData[0]!;
  assert.equal(body.topicData[0]!.name, 'cap');
  assert.equal(partition.index, 0);
  const records = partition.records!;
  assert.equal(records.length, 0x49);
  // RecordBatch v2: baseOffset 0, batchLength = total - 12, magic 2.
  assert.equal(records.readInt32BE(8), records.length - 12);
  assert.equal(records[16], 2);
  // The bytes are the frame's own (a view), not a re-encoding.
  const frame = Buffer.from(LIBRDKAFKA_PRODUCE_V7, 'hex');
  assert.ok(frame.subarray(frame.length - records.length).equals(records));
});

test('KafkaJS ApiVersions v2, Metadata v6 and Produce v7', () => {
  const av = decodeCaptured(apiVersions, KAFKAJS_API_VERSIONS_V2);
  assert.deepEqual(av.header, { apiKey: ApiKey.ApiVersions, apiVersion: 2, correlationId: 0, clientId: 'kjs', headerVersion: 1 });
  const md = decodeCaptured(metadata, KAFKAJS_METADATA_V6);
  assert.equal(md.header.apiVersion, 6);
  assert.deepEqual(
    md.body.topics!.map((t) => t.name),
    ['cap'],
  );
  assert.equal(md.body.allowAutoTopicCreation, true);
  const pr = decodeCaptured(produce, KAFKAJS_PRODUCE_V7);
  assert.equal(pr.header.apiVersion, 7);
  assert.equal(pr.body.acks, -1);
  const records = pr.body.topicData[0]!.partitionData[0]!.records!;
  assert.equal(records.length, 0x4a);
  // KafkaJS writes partitionLeaderEpoch 0 rather than -1 (client-versions.md).
  assert.equal(records.readInt32BE(12), 0);
  assert.equal(records[16], 2);
});

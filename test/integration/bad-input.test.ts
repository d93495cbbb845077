// Hostile and broken input must cost the offending connection at most, never the broker
// (docs/architecture.md, Connections: an unknown api key or a malformed frame closes that
// connection after logging, never the broker; docs/configuration.md: a limit on everything). After every case a fresh
// client must still be served.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, runBrokerExpectingExit, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawConnection, type ReadOutcome } from '../helpers/raw-socket.ts';
import {
  ApiKeys,
  apiVersionsRequest,
  frame,
  headerV1,
  metadataRequestV1,
  parseApiVersionsV0,
  parseProduceV3,
  produceRequestV3,
  Writer,
} from '../helpers/wire.ts';
import { buildBatch, CRC_OFFSET } from '../../bench/lib/record-batch.ts';
import { RawClient } from '../../bench/lib/raw-client.ts';

let broker: BrokerHandle;
const TOPIC = 'bad-input';

// A variable of the user's own that happens to start with RUNNEL_ (issue 9 item C).
const USER_VARIABLE = 'RUNNEL_SERVR__PORT';

before(async () => {
  broker = await startBroker({ env: { [USER_VARIABLE]: '1' } });
  const c = await RawClient.connect({ port: broker.port });
  await c.createTopics([{ name: TOPIC, numPartitions: 1 }]);
  c.close();
});

after(async () => {
  await broker?.stop();
});

let correlation = 1000;

/** A new connection gets a well-formed ApiVersions v0 answer: the broker still serves clients. */
async function assertServes(what: string): Promise<void> {
  assert.ok(broker.alive(), `broker died after: ${what}\n${broker.logs().slice(-30).join('\n')}`);
  const conn = await RawConnection.connect(broker.port);
  try {
    const id = correlation++;
    const r = await conn.roundTrip(apiVersionsRequest(0, id), 5_000);
    assert.equal(r.kind, 'frame', `no ApiVersions answer after: ${what}`);
    const body = parseApiVersionsV0((r as { frame: Buffer }).frame);
    assert.equal(body.correlationId, id);
    assert.equal(body.errorCode, 0);
  } finally {
    conn.close();
  }
}

/** Sends bytes on a fresh connection and reports what came back. */
async function sendOnFresh(bytes: Buffer, timeoutMs = 3_000): Promise<ReadOutcome> {
  const conn = await RawConnection.connect(broker.port);
  try {
    return await conn.roundTrip(bytes, timeoutMs);
  } finally {
    conn.close();
  }
}

function produceOk(records: Buffer): Promise<ReturnType<typeof parseProduceV3>> {
  return (async () => {
    const id = correlation++;
    const r = await sendOnFresh(produceRequestV3(id, TOPIC, 0, records), 10_000);
    assert.equal(r.kind, 'frame', 'Produce got no answer');
    const res = parseProduceV3((r as { frame: Buffer }).frame);
    assert.equal(res.correlationId, id);
    return res;
  })();
}

// issue 9 item (C): an unknown RUNNEL_* variable is warned about once, naming the nearest field,
// and does not stop the broker.
test('an unknown RUNNEL_* variable is logged once as a warning and the broker serves', async () => {
  const warnings = broker.jsonLogs().filter((line) => line.variable === USER_VARIABLE);
  assert.equal(warnings.length, 1, broker.logs().join('\n'));
  assert.equal(warnings[0]!.level, 'warn');
  assert.match(String(warnings[0]!.msg), /is not a config field and is ignored \(did you mean RUNNEL_SERVER__PORT, "server.port"\?\)/);
  await assertServes('unknown variable');
});

test('a frame shorter than a request header closes the connection', async () => {
  const conn = await RawConnection.connect(broker.port);
  // Size 3: half an api key and one byte. No request can be read from this.
  await conn.send(Buffer.from([0, 0, 0, 3, 0, 18, 0]));
  assert.ok(await conn.waitClosed(5_000), 'connection should be closed');
  conn.close();
  await assertServes('3-byte frame');
});

test('a Metadata request whose body is cut short is refused without harm', async () => {
  // Metadata v1 saying 5 topics follow, with none present.
  const payload = headerV1(ApiKeys.Metadata, 1, correlation++).int32(5).build();
  const r = await sendOnFresh(frame(payload));
  assert.notEqual(r.kind, 'timeout', 'the broker should answer with an error or close, not hang');
  await assertServes('truncated Metadata body');
});

test('a partial frame followed by a client hang-up leaves the broker serving', async () => {
  const conn = await RawConnection.connect(broker.port);
  // The size promises 100 bytes; only 10 arrive before the client goes away.
  await conn.send(Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10, 1)]));
  const r = await conn.read(500);
  assert.equal(r.kind, 'timeout', 'nothing to answer before the frame is complete');
  conn.close();
  await assertServes('partial frame and hang-up');
});

test('a frame size of 2 GB closes the connection without allocating it', async () => {
  const rssBefore = broker.rssKb();
  const conn = await RawConnection.connect(broker.port);
  await conn.send(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]));
  assert.ok(await conn.waitClosed(5_000), 'connection should be closed on a 2 GB size');
  conn.close();
  // A broker that allocated the announced frame would have grown by far more than this.
  assert.ok(broker.rssKb() - rssBefore < 256 * 1024, `RSS grew from ${rssBefore} to ${broker.rssKb()} KiB`);
  await assertServes('2 GB size');
});

test('a negative frame size closes the connection', async () => {
  const conn = await RawConnection.connect(broker.port);
  await conn.send(Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 18, 0, 0]));
  assert.ok(await conn.waitClosed(5_000), 'connection should be closed on size -2');
  conn.close();
  await assertServes('negative size');
});

test('negative string, array and bytes lengths are refused', async () => {
  // client_id length -2 (only -1, null, is legal).
  const badClientId = frame(new Writer().int16(ApiKeys.Metadata).int16(1).int32(correlation++).int16(-2).build());
  let r = await sendOnFresh(badClientId);
  assert.notEqual(r.kind, 'timeout', 'client_id length -2: expected an error or a close');
  await assertServes('client_id length -2');

  // Metadata v1 topics array of length -7 (only -1, null, is legal).
  r = await sendOnFresh(frame(headerV1(ApiKeys.Metadata, 1, correlation++).int32(-7).build()));
  assert.notEqual(r.kind, 'timeout', 'array length -7: expected an error or a close');
  await assertServes('array length -7');

  // Produce v3 with a records length of -5.
  const payload = headerV1(ApiKeys.Produce, 3, correlation++).string(null).int16(-1).int32(5_000).int32(1).string(TOPIC).int32(1).int32(0).int32(-5).build();
  r = await sendOnFresh(frame(payload));
  assert.notEqual(r.kind, 'timeout', 'records length -5: expected an error or a close');
  await assertServes('records length -5');
});

test('an unknown api key closes the connection', async () => {
  const conn = await RawConnection.connect(broker.port);
  await conn.send(frame(headerV1(999, 0, correlation++).build()));
  const r = await conn.read(5_000);
  assert.equal(r.kind, 'closed', `expected the connection to be closed, got ${r.kind}`);
  conn.close();
  await assertServes('unknown api key 999');
});

test('ApiVersions v99 is answered with error 35 and a v0 body listing the supported versions', async () => {
  const id = correlation++;
  // v99 is above every flexible threshold, so the client sends a v2 header and a flexible body.
  const r = await sendOnFresh(apiVersionsRequest(99, id));
  assert.equal(r.kind, 'frame', `expected a response, got ${r.kind}`);
  const body = parseApiVersionsV0((r as { frame: Buffer }).frame);
  assert.equal(body.correlationId, id);
  assert.equal(body.errorCode, 35, 'UNSUPPORTED_VERSION');
  const av = body.apiKeys.find((k) => k.apiKey === ApiKeys.ApiVersions);
  assert.ok(av, 'the v0 body still lists ApiVersions so librdkafka can retry');
  assert.ok(av.maxVersion >= 3, `ApiVersions max ${av.maxVersion}`);
  assert.equal(av.minVersion, 0);
  await assertServes('ApiVersions v99');
});

test('Metadata at an unsupported version gets an error or a closed connection', async () => {
  const id = correlation++;
  const r = await sendOnFresh(frame(headerV1(ApiKeys.Metadata, 99, id).uvarint(0).uvarint(1).build()));
  if (r.kind === 'frame') assert.equal(r.frame.readInt32BE(0), id, 'an answer must carry the request correlation id');
  else assert.equal(r.kind, 'closed');
  await assertServes('Metadata v99');
});

test('a batch with a wrong CRC is refused with CORRUPT_MESSAGE and not stored', async () => {
  const good = buildBatch([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }]);
  const bad = Buffer.from(good);
  bad.writeUInt32BE((bad.readUInt32BE(CRC_OFFSET) ^ 0xdeadbeef) >>> 0, CRC_OFFSET);
  const res = await produceOk(bad);
  assert.equal(res.topics[0].partitions[0].errorCode, 2, 'CORRUPT_MESSAGE');
  const after1 = await produceOk(good);
  assert.equal(after1.topics[0].partitions[0].errorCode, 0);
  const firstGood = after1.topics[0].partitions[0].baseOffset;
  // The refused batch took no offset: the next good one directly follows the previous good one.
  const after2 = await produceOk(good);
  assert.equal(after2.topics[0].partitions[0].baseOffset, firstGood + 1);
  await assertServes('bad CRC');
});

test('Produce v2 with an old (magic 1) message set is refused with UNSUPPORTED_VERSION and not stored', async () => {
  // docs/protocol.md: Produce 0-2 may be advertised (librdkafka needs v0 for compression
  // support) but their old message formats are answered with an error, as Kafka 4.0 does.
  // Issue 12: that error is Kafka 4.0's, UNSUPPORTED_VERSION (it was UNSUPPORTED_FOR_MESSAGE_FORMAT).
  const value = Buffer.from('old-format');
  const message = new Writer().int8(1).int8(0).int64(Date.now()).bytes(null).bytes(value).build(); // magic, attributes, timestamp, key, value
  const { crc32 } = await import('node:zlib');
  const crc = crc32(message);
  const messageSet = new Writer()
    .int64(0)
    .int32(4 + message.length)
    .int32(crc | 0)
    .raw(message)
    .build();
  const before = await produceOk(buildBatch([{ key: null, value: Buffer.from('before'), timestamp: Date.now() }]));
  const id = correlation++;
  const payload = headerV1(ApiKeys.Produce, 2, id).int16(-1).int32(5_000).int32(1).string(TOPIC).int32(1).int32(0).bytes(messageSet).build();
  const r = await sendOnFresh(frame(payload), 10_000);
  if (r.kind === 'frame') {
    // Produce v2 responses share v3's layout.
    const res = parseProduceV3(r.frame);
    assert.equal(res.correlationId, id);
    assert.equal(res.topics[0].partitions[0].errorCode, 35, 'an old-format message set is answered UNSUPPORTED_VERSION');
  } else {
    assert.fail(`Produce v2 must be answered, not ${r.kind}`);
  }
  const afterRes = await produceOk(buildBatch([{ key: null, value: Buffer.from('after'), timestamp: Date.now() }]));
  assert.equal(afterRes.topics[0].partitions[0].baseOffset, before.topics[0].partitions[0].baseOffset + 1);
  await assertServes('Produce v2 message set');
});

test('a record larger than the batch limit is refused with MESSAGE_TOO_LARGE', async () => {
  // The default limit (limits.max_batch_bytes) is Kafka's message.max.bytes, 1,048,588 bytes.
  const huge = buildBatch([{ key: null, value: Buffer.alloc(2 * 1024 * 1024, 7), timestamp: Date.now() }]);
  const before = await produceOk(buildBatch([{ key: null, value: Buffer.from('small'), timestamp: Date.now() }]));
  const res = await produceOk(huge);
  assert.equal(res.topics[0].partitions[0].errorCode, 10, 'MESSAGE_TOO_LARGE');
  const afterRes = await produceOk(buildBatch([{ key: null, value: Buffer.from('small'), timestamp: Date.now() }]));
  assert.equal(afterRes.topics[0].partitions[0].baseOffset, before.topics[0].partitions[0].baseOffset + 1);
  await assertServes('2 MiB record');
});

test('Metadata v1 (the auto-creating kind) still works after all of the above', async () => {
  const id = correlation++;
  const r = await sendOnFresh(metadataRequestV1(id, [TOPIC]));
  assert.equal(r.kind, 'frame');
  assert.equal((r as { frame: Buffer }).frame.readInt32BE(0), id);
});

test('a config file with a misspelt field makes the broker exit non-zero, naming the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-config-'));
  try {
    const nested = join(dir, 'nested.json');
    writeFileSync(nested, JSON.stringify({ server: { prot: 9092 } }));
    let res = await runBrokerExpectingExit({ configFile: nested });
    assert.equal(res.listened, false, 'the broker must not start on a bad config');
    assert.notEqual(res.code, 0, `exit code ${res.code}, signal ${res.signal}`);
    assert.match(res.output, /prot/, `the message should name the field:\n${res.output}`);

    const top = join(dir, 'top.json');
    writeFileSync(top, JSON.stringify({ segmnet_size: 1024 }));
    res = await runBrokerExpectingExit({ configFile: top });
    assert.equal(res.listened, false);
    assert.notEqual(res.code, 0);
    assert.match(res.output, /segmnet_size/, `the message should name the field:\n${res.output}`);

    const wrongType = join(dir, 'type.json');
    writeFileSync(wrongType, JSON.stringify({ server: { port: 'ninety' } }));
    res = await runBrokerExpectingExit({ configFile: wrongType });
    assert.equal(res.listened, false);
    assert.notEqual(res.code, 0);
    assert.match(res.output, /port/, `the message should name the field:\n${res.output}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await assertServes('config typo (separate process)');
});

test('CreateTopics with absurd partition counts is refused at once, without a memory spike', async () => {
  // docs/configuration.md, limits: limits are checked before work sized by the request is done.
  // max_topic_partitions defaults to 1000; the fuzz test found 2^24 partitions costing GBs.
  // A broker of its own, so that a broker stuck on this request cannot fail other tests.
  const own = await startBroker();
  const c = await RawClient.connect({ port: own.port });
  try {
    for (const numPartitions of [1 << 24, 0x7fffffff]) {
      const rssBefore = own.rssKb();
      const t0 = Date.now();
      const outcome = await Promise.race([
        c.createTopics([{ name: `huge-${numPartitions}`, numPartitions }]).then(
          () => 'created',
          (err: { errorCode?: number }) => `error ${err.errorCode ?? String(err)}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('no answer within 5 s'), 5_000)),
      ]);
      const grewKb = own.rssKb() - rssBefore;
      assert.equal(outcome, 'error 37', `numPartitions ${numPartitions}: ${outcome} after ${Date.now() - t0} ms`);
      assert.ok(grewKb < 64 * 1024, `numPartitions ${numPartitions}: RSS grew by ${grewKb} KiB`);
    }
  } finally {
    c.close();
    await own.stop();
  }
});

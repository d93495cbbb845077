// A bounded fuzz run against one broker: random frames and mutations of valid frames,
// from several connections at once, for about 20 seconds. The broker must stay up, keep
// answering well-formed requests, and keep its memory bounded (docs/configuration.md, limits: a limit
// on everything). The run is seeded; a failure prints the seed, and FUZZ_SEED=<n>
// replays the same byte sequences (timing may differ).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type BrokerHandle } from '../helpers/broker-process.ts';
import { RawConnection } from '../helpers/raw-socket.ts';
import { ApiKeys, apiVersionsRequest, frame, headerV1, metadataRequestV1, parseApiVersionsV0, produceRequestV3 } from '../helpers/wire.ts';
import { buildBatch } from '../../bench/lib/record-batch.ts';
import { allApis, apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { encodeRequest } from '../../src/protocol/header.ts';

const DURATION_MS = Number(process.env.FUZZ_DURATION_MS ?? 20_000);
const CONNECTIONS = 4;
/** RSS ceiling for the broker during the run. Idle it needs well under 200 MiB. */
const RSS_LIMIT_KB = 768 * 1024;

let broker: BrokerHandle | undefined;
after(async () => {
  await broker?.stop();
});

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Valid requests to start from: the hand-built ones of wire.ts, plus every API at every
 * version the codec knows (empty bodies) and richer Produce, Fetch, Metadata, ListOffsets
 * and CreateTopics bodies at every version, so that mutations also reach the flexible
 * (compact, tagged-field) decoders.
 */
function validFrames(topic: string): Array<[string, Buffer]> {
  const id = 77;
  const batch = buildBatch([
    { key: Buffer.from('fuzz-key'), value: Buffer.from('fuzz-value'), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: Date.now() },
    { key: null, value: Buffer.from('second'), timestamp: Date.now() },
  ]);
  const frames: Array<[string, Buffer]> = [
    ['wire ApiVersions v0', apiVersionsRequest(0, id)],
    ['wire ApiVersions v3', apiVersionsRequest(3, id)],
    ['wire Metadata v1', metadataRequestV1(id, [topic])],
    ['wire Metadata v1 all', frame(headerV1(ApiKeys.Metadata, 1, id).int32(-1).build())],
    ['wire Produce v3 acks=-1', produceRequestV3(id, topic, 0, batch, -1)],
    ['wire Produce v3 acks=1', produceRequestV3(id, topic, 0, batch, 1)],
  ];
  for (const api of allApis) {
    for (let v = api.minVersion; v <= api.maxVersion; v++) frames.push([`empty ${api.name} v${v}`, encodeRequest(api, v, id, 'fuzz', {})]);
  }
  const rich: Array<[number, unknown]> = [
    [ApiKey.Produce, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }],
    [
      ApiKey.Fetch,
      {
        maxWaitMs: 10,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic, topicId: Buffer.alloc(16), partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
      },
    ],
    [ApiKey.Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false }],
    [ApiKey.ListOffsets, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] }],
    [ApiKey.CreateTopics, { topics: [{ name: `${topic}-c`, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 }],
  ];
  for (const [key, body] of rich) {
    const api = apiByKey.get(key);
    if (!api) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) frames.push([`rich ${api.name} v${v}`, encodeRequest(api, v, id, 'fuzz', body as never)]);
  }
  // Debugging knob: FUZZ_BASE=Produce keeps only the base frames whose label contains it.
  const only = process.env.FUZZ_BASE;
  return only ? frames.filter(([label]) => label.includes(only)) : frames;
}

type Mutation = (f: Buffer, rand: () => number) => Buffer;

const mutations: Mutation[] = [
  // Flip a few random bits anywhere after the size (the size itself is kept honest).
  (f, rand) => {
    const g = Buffer.from(f);
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const pos = 4 + Math.floor(rand() * (g.length - 4));
      g[pos] ^= 1 << Math.floor(rand() * 8);
    }
    return g;
  },
  // Overwrite a random 2- or 4-byte window with an extreme value (lengths, counts).
  (f, rand) => {
    const g = Buffer.from(f);
    const extremes = [0xffffffff, 0x7fffffff, 0x80000000, 0, 0xfffffffe, 0x0000ffff];
    const pos = 4 + Math.floor(rand() * Math.max(1, g.length - 8));
    const v = extremes[Math.floor(rand() * extremes.length)];
    if (rand() < 0.5 && pos + 4 <= g.length) g.writeUInt32BE(v >>> 0, pos);
    else if (pos + 2 <= g.length) g.writeUInt16BE(v & 0xffff, pos);
    return g;
  },
  // Truncate the body but keep a consistent size.
  (f, rand) => {
    const len = 4 + Math.floor(rand() * (f.length - 4));
    const g = Buffer.from(f.subarray(0, len));
    g.writeInt32BE(len - 4, 0);
    return g;
  },
  // Keep the body, lie about the size (bigger: the broker waits; smaller: the rest is garbage).
  (f, rand) => {
    const g = Buffer.from(f);
    const delta = Math.floor(rand() * 64) - 32;
    g.writeInt32BE(Math.max(0, f.length - 4 + delta), 0);
    return g;
  },
  // Random api key and version on an otherwise valid frame.
  (f, rand) => {
    const g = Buffer.from(f);
    g.writeInt16BE(Math.floor(rand() * 80) - 5, 4);
    g.writeInt16BE(Math.floor(rand() * 40) - 5, 6);
    return g;
  },
];

function randomFrame(rand: () => number): Buffer {
  const len = Math.floor(rand() * 200);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = Math.floor(rand() * 256);
  if (rand() < 0.2) return body; // not even a size prefix we chose
  return frame(body);
}

test('the broker survives ~20 s of random and mutated frames with bounded memory', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  broker = await startBroker();
  const b = broker;
  const topic = 'fuzz';
  const deadline = Date.now() + DURATION_MS;
  let sent = 0;
  let answered = 0;
  let closedByBroker = 0;
  let maxRssKb = 0;

  const sampler = setInterval(() => {
    maxRssKb = Math.max(maxRssKb, b.rssKb());
  }, 250);

  const valid = validFrames(topic);
  assert.ok(valid.length > 0, 'FUZZ_BASE matched no base frame');
  // Debugging knob: FUZZ_MUTATION=<index into mutations> applies only that mutation.
  const onlyMutation = process.env.FUZZ_MUTATION === undefined ? undefined : Number(process.env.FUZZ_MUTATION);
  async function worker(w: number): Promise<void> {
    const rand = prng(seed + w);
    let conn = await RawConnection.connect(b.port);
    // Bounded by the deadline; each iteration awaits I/O with a short timeout.
    while (Date.now() < deadline) {
      const base = valid[Math.floor(rand() * valid.length)][1];
      const roll = rand();
      const mutation = onlyMutation ?? Math.floor(rand() * mutations.length);
      const bytes = roll < 0.15 ? base : roll < 0.85 || onlyMutation !== undefined ? mutations[mutation](base, rand) : randomFrame(rand);
      await conn.send(bytes);
      sent++;
      const r = await conn.read(15);
      if (r.kind === 'frame') answered++;
      if (r.kind === 'closed' || conn.closed) {
        closedByBroker++;
        conn.close();
        conn = await RawConnection.connect(b.port);
      } else if (rand() < 0.05) {
        // Sometimes hang up ourselves, leaving whatever we half-sent behind.
        conn.close();
        conn = await RawConnection.connect(b.port);
      }
      if (!b.alive()) break;
    }
    conn.close();
  }

  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  } finally {
    clearInterval(sampler);
  }
  const context = `seed ${seed}: ${valid.length} base frames, sent ${sent}, answered ${answered}, closed by broker ${closedByBroker}, max RSS ${maxRssKb} KiB`;
  console.log(`fuzz: ${context}`);
  assert.ok(b.alive(), `broker died during fuzzing (${context})\n${b.logs().slice(-40).join('\n')}`);
  assert.ok(maxRssKb > 0, 'RSS could not be sampled');
  if (maxRssKb >= RSS_LIMIT_KB) {
    // Say what the broker was doing: how many topics and partitions the fuzz created.
    const created = b.jsonLogs().filter((l) => l.msg === 'topic created');
    const partitionsCreated = created.reduce((n, l) => n + (Number(l.partitions) || 0), 0);
    assert.fail(
      `RSS reached ${maxRssKb} KiB (${context}); the broker logged ${created.length} topics created ` +
        `with ${partitionsCreated} partitions in all; last log lines:\n${b.logs().slice(-10).join('\n')}`,
    );
  }
  assert.ok(sent > 100, `too few frames sent to mean anything (${context})`);

  // Still serving a well-behaved client afterwards.
  const conn = await RawConnection.connect(b.port);
  try {
    const r = await conn.roundTrip(apiVersionsRequest(0, 4242), 5_000);
    assert.equal(r.kind, 'frame', `no answer after fuzzing (${context})`);
    const body = parseApiVersionsV0((r as { frame: Buffer }).frame);
    assert.equal(body.correlationId, 4242);
    assert.equal(body.errorCode, 0);
  } finally {
    conn.close();
  }
});

// Codec micro benchmark: decodes/s of a Produce v7 request (what KafkaJS and librdkafka
// send) and encodes/s of a Fetch v11 response with 10 partitions (what they read).
// Run: node --import tsx bench/codec.ts [seconds-per-case]
// Prints numbers only; nothing here asserts on speed.

import { fetch, produce } from '../src/protocol/apis/index.ts';
import { decodeRequestBody, decodeRequestHeader, encodeRequest, encodeResponse, encodeResponseBuffers } from '../src/protocol/header.ts';
import { Reader } from '../src/protocol/primitives.ts';
import { runFor } from './lib/timing.ts';

const secondsPerCase = Number(process.argv[2] ?? 1);
const ITERATIONS_MAX = 50_000_000;

function measure(name: string, unitBytes: number, fn: () => void): void {
  const { calls, seconds } = runFor(secondsPerCase, fn, { warmup: 2000, perRound: 256, callsMax: ITERATIONS_MAX });
  const perSecond = calls / seconds;
  const mbPerSecond = (perSecond * unitBytes) / 1e6;
  console.log(`${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s   ${mbPerSecond.toFixed(0).padStart(6)} MB/s`);
}

function produceFrame(partitions: number, recordBytes: number): Buffer {
  const records = Buffer.alloc(recordBytes, 0x61);
  return encodeRequest(produce, 7, 1, 'bench-client', {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'bench-topic', partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records })) }],
  }).subarray(4);
}

for (const [partitions, recordBytes] of [
  [1, 1024],
  [1, 16 * 1024],
  [10, 1024],
] as const) {
  const frame = produceFrame(partitions, recordBytes);
  measure(`decode Produce v7 request, ${partitions} partition(s) × ${recordBytes} B`, frame.length, () => {
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    decodeRequestBody(produce, h.apiVersion, r);
  });
}

function fetchBody(recordBytes: number) {
  const records = Buffer.alloc(recordBytes, 0x62);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'bench-topic',
        partitions: Array.from({ length: 10 }, (_, partitionIndex) => ({
          partitionIndex,
          errorCode: 0,
          highWatermark: 1_000_000 + partitionIndex,
          lastStableOffset: 1_000_000 + partitionIndex,
          logStartOffset: 0,
          abortedTransactions: null,
          preferredReadReplica: -1,
          records,
        })),
      },
    ],
  };
}

for (const recordBytes of [1024, 64 * 1024]) {
  const body = fetchBody(recordBytes);
  const size = encodeResponse(fetch, 11, 1, body).length;
  measure(`encode Fetch v11 response, 10 partitions × ${recordBytes} B (one Buffer)`, size, () => {
    encodeResponse(fetch, 11, 1, body);
  });
  measure(`encode Fetch v11 response, 10 partitions × ${recordBytes} B (slices)`, size, () => {
    encodeResponseBuffers(fetch, 11, 1, body);
  });
}

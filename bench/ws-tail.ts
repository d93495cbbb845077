// `npm run bench -- ws-tail [--records N] [--rounds K] [--size BYTES] [--tails T]`: what WebSocket
// tails (docs/tailing.md) cost the data path. One broker process; rounds alternate without and
// with T tail clients attached to the topic (every partition, from the end) while the raw client
// produces N records flat out; each round reports records/s and the broker's CPU-seconds per
// 100,000 records, side by side, so load from elsewhere on the machine hits both alike. The tail
// clients run in this process and count what they receive (and any dropped counts), so they slow
// the producer beside them: the broker's CPU per record is the figure to compare.

import { parseArgs } from 'node:util';
import { RawClient } from './lib/raw-client.ts';
import { produceFlatOut } from './lib/producer.ts';
import { cpuSeconds, loadAverage } from './lib/proc.ts';
import { startBroker } from '../test/helpers/broker-process.ts';
import { connectWebSocket, type WsClient } from '../src/cli/runnel/ws-client.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '100' },
    tails: { type: 'string', default: '1' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const size = Number(values.size);
const tailCount = Number(values.tails);
const PARTITIONS = 4;
const TOPIC = 'ws-bench';

interface Round {
  tails: number;
  recordsPerSecond: number;
  brokerCpuPer100k: number;
  received: number;
  dropped: number;
}

console.log(`load average before: ${loadAverage()}`);
const broker = await startBroker();
const client = await RawClient.connect({ port: broker.port });
try {
  await client.createTopics([{ name: TOPIC, numPartitions: PARTITIONS }], { waitForLeaders: true });
  const results: Round[] = [];
  // Round 0 warms the broker's JIT (the first round ran at half speed) and is not counted.
  for (let round = -1; round < rounds * 2; round++) {
    const tails = round % 2 === 1 || round === -1 ? tailCount : 0;
    let received = 0;
    let dropped = 0;
    const sockets: WsClient[] = [];
    for (let t = 0; t < tails; t++) {
      sockets.push(
        await connectWebSocket(`ws://127.0.0.1:${broker.httpPort}/v1/ws/topics/${TOPIC}`, (data) => {
          const message = JSON.parse(data.toString('utf8')) as { type: string; count?: number };
          if (message.type === 'record') received++;
          else if (message.type === 'dropped') dropped += message.count ?? 0;
        }),
      );
    }
    const cpuBefore = cpuSeconds(broker.pid);
    const result = await produceFlatOut({
      topic: TOPIC,
      partitions: PARTITIONS,
      clientFor: () => client,
      total: records,
      size,
      batchSize: 100,
      acks: -1,
      inflight: 8,
    });
    // The tails finish sending what was committed before the CPU is read.
    const deadline = Date.now() + 30_000;
    while (tails > 0 && received + dropped < records * tails && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const cpu = cpuSeconds(broker.pid) - cpuBefore;
    for (const socket of sockets) socket.close();
    if (round < 0) continue;
    results.push({ tails, recordsPerSecond: result.acked / result.seconds, brokerCpuPer100k: (cpu / result.acked) * 100_000, received, dropped });
    const r = results.at(-1)!;
    console.log(
      `round ${round + 1}: tails ${tails}  ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} records/s  broker CPU ${r.brokerCpuPer100k.toFixed(3)} s per 100k records` +
        (tails > 0 ? `  tail got ${received.toLocaleString('en-US')}, dropped ${dropped.toLocaleString('en-US')}` : ''),
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const without = results.filter((r) => r.tails === 0);
  const withTails = results.filter((r) => r.tails > 0);
  const rateRatio = mean(withTails.map((r) => r.recordsPerSecond)) / mean(without.map((r) => r.recordsPerSecond));
  const cpuRatio = mean(withTails.map((r) => r.brokerCpuPer100k)) / mean(without.map((r) => r.brokerCpuPer100k));
  console.log(
    `\n${records.toLocaleString('en-US')} records of ${size} B per round, ${PARTITIONS} partitions, acks=all, ${rounds} rounds each, ${tailCount} tail(s):` +
      `\n  throughput with/without tails: ${rateRatio.toFixed(3)}   broker CPU per record with/without: ${cpuRatio.toFixed(3)}`,
  );
} finally {
  client.close();
  await broker.stop();
  console.log(`load average after: ${loadAverage()}`);
}

// Reads a partition back through the SDK's routing (Cluster) with Fetch at the broker's
// highest version and our own batch decoder, which reads every codec: what the SDK producer
// tests check their records against. Bounded by a deadline.
import type { Cluster } from '../../src/client/cluster.ts';
import { fetch as fetchApi } from '../../src/protocol/apis/index.ts';
import { decodeBatches, type DecodedBatch, type DecodedRecord } from '../../src/protocol/record-batch.ts';

export interface ReadBack {
  records: DecodedRecord[];
  /** Codec ids of the batches read, in order. */
  codecs: number[];
  highWatermark: number;
}

/** Every record of `topic`/`partition` from offset 0 to the high watermark (asked again each time). */
export async function readPartition(cluster: Cluster, topic: string, partition: number, timeoutMs = 20_000): Promise<ReadBack> {
  const deadline = Date.now() + timeoutMs;
  const records: DecodedRecord[] = [];
  const codecs: number[] = [];
  let offset = 0;
  while (Date.now() < deadline) {
    const meta = await cluster.metadata([topic]);
    const topicId = meta.topics[0]!.topicId;
    const leader = await cluster.leaderFor(topic, partition);
    const answer = await cluster.request(leader, fetchApi, {
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      topics: [{ topic, topicId, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 * 1024 * 1024 }] }],
    });
    const p = answer.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) {
      cluster.invalidate(topic);
      continue;
    }
    const batches: DecodedBatch[] = p.records ? decodeBatches(p.records) : [];
    for (const b of batches) {
      codecs.push(b.header.attributes & 0x07);
      for (const r of b.records) if (r.offset >= offset) records.push(r);
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
    if (offset >= p.highWatermark) return { records, codecs, highWatermark: p.highWatermark };
  }
  throw new Error(`reading ${topic}/${partition} back did not reach the high watermark within ${timeoutMs} ms (at ${offset})`);
}

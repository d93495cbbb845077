// The end of a chaos run: every partition read from offset 0 to its high watermark from its
// current leader, control batches skipped. A read that fails (leadership moved, a broker
// restarting) starts over from a fresh view of the cluster, within a time bound.

import { RawClient } from '../../bench/lib/raw-client.ts';
import { decodeBatches } from '../../bench/lib/record-batch.ts';
import { KAFKA_PORT, withTimeout, type ChaosCluster } from './cluster.ts';
import type { FinalPartition, PolledRecord } from './history.ts';

/** One Fetch (or connect) may take this long before the read starts over. */
const REQUEST_TIMEOUT_MS = 10_000;
const FETCH_BYTES_MAX = 8 << 20;

/** Reads partition `partition` fully, retrying for at most `timeoutMs`; throws with the last error. */
export async function readPartition(cluster: ChaosCluster, topic: string, partition: number, timeoutMs: number): Promise<FinalPartition> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = new Error('no leader known');
  // Bounded by the deadline; each attempt waits at most REQUEST_TIMEOUT_MS per request.
  while (Date.now() < deadline) {
    const view = await cluster.view(topic);
    const leader = view?.leaders.get(partition) ?? -1;
    if (leader > 0) {
      try {
        return { partition, records: await readFrom(cluster.node(leader).ip, topic, partition, deadline) };
      } catch (err) {
        lastError = err;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${topic}-${partition} could not be read in full within ${timeoutMs} ms: ${(lastError as Error).message}`);
}

async function readFrom(host: string, topic: string, partition: number, deadline: number): Promise<PolledRecord[]> {
  const client = await withTimeout(
    RawClient.connect({ host, port: KAFKA_PORT, clientId: 'runnel-chaos-final-read', connectTimeoutMs: REQUEST_TIMEOUT_MS }),
    REQUEST_TIMEOUT_MS,
  );
  try {
    const out: PolledRecord[] = [];
    let offset = 0;
    let end: number | null = null;
    while (end === null || offset < end) {
      if (Date.now() > deadline) throw new Error(`deadline passed at offset ${offset} of ${end}`);
      const res = await withTimeout(client.fetch(topic, partition, offset, { maxWaitMs: 0, partitionMaxBytes: FETCH_BYTES_MAX }), REQUEST_TIMEOUT_MS);
      if (res.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}@${offset} answered error ${res.errorCode}`);
      // The end is fixed by the first answer: nothing is produced any more during the final read.
      if (end === null) end = res.highWatermark;
      const batches = decodeBatches(res.records);
      if (batches.length === 0 && offset < end) throw new Error(`Fetch ${topic}-${partition}@${offset} returned nothing below the high watermark ${end}`);
      for (const b of batches) {
        if (!b.crcValid) throw new Error(`batch at ${b.baseOffset} of ${topic}-${partition} has a bad CRC`);
        if (!b.isControl && b.compression !== 0) throw new Error(`batch at ${b.baseOffset} is compressed; the workload sends uncompressed batches`);
        if (!b.isControl) {
          for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        }
        offset = Math.max(offset, b.lastOffset + 1);
      }
    }
    return out;
  } finally {
    client.close();
  }
}

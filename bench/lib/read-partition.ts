// Reads one partition from offset 0 to its end with sequential fetches on one connection: the
// consume side of the throughput benchmarks.
import type { RawClient } from './raw-client.ts';
import { countRecords } from './record-batch.ts';

/** Records and bytes read from `partition` of `topic`, from 0 to its end at the start (or until `deadline`, a Date.now()). */
export async function readPartitionToEnd(client: RawClient, topic: string, partition: number, deadline: number): Promise<{ records: number; bytes: number }> {
  const end = (await client.listOffset(topic, partition, -1)).offset;
  let offset = 0;
  let records = 0;
  let bytes = 0;
  while (offset < end && Date.now() < deadline) {
    const res = await client.fetch(topic, partition, offset, { maxWaitMs: 100, partitionMaxBytes: 16 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
    if (res.errorCode !== 0) throw new Error(`fetch failed with error ${res.errorCode}`);
    const counted = countRecords(res.records);
    if (counted.lastOffset >= offset) {
      records += counted.records;
      bytes += counted.bytes;
      offset = counted.lastOffset + 1;
    }
  }
  return { records, bytes };
}

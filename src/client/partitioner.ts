// Choosing a partition for a record (issue 13). Keyed records go where the Java client, KafkaJS's
// default partitioner and librdkafka's `murmur2_random` put them: toPositive(murmur2(key)) %
// partitions, with murmur2 as in Kafka's org.apache.kafka.common.utils.Utils. Records without a
// key stick to one partition until its batch is closed, then move to another (KIP-480), so they
// fill batches instead of spreading one record per partition.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of `data` as a signed 32-bit integer, identical to Utils.murmur2 in the Java client. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  // The Java code falls through its switch: the tail's bytes 3, 2, 1 are mixed in, then one multiply.
  const rest = length & 3;
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's Utils.toPositive: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition of a keyed record: toPositive(murmur2(key)) % partitions. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}

/**
 * Where records without a key go: one partition per topic until `nextBatch` says its batch was
 * closed, then another one chosen at random (a different one when there are several).
 */
export class StickyPartitioner {
  private readonly current = new Map<string, number>();

  /** `random` returns a number in [0, 1); tests pass a seeded one. */
  constructor(private readonly random: () => number = Math.random) {}

  partition(topic: string, partitions: number): number {
    const p = this.current.get(topic);
    if (p !== undefined && p < partitions) return p;
    const chosen = Math.floor(this.random() * partitions);
    this.current.set(topic, chosen);
    return chosen;
  }

  /** The batch of `partition` was closed: the next record without a key of `topic` moves on. */
  nextBatch(topic: string, partition: number, partitions: number): void {
    if (this.current.get(topic) !== partition) return;
    if (partitions <= 1) return;
    const other = Math.floor(this.random() * (partitions - 1));
    this.current.set(topic, other >= partition ? other + 1 : other);
  }
}

// Where groups live: the internal topic __consumer_offsets, whose partition
// abs(javaHashCode(groupId)) % partitionCount holds a group's records. That partition's leader is
// the group's coordinator, so in cluster mode coordination fails over with the partition's Raft
// leadership, and FindCoordinator maps group ids to partitions exactly as Kafka does.

export const OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Partitions of __consumer_offsets when the broker creates it (Kafka's
 * offsets.topic.num.partitions is 50). It is read once, at creation: afterwards the topic's own
 * partition count decides, so changing this never moves existing groups.
 */
export const OFFSETS_TOPIC_PARTITIONS_DEFAULT = 16;

/** Segment size of __consumer_offsets: a snapshot lets whole segments below it go (Kafka: 100 MiB). */
export const OFFSETS_TOPIC_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Topics clients may read but never write, create or delete. */
export function isInternalTopic(name: string): boolean {
  return name === OFFSETS_TOPIC;
}

/** Java's String.hashCode over UTF-16 code units, as Kafka computes it for group ids. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs(groupId.hashCode) % partitionCount (Utils.abs maps MIN_VALUE to 0). */
export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  if (partitionCount < 1) throw new RangeError(`__consumer_offsets needs at least one partition (got ${partitionCount})`);
  const h = javaStringHash(groupId);
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitionCount;
}

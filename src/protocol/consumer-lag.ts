// A consumer group's lag on one partition, as kafka-consumer-groups.sh shows it: the high
// watermark minus the committed offset, never below 0, and unknown ("-") when the group has
// no committed offset there (Kafka's OffsetFetch answers -1) or the end is not known.
// The broker's /metrics and /v1/groups and the SDK's describeGroupsWithLag all use this one rule.

export function consumerLag(highWatermark: number | null | undefined, committedOffset: number): number | null {
  if (highWatermark === null || highWatermark === undefined || highWatermark < 0 || committedOffset < 0) return null;
  return Math.max(0, highWatermark - committedOffset);
}

// The "consumer" embedded protocol's subscription, which members send as JoinGroup protocol
// metadata. The broker does not need it to run a group (the leader assigns partitions), only to
// refuse OffsetDelete for topics a live group still consumes (GROUP_SUBSCRIBED_TO_TOPIC).
//
//   ConsumerProtocolSubscription => version INT16, [topics STRING], user_data BYTES, ... (v1+ adds
//   owned partitions, v2+ generation id, v3+ rack id; the topics always come first)

/** The topics of a consumer subscription, or [] when the metadata is not one we can read. */
export function consumerSubscriptionTopics(metadata: Buffer): string[] {
  try {
    let pos = 0;
    if (metadata.length < 6) return [];
    pos += 2; // version
    const count = metadata.readInt32BE(pos);
    pos += 4;
    if (count < 0 || count > metadata.length) return [];
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = metadata.readInt16BE(pos);
      pos += 2;
      if (n < 0 || pos + n > metadata.length) return [];
      topics.push(metadata.toString('utf8', pos, pos + n));
      pos += n;
    }
    return topics;
  } catch {
    return [];
  }
}

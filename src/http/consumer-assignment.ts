// The "consumer" embedded protocol's assignment, which a group's leader hands each member in
// SyncGroup, decoded for GET /v1/groups/:group (which partitions each member reads). The broker
// itself never needs it; anything it cannot read shows as no partitions.
//
//   ConsumerProtocolAssignment => version INT16, [assigned_partitions], user_data BYTES
//     assigned_partitions => topic STRING, [partitions INT32]

export interface AssignedTopic {
  topic: string;
  partitions: number[];
}

/** The partitions of an assignment, or [] when it is empty or not one we can read. */
export function consumerAssignment(data: Buffer): AssignedTopic[] {
  try {
    let pos = 2; // version
    const count = data.readInt32BE(pos);
    pos += 4;
    if (count < 0 || count * 6 > data.length) return [];
    const out: AssignedTopic[] = [];
    for (let i = 0; i < count; i++) {
      const n = data.readInt16BE(pos);
      pos += 2;
      if (n < 0 || pos + n > data.length) return [];
      const topic = data.toString('utf8', pos, pos + n);
      pos += n;
      const partitionCount = data.readInt32BE(pos);
      pos += 4;
      if (partitionCount < 0 || pos + partitionCount * 4 > data.length) return [];
      const partitions: number[] = [];
      for (let p = 0; p < partitionCount; p++, pos += 4) partitions.push(data.readInt32BE(pos));
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return [];
  }
}

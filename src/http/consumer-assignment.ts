// The "consumer" embedded protocol's assignment, which a group's leader hands each member in
// SyncGroup, decoded for GET /v1/groups/:group (which partitions each member reads) with the
// protocol's own codec (src/protocol/consumer-protocol.ts). The broker itself never needs it;
// anything it cannot read shows as no partitions, so one odd client cannot fail the route.

import { decodeAssignment, type TopicPartitions } from '../protocol/consumer-protocol.ts';

/** The partitions of an assignment, or [] when it is empty or not one we can read. */
export function consumerAssignment(data: Buffer): TopicPartitions {
  try {
    return decodeAssignment(data).assignedPartitions;
  } catch {
    return [];
  }
}

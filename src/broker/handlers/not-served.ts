// The error for a partition this broker does not serve: NOT_LEADER_OR_FOLLOWER when the partition
// exists (another broker leads it, or this one was just elected and does not know its high
// watermark yet; clients refresh metadata and retry), UNKNOWN_TOPIC_OR_PARTITION when it does not.

import type { BrokerServices } from '../services.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export function notServedError(services: BrokerServices, topic: string, partition: number): number {
  const known = services.controller.state.topic(topic);
  return known && partition >= 0 && partition < known.partitionCount ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

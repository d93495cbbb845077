// Kafka's RangeAssignor ("range"): topic by topic, the members subscribed to it, sorted by member
// id, get consecutive ranges of its partitions; the first (count % members) get one more.

import type { Assignor, AssignorMember } from './assignor.ts';
import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';
import { toTopicPartitions } from './assignor.ts';

export const rangeAssignor: Assignor = {
  name: 'range',
  rebalanceProtocol: 'EAGER',
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions> {
    const pairs = new Map<string, [string, number][]>(members.map((m) => [m.memberId, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = partitionCounts.get(topic) ?? 0;
      const subscribers = members
        .filter((m) => m.topics.includes(topic))
        .map((m) => m.memberId)
        .sort();
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      subscribers.forEach((memberId, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) pairs.get(memberId)!.push([topic, p]);
      });
    }
    return new Map([...pairs].map(([memberId, list]) => [memberId, toTopicPartitions(list)]));
  },
};

// What a partition assignor sees and returns. The group leader runs one (the protocol the
// coordinator chose among those every member offered, by its Kafka name) over every member's
// subscription and hands each member its share through SyncGroup.

import type { TopicPartitions } from '../../protocol/consumer-protocol.ts';

export interface AssignorMember {
  memberId: string;
  topics: string[];
  /** What the member owned when it joined (subscription v1+; KIP-429), in partition order. */
  ownedPartitions: TopicPartitions;
  /** The generation of those owned partitions (subscription v2+; -1 when unknown). */
  generationId: number;
}

export interface Assignor {
  /** Kafka's protocol name: "range", "cooperative-sticky" (members must agree on one). */
  readonly name: string;
  /** EAGER: a member revokes everything before it joins; COOPERATIVE: only what it is asked to give up (KIP-429). */
  readonly rebalanceProtocol: 'EAGER' | 'COOPERATIVE';
  /** Assigns the partitions of `partitionCounts` (topic → partition count) to the members; returns member id → partitions. */
  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions>;
}

/** A "topic:partition" key: partitions are compared and counted through it. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Groups (topic, partition) pairs into the wire shape, topics and partitions sorted so the result is deterministic. */
export function toTopicPartitions(pairs: Iterable<readonly [string, number]>): TopicPartitions {
  const byTopic = new Map<string, number[]>();
  for (const [topic, partition] of pairs) {
    const list = byTopic.get(topic);
    if (list) list.push(partition);
    else byTopic.set(topic, [partition]);
  }
  return [...byTopic.keys()].sort().map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

/** The (topic, partition) pairs of the wire shape. */
export function pairsOf(tps: TopicPartitions): [string, number][] {
  return tps.flatMap(({ topic, partitions }) => partitions.map((p): [string, number] => [topic, p]));
}

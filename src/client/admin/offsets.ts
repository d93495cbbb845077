// Partition offsets for the admin client: ListOffsets (earliest, latest, by timestamp) sent to
// each partition's leader, one request per leader, asked again after a leader moved.

import { listOffsets } from '../../protocol/apis/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { Cluster } from '../cluster.ts';
import { kafkaError } from '../errors.ts';
import { withRetries } from '../retry.ts';

/** ListOffsets' special timestamps. */
export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;

/** For each partition, the offset at `timestamp` (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP or ms; -1 when no record is that late). */
export async function offsetsAt(cluster: Cluster, topic: string, partitions: number[], timestamp: number): Promise<Map<number, number>> {
  return withRetries(
    cluster.limits,
    async () => {
      const byLeader = new Map<number, number[]>();
      for (const p of partitions) {
        const leader = await cluster.leaderFor(topic, p);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      const out = new Map<number, number>();
      await Promise.all(
        [...byLeader].map(async ([leader, ps]) => {
          const answer = await cluster.request(leader, listOffsets, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [{ name: topic, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp, currentLeaderEpoch: -1, maxNumOffsets: 1 })) }],
          });
          for (const p of answer.topics[0]?.partitions ?? []) {
            if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `ListOffsets ${topic}/${p.partitionIndex}`);
            out.set(p.partitionIndex, p.offset ?? p.oldStyleOffsets?.[0] ?? -1);
          }
        }),
      );
      return out;
    },
    () => cluster.invalidate(topic),
  );
}

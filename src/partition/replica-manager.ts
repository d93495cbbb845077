// The partitions a single node hosts (HostedReplicas keeps them in step with the metadata).
//
// On a single node every partition is led here with leader epoch 0. In cluster mode the partition
// Raft groups decide leadership (ClusterReplicaManager); `leaderOf` and `leaderEpoch` are the seam
// the handlers read.

import type { TopicRecord } from '../metadata/metadata-state.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import { Partition } from './partition.ts';
import { HostedReplicas, type HostedReplicasOptions } from './hosted-replicas.ts';
import { partitionKey } from './group-names.ts';
import type { LeaderView, Replicas } from './replicas.ts';

export type { LeaderView } from './replicas.ts';
export type ReplicaManagerOptions = HostedReplicasOptions;

export class ReplicaManager extends HostedReplicas<Partition> implements Replicas {
  protected open(topic: TopicRecord, index: number, log: PartitionLog): Partition {
    return new Partition(topic.name, index, log, this.options.flush.mode, this.producerOptions());
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.replicas.get(partitionKey(topic, index));
  }

  /** The only replica is the leader; its high watermark is the committed end. */
  committedReader(topic: string, index: number): Partition | undefined {
    return this.partition(topic, index);
  }

  leaderOf(topic: string, index: number): LeaderView {
    return this.replicas.has(partitionKey(topic, index))
      ? { leaderId: this.options.nodeId, leaderEpoch: 0, isr: [this.options.nodeId], epochSeen: 0 }
      : { leaderId: -1, leaderEpoch: -1, isr: [], epochSeen: -1 };
  }

  leaderEpoch(topic: string, index: number): number {
    return this.leaderOf(topic, index).leaderEpoch;
  }
}

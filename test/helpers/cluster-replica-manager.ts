// A ClusterReplicaManager with the settings the in-process cluster tests share (1 MiB segments,
// no retention, group flush, fast Raft timing), over a RaftHost the test made.

import type { Logger } from 'pino';
import type { RaftHost } from '../../src/raft-host/raft-host.ts';
import { Rng } from '../../src/raft/rng.ts';
import { ClusterReplicaManager } from '../../src/partition/cluster-replica-manager.ts';
import { MemoryReplicaRegistry, type ReplicaRegistry } from '../../src/partition/replica-identity.ts';

export function testReplicaManager(options: {
  nodeId: number;
  storageId: string;
  dataDir: string;
  host: RaftHost;
  logger: Logger;
  registry?: ReplicaRegistry;
}): ClusterReplicaManager {
  const rng = new Rng(options.nodeId);
  return new ClusterReplicaManager(
    {
      nodeId: options.nodeId,
      storageId: options.storageId,
      dataDir: options.dataDir,
      topicDefaults: { retentionMs: -1, retentionBytes: -1, segmentBytes: 1 << 20, maxMessageBytes: 1 << 20 },
      flush: { mode: 'group', intervalMs: 1000 },
      host: options.host,
      raft: { electionTicks: 10, heartbeatTicks: 1, checkQuorum: true },
      // Per node: equal election timeouts on every node split every vote between two candidates.
      random: () => rng.float(),
      registry: options.registry ?? new MemoryReplicaRegistry(),
    },
    options.logger,
  );
}

// A ClusterReplicaManager with the settings the in-process cluster tests share (1 MiB segments,
// no retention, group flush, fast Raft timing), over a RaftHost the test made.

import pino, { type Logger } from 'pino';
import { RaftHost } from '../../src/raft-host/raft-host.ts';
import { MetadataState } from '../../src/metadata/metadata-state.ts';
import type { MemoryHub } from '../../src/transport/memory.ts';
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

/** One in-process broker of a test cluster: a RaftHost on the hub, its replicas, its own metadata state. */
export interface InProcessBroker {
  id: number;
  host: RaftHost;
  replicas: ClusterReplicaManager;
  state: MetadataState;
}

/** Broker `id` of the brokers `ids` (all registered in its state), connected to the others through `hub`. */
export function inProcessBroker(
  hub: MemoryHub,
  id: number,
  ids: number[],
  dataDir: string,
  hostOptions: { isolateStorageFailures?: boolean } = {},
): InProcessBroker {
  const logger = pino({ level: 'silent' });
  const transport = hub.connect(
    id,
    ids.filter((p) => p !== id),
    `disk-${id}`,
  );
  const host = new RaftHost({ nodeId: id, transport, logger, tickMs: 5, ...hostOptions });
  const replicas = testReplicaManager({ nodeId: id, storageId: `disk-${id}`, dataDir, host, logger });
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const b of ids) state.apply({ type: 'registerBroker', broker: { nodeId: b, host: '127.0.0.1', port: 9000 + b, rack: null, storageId: `disk-${b}` } });
  return { id, host, replicas, state };
}

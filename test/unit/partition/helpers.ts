// Shared helpers for the partition tests.
import pino from 'pino';
import { ReplicaManager } from '../../../src/partition/replica-manager.ts';

/** A single-node ReplicaManager (node 1) over `dataDir`, 1 MiB segments, group commit. */
export function singleNodeReplicas(dataDir: string, logger = pino({ level: 'silent' })): ReplicaManager {
  return new ReplicaManager(
    {
      nodeId: 1,
      dataDir,
      topicDefaults: { retentionMs: -1, retentionBytes: -1, segmentBytes: 1 << 20, maxMessageBytes: 1 << 20 },
      flush: { mode: 'group', intervalMs: 1000 },
    },
    logger,
  );
}

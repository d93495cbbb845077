// Metadata-group brokers for unit tests: a MetadataGroup on file storage (MetadataLogStorage),
// driven by a RaftHost over the in-memory transport, wired as ClusterNode wires it.

import { join } from 'node:path';
import pino from 'pino';
import { Rng, type RaftNode } from '../../../src/raft/index.ts';
import type { Snapshot } from '../../../src/raft/types.ts';
import { logConfig } from '../../../src/storage/log-config.ts';
import type { MemoryHub, MemoryTransport } from '../../../src/transport/memory.ts';
import { RaftHost } from '../../../src/raft-host/raft-host.ts';
import { MetadataGroup, metadataGroupName } from '../../../src/controller/metadata-group.ts';
import { MetadataLogStorage, type MetadataSnapshotStore } from '../../../src/controller/metadata-log-storage.ts';
import type { MetadataState, TopicRecord } from '../../../src/metadata/metadata-state.ts';

export const silent = pino({ level: 'silent' });

/** The node store's snapshot row, in memory; survives a broker "restart" in the test. */
export class MemorySnapshotStore implements MetadataSnapshotStore {
  snapshot: Snapshot | undefined;
  saves = 0;
  load(): Snapshot | undefined {
    return this.snapshot && structuredClone(this.snapshot);
  }
  save(snapshot: Snapshot): void {
    this.snapshot = structuredClone(snapshot);
    this.saves++;
  }
}

export interface MetaBrokerOptions {
  /** Voters of the group (bootstrap configuration and the transport's peers). */
  voters: number[];
  /** Write the founding configuration (a new, empty storage). */
  bootstrap: boolean;
  snapshotEntries?: number;
  compactionOverhead?: number;
  /** Segment size of the metadata log (small, so compaction deletes segments in a short test). */
  segmentBytes?: number;
  /** The disk's storage id (a wiped disk gets a new one). */
  storageId?: string;
}

export interface MetaBroker {
  id: number;
  dir: string;
  transport: MemoryTransport;
  host: RaftHost;
  node: RaftNode;
  storage: MetadataLogStorage;
  group: MetadataGroup;
  store: MemorySnapshotStore;
  /** States handed to onRestored listeners (installed snapshots). */
  restored: MetadataState[];
  /** Indexes of the entries applied (in order), to see what a restart replayed. */
  appliedIndexes: number[];
  /** Commands handed to onApplied listeners (registered before the node started). */
  commandsHeard: number;
}

export function startMetaBroker(hub: MemoryHub, root: string, id: number, store: MemorySnapshotStore, options: MetaBrokerOptions): MetaBroker {
  const dir = join(root, `node${id}`);
  const storageId = options.storageId ?? `disk-${id}`;
  const storage = MetadataLogStorage.open(dir, store, {
    storageId,
    logger: silent,
    sendableBytesMax: 32 * 1024 * 1024,
    config: logConfig({ segmentBytes: options.segmentBytes ?? 1024 * 1024, retentionMs: -1, flush: { mode: 'none', intervalMs: 1000 } }),
  });
  if (options.bootstrap) storage.bootstrap({ voters: options.voters.map((v) => ({ id: v, storageId: `disk-${v}` })), learners: [] });
  const transport = hub.connect(
    id,
    options.voters.filter((o) => o !== id),
    storageId,
  );
  const host = new RaftHost({ nodeId: id, transport, logger: silent, tickMs: 5 });
  const group = new MetadataGroup({
    nodeId: id,
    clusterId: 'test-cluster',
    snapshot: storage.snapshot(),
    logger: silent,
    proposalTimeoutMs: 10_000,
    kick: () => host.kick(),
  });
  const appliedIndexes: number[] = [];
  const apply = group.apply.bind(group);
  group.apply = (entry) => {
    if (entry.index > group.appliedThrough) appliedIndexes.push(entry.index);
    apply(entry);
  };
  const restored: MetadataState[] = [];
  group.onRestored((state) => restored.push(state));
  const broker = { commandsHeard: 0 };
  group.onApplied(() => broker.commandsHeard++);
  const node = group.startNode(
    storage,
    { id, electionTicks: 10, heartbeatTicks: 1, snapshotEntries: options.snapshotEntries ?? 0, compactionOverhead: options.compactionOverhead ?? 0 },
    new Rng(id),
  );
  host.addGroup(metadataGroupName, node, storage, group);
  return Object.assign(broker, { id, dir, transport, host, node, storage, group, store, restored, appliedIndexes });
}

export async function stopMetaBroker(b: MetaBroker): Promise<void> {
  await b.host.close();
  await b.transport.close();
  await b.storage.close();
}

/** Ticks every broker's host (1 ms apart, so the hub delivers) until `check` holds. */
export { tickUntil as until } from '../../helpers/raft-ticks.ts';

export function topic(name: string, topicId = '0'.repeat(32)): TopicRecord {
  return { name, topicId, partitionCount: 1, replicationFactor: 3, configs: {}, assignments: [[1, 2, 3]], createdAtMs: 0 };
}

// What differs between a single-node broker and a cluster broker, as data: broker-node.ts wires
// the Kafka listener, the group coordinator, HTTP and the timers once, over a BrokerMode that
// brings the controller and the replicas, registers the broker, reports the cluster's part of
// the status and closes what it opened.

import type { Logger } from 'pino';
import type { RunnelConfig } from '../config/index.ts';
import type { NodeStore } from '../controller/node-store.ts';
import { MetadataState, type KafkaEndpoints } from '../metadata/metadata-state.ts';
import { LocalController } from '../controller/local-controller.ts';
import type { Controller } from '../metadata/controller.ts';
import { ClusterNode } from './cluster-node.ts';
import { ReplicaManager } from '../partition/replica-manager.ts';
import type { PartitionReplica, Replicas } from '../partition/replicas.ts';
import type { ClusterReplicaManager } from '../partition/cluster-replica-manager.ts';
import type { FlushMode } from '../partition/partition.ts';
import type { ProducerLimits } from '../partition/partition-producers.ts';
import type { TopicConfigDefaults } from '../metadata/topic-configs.ts';
import type { AdminOperations } from '../http/server.ts';
import type { GroupStatus } from '../raft-host/group-status.ts';
import type { RaftHostCounters } from '../raft-host/raft-host.ts';
import type { GroupCoordinator } from '../broker/group/coordinator.ts';
import { OFFSETS_TOPIC } from '../broker/group/offsets-topic.ts';
import type { OffsetsFollowers } from '../broker/group/offsets-follower.ts';

export interface BrokerMode {
  readonly kind: 'single' | 'cluster';
  readonly controller: Controller;
  readonly replicas: Replicas;
  /** The admin operations the HTTP server offers (none on a single node). */
  readonly adminOps: AdminOperations;
  /** Whether the group coordinator serves the groups of __consumer_offsets partition `index` here. */
  coordinates(index: number): boolean;
  /**
   * __consumer_offsets partition `index` as the group coordinator reads and writes it, when served
   * here: in cluster mode the replica itself, in log offsets, as its follower reads it (clients'
   * Fetch sees Kafka offsets: docs/storage.md, "Kafka offsets").
   */
  offsetsPartition(index: number): PartitionReplica | undefined;
  /** Hands the group coordinator to the mode once it is built and loaded. */
  attachGroups(groups: GroupCoordinator): void;
  /** Registers this broker's Kafka endpoints; in cluster mode starts the node and resolves once it is registered. */
  register(endpoint: KafkaEndpoints): Promise<void>;
  /** The peers connected to this broker and the Raft groups it hosts (none on a single node). */
  peers(): { connected: Set<number>; groups: GroupStatus[]; transport?: { bytesIn: number; bytesOut: number } };
  /** Cluster mode: where the Raft host counts fsyncs, elections and snapshots (GET /metrics). */
  countRaft?(counters: RaftHostCounters): void;
  /** Single node: where the partition logs report each group-commit fsync round (GET /metrics). */
  countLogSyncs?(observe: (seconds: number) => void): void;
  /** Called once this broker left the cluster (a completed leave); never on a single node. */
  onLeft(listener: () => void): void;
  /** Closes the replicas (through the cluster node in cluster mode). */
  close(): Promise<void>;
}

export interface BrokerModeOptions {
  config: RunnelConfig;
  store: NodeStore;
  storageId: string;
  clusterId: string;
  dataDir: string;
  topicDefaults: TopicConfigDefaults;
  flush: { mode: FlushMode; intervalMs: number };
  producers: ProducerLimits;
  offsetsFollowers: OffsetsFollowers;
  logger: Logger;
}

/** Single node: the metadata in SQLite (LocalController), partitions on local logs, opened before this resolves. */
export async function singleNodeMode(o: BrokerModeOptions): Promise<BrokerMode> {
  const nodeId = o.config.cluster.node_id;
  const state = new MetadataState(o.store.loadMetadata() ?? { clusterId: o.clusterId, brokers: [], topics: [] });
  // The logs open before /metrics exists (it needs the services), so they report through this.
  let observeSync: (seconds: number) => void = () => {};
  const local = new ReplicaManager(
    {
      nodeId,
      dataDir: o.dataDir,
      topicDefaults: o.topicDefaults,
      flush: o.flush,
      producers: o.producers,
      openOptions: () => ({ onSync: (seconds) => observeSync(seconds) }),
    },
    o.logger,
  );
  local.onOpen((partition) => {
    if (partition.topic === OFFSETS_TOPIC) o.offsetsFollowers.follow(partition.index, partition);
  });
  await local.start(state);
  const controller = new LocalController(state, o.store, o.logger, nodeId);
  controller.onApplied((command, applied) => local.onMetadata(command, applied));
  return {
    kind: 'single',
    controller,
    replicas: local,
    adminOps: {},
    coordinates: (index) => local.leaderOf(OFFSETS_TOPIC, index).leaderId === nodeId,
    offsetsPartition: (index) => local.partition(OFFSETS_TOPIC, index),
    attachGroups: () => undefined,
    register: async (endpoint) => {
      await controller.propose({ type: 'registerBroker', broker: { nodeId, ...endpoint, rack: null } });
    },
    peers: () => ({ connected: new Set(), groups: [] }),
    countLogSyncs: (observe) => {
      observeSync = observe;
    },
    onLeft: () => undefined,
    close: () => local.close(),
  };
}

/** Cluster mode: the metadata group and the partition groups of a ClusterNode; nothing runs until register(). */
export function clusterMode(o: BrokerModeOptions): BrokerMode {
  const { config, logger } = o;
  const nodeId = config.cluster.node_id;
  const cluster = ClusterNode.create({
    config,
    store: o.store,
    storageId: o.storageId,
    dataDir: o.dataDir,
    topicDefaults: o.topicDefaults,
    flush: o.flush,
    producers: o.producers,
    logger,
  });
  cluster.replicas.onOpen((replica) => {
    if (replica.topic === OFFSETS_TOPIC) replica.storage.attachState(o.offsetsFollowers.follow(replica.index, replica));
  });
  /** __consumer_offsets partitions led here whose groups are loaded. */
  const coordinating = new Set<number>();
  return {
    kind: 'cluster',
    controller: cluster.metadata,
    replicas: cluster.replicas,
    adminOps: {
      join: (address) => cluster.join(address),
      leave: (node, force) => cluster.leave(node, force),
      unsafeRecover: (request) => cluster.unsafeRecover(request),
    },
    coordinates: (index) => coordinating.has(index),
    offsetsPartition: (index) => cluster.replicas.servedReplica(OFFSETS_TOPIC, index),
    attachGroups: (groups) => followOffsetsLeadership(cluster.replicas, groups, coordinating, nodeId, logger),
    register: (endpoint) => cluster.run(endpoint),
    peers: () => ({
      connected: cluster.connectedPeers(),
      groups: cluster.groupStatuses(),
      transport: cluster.transport
        .peerStatus()
        .reduce((t, p) => ({ bytesIn: t.bytesIn + p.bytesIn, bytesOut: t.bytesOut + p.bytesOut }), { bytesIn: 0, bytesOut: 0 }),
    }),
    countRaft: (counters) => (cluster.host.counters = counters),
    onLeft: (listener) => cluster.onLeft(listener),
    close: () => cluster.close(),
  };
}

/**
 * Cluster mode: the group coordinator serves a __consumer_offsets partition while this broker
 * leads it. A new leader first waits until its high watermark covers its whole log (its first
 * entry of the term is committed, so every earlier entry is too: ReplicatedPartition.servesClients),
 * then replays the partition;
 * until then FindCoordinator points here but the group APIs answer "not coordinator" and
 * clients retry.
 */
function followOffsetsLeadership(replicas: ClusterReplicaManager, groups: GroupCoordinator, coordinating: Set<number>, nodeId: number, logger: Logger): void {
  replicas.onLeadership((replica, leader) => {
    if (replica.topic !== OFFSETS_TOPIC) return;
    const index = replica.index;
    if (leader !== nodeId) {
      if (coordinating.delete(index)) groups.unloadPartition(index);
      return;
    }
    if (coordinating.has(index)) return;
    const tryLoad = (): boolean => {
      if (!replica.isLeader) return true;
      if (!replica.servesClients) return false;
      coordinating.add(index);
      // Loads over event-loop turns when the state lags; the groups answer
      // COORDINATOR_LOAD_IN_PROGRESS until it finishes.
      groups.loadPartition(index).catch((err: unknown) => {
        coordinating.delete(index);
        logger.error({ err, partition: `${OFFSETS_TOPIC}-${index}` }, 'loading consumer groups failed');
      });
      return true;
    };
    if (tryLoad()) return;
    const unsubscribe = replica.onAdvance(() => {
      if (tryLoad()) unsubscribe();
    });
  });
}

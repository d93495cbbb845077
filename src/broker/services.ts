// What the Kafka API handlers may use of the broker: its identity, the metadata (through the
// controller) and the partition replicas. Handlers get this object and nothing else, which keeps
// them testable with an in-memory broker.

import type { Logger } from 'pino';
import type { Controller } from '../metadata/controller.ts';
import type { BrokerEndpoint } from '../metadata/metadata-state.ts';
import type { Replicas } from '../partition/replicas.ts';
import type { TopicConfigDefaults } from '../metadata/topic-configs.ts';
import type { GroupCoordinator } from './group/coordinator.ts';
import type { ProducerIdAllocator } from '../partition/producer-id-allocator.ts';
import type { BrokerCounters } from './broker-counters.ts';
import type { Authorizer } from './authorizer.ts';

export interface BrokerLimits {
  frameBytesMax: number;
  batchBytesMax: number;
  /** What the broker decompresses one batch's records to at most (ListOffsets by timestamp). */
  uncompressedBatchBytesMax: number;
  inflightRequestsMax: number;
  connectionsMax: number;
  fetchWaitMsMax: number;
  fetchBytesMax: number;
  /** Incremental fetch sessions (KIP-227) this broker keeps at most; 0 turns them off. */
  fetchSessionSlotsMax: number;
  /** How long a fetch session must be idle before a new one may evict it. */
  fetchSessionEvictionMs: number;
  topicPartitionsMax: number;
  /** How long an idempotent Produce waits for its partition's producer state to load (also capped by the request's timeout). */
  producerStateWaitMsMax: number;
}

export interface BrokerServices {
  nodeId: number;
  /** The broker's data directory, absolute (DescribeLogDirs). */
  dataDir: string;
  /** The cluster's id from the applied metadata ('' until a new cluster is named). */
  readonly clusterId: string;
  /** This broker's advertised endpoint per listener; ports are set once the listeners are bound (port 0: the OS chooses). */
  listeners: BrokerEndpoint[];
  autoCreateTopics: boolean;
  defaultPartitions: number;
  defaultReplicationFactor: number;
  topicDefaults: TopicConfigDefaults;
  limits: BrokerLimits;
  controller: Controller;
  replicas: Replicas;
  /** Consumer groups and committed offsets of the __consumer_offsets partitions led here. */
  groups: GroupCoordinator;
  /** Producer ids for InitProducerId (KIP-98). */
  producerIds: ProducerIdAllocator;
  logger: Logger;
  /** Broker-level settings shown by DescribeConfigs for resource type BROKER. */
  brokerConfigs: Record<string, string>;
  /** Who may do what (ACLs); always present, allowing everything when authorizer.enabled is false. */
  authorizer: Authorizer;
  /** Records in and out per topic for GET /metrics; absent: nothing counts them. */
  counters?: BrokerCounters;
}

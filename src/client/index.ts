// The `runnel` package's library entry (issue 13): the SDK's public API. Everything a user
// imports comes from here; files under src/client are free to move behind it.

export { Cluster, type BrokerInfo, type ClusterMetadata, type ClusterOptions, type PartitionInfo, type TopicInfo } from './cluster.ts';
export { ConnectionError, type ConnectionLimits } from './connection.ts';
export type { ConnectionSecurity, SaslOptions, SslOptions } from './security.ts';
export { ErrorCode, isRetriable, KafkaError, kafkaError } from './errors.ts';
export { backoffMs, type ClientLimits, defaultClientLimits, resolveLimits } from './limits.ts';
export { keyPartition, murmur2, StickyPartitioner, toPositive } from './partitioner.ts';
export { type Acks, Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer/producer.ts';
export {
  Admin,
  type AdminOptions,
  type ClusterDescription,
  type ConfigChange,
  type ConfigEntry,
  type ConfigResource,
  type GroupDescription,
  type GroupListing,
  type NewTopic,
  type ResetTarget,
  type TopicDescription,
} from './admin/admin.ts';
export type { GroupMember, PartitionLag } from './admin/groups.ts';
export {
  type AssignorName,
  assignorNames,
  type AutoOffsetReset,
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type RebalanceListeners,
  type TopicPartition,
  type TopicPartitions,
} from './consumer/index.ts';
export { isRetriableError, withRetries } from './retry.ts';

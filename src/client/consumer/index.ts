// The consumer's public API, for src/client/index.ts (the package entry) to re-export.
export {
  type AssignorName,
  assignorNames,
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type AutoOffsetReset,
  type TopicPartition,
} from './consumer.ts';
export type { RebalanceListeners } from './group-session.ts';
export type { TopicPartitions } from '../../protocol/consumer-protocol.ts';

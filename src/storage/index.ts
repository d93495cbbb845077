// The storage layer's public surface (docs/storage.md).
export { PartitionLog } from './partition-log.ts';
export { MemoryLog } from './memory-log.ts';
export { LogManager, type LogManagerOptions, type PartitionKey } from './log-manager.ts';
export { OffsetOutOfRangeError, LogCorruptionError, LogDamagedError, LogFailedError, type LogDamage } from './errors.ts';
export { DEFAULT_LOG_CONFIG, SILENT_LOGGER, logConfig, validateLogConfig, type FlushMode, type LogConfig, type LogLike } from './log-config.ts';
export type { AppendResult, Log, ReadResult, RetentionResult } from './log.ts';
export { isValidTopicName, parsePartitionDirName, partitionDirName } from './file-names.ts';

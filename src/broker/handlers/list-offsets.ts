// ListOffsets (key 2): the earliest, the latest, or the first offset at or after a timestamp.
//
//   ListOffsetsRequest => replica_id isolation_level(v2+) [topics]
//     topics => name [partitions]
//       partitions => partition_index current_leader_epoch(v4+) timestamp max_num_offsets(v0)
//   ListOffsetsResponse => throttle_time_ms(v2+) [topics]
//     topics => name [partitions]
//       partitions => partition_index error_code old_style_offsets(v0) timestamp(v1+) offset(v1+)
//           leader_epoch(v4+)
//
// Special timestamps: -1 latest (the high watermark), -2 earliest (the log start offset), -3 the
// first record with the largest timestamp (v7+, KIP-734), -4 the earliest offset of the local log
// (v8+, KIP-405): without tiered storage every record is local, so that is the log start offset. Only committed records (below the high
// watermark) count. A timestamp finds the record inside a compressed batch too
// (src/partition/timestamp-lookup.ts); a batch too large or too broken to decompress answers its
// first offset, logged once a minute per partition.

import { ErrorCode } from '../../protocol/errors.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { notServedError } from './not-served.ts';
import type { PartitionReplica } from '../../partition/replicas.ts';
import { findMaxTimestamp, findOffsetForTimestamp, type TimestampHit } from '../../partition/timestamp-lookup.ts';
import { LogOnce } from '../../log/index.ts';
import { listOffsets, type ListOffsetsRequest, type ListOffsetsResponse } from '../../protocol/apis/list-offsets.ts';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
export const EARLIEST_LOCAL_TIMESTAMP = -4;

export function listOffsetsHandler(services: BrokerServices): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  const imprecise = new LogOnce(services.logger, { intervalMs: 60_000 });
  const uncompressedBytesMax = services.limits.uncompressedBatchBytesMax;
  return {
    api: listOffsets,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    handle(request, context) {
      const version = context.apiVersion;
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          // ACLs: DESCRIBE on the topic, as Kafka.
          if (!services.authorizer.check(context.session, 'DESCRIBE', 'TOPIC', t.name)) {
            return answer(version, p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1, -1);
          }
          const partition = services.replicas.partition(t.name, p.partitionIndex);
          if (!partition) return answer(version, p.partitionIndex, notServedError(services, t.name, p.partitionIndex), -1, -1, -1);
          const epoch = services.replicas.leaderEpoch(t.name, p.partitionIndex);
          const found = lookup(partition, p.timestamp, version, uncompressedBytesMax);
          if (typeof found !== 'number' && found.imprecise !== undefined) {
            imprecise.log(
              'warn',
              `${t.name}-${p.partitionIndex}`,
              { topic: t.name, partition: p.partitionIndex, offset: found.offset },
              `ListOffsets by timestamp answers a batch's first offset: ${found.imprecise}`,
            );
          }
          if (typeof found === 'number') return answer(version, p.partitionIndex, found, -1, -1, -1);
          return answer(version, p.partitionIndex, ErrorCode.NONE, found.timestamp, found.offset, epoch);
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}

/** Returns the offset and timestamp to answer, or a Kafka error code. */
function lookup(partition: PartitionReplica, timestamp: number, version: number, uncompressedBytesMax: number): TimestampHit | number {
  const hw = partition.highWatermark;
  if (timestamp === LATEST_TIMESTAMP) return { offset: hw, timestamp: -1 };
  if (timestamp === EARLIEST_TIMESTAMP) return { offset: partition.logStartOffset, timestamp: -1 };
  if (timestamp === EARLIEST_LOCAL_TIMESTAMP) {
    if (version < 8) return ErrorCode.UNSUPPORTED_VERSION;
    return { offset: partition.logStartOffset, timestamp: -1 };
  }
  if (timestamp === MAX_TIMESTAMP) {
    if (version < 7) return ErrorCode.UNSUPPORTED_VERSION;
    return findMaxTimestamp(partition.log, hw, uncompressedBytesMax) ?? { offset: -1, timestamp: -1 };
  }
  if (timestamp < 0) return ErrorCode.INVALID_REQUEST;
  // No record at or after the timestamp: Kafka answers offset -1 (v1+), which clients read as "none".
  return findOffsetForTimestamp(partition.log, timestamp, hw, uncompressedBytesMax) ?? { offset: -1, timestamp: -1 };
}

function answer(
  version: number,
  partitionIndex: number,
  errorCode: number,
  timestamp: number,
  offset: number,
  leaderEpoch: number,
): ListOffsetsResponse['topics'][number]['partitions'][number] {
  return {
    partitionIndex,
    errorCode,
    // v0 answers with a list of offsets; the only one we give is the one v1+ would give.
    oldStyleOffsets: version === 0 && errorCode === ErrorCode.NONE && offset >= 0 ? [offset] : [],
    timestamp,
    offset,
    leaderEpoch,
  };
}

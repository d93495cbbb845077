// DeleteRecords (key 21): move a partition's log start offset forward.
//
//   DeleteRecordsRequest => [topics] timeout_ms
//     topics => name [partitions]
//       partitions => partition_index offset        (offset -1 = the high watermark)
//   DeleteRecordsResponse => throttle_time_ms [topics]
//     topics => name [partitions]
//       partitions => partition_index low_watermark error_code

import { DeleteRecordsUnsupportedError } from '../../partition/replicas.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { LogDamagedError } from '../../storage/errors.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { notServedError } from './not-served.ts';
import { isInternalTopic } from '../group/offsets-topic.ts';
import { deleteRecords, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/apis/delete-records.ts';

export function deleteRecordsHandler(services: BrokerServices): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  return {
    api: deleteRecords,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    handle(request) {
      const topics = request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          // The coordinator trims __consumer_offsets itself, below its last snapshot only.
          if (isInternalTopic(t.name)) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
          const partition = services.replicas.partition(t.name, p.partitionIndex);
          if (!partition) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: notServedError(services, t.name, p.partitionIndex) };
          const hw = partition.highWatermark;
          const offset = p.offset === -1 ? hw : p.offset;
          // Records above the high watermark are not committed yet; Kafka refuses to delete them.
          if (offset < 0 || offset > hw) {
            return { partitionIndex: p.partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          }
          if (offset > partition.logStartOffset) {
            try {
              partition.deleteRecordsBefore(offset);
            } catch (err) {
              // A log with damaged synced data is read-only (docs/storage.md, "Recovery").
              if (err instanceof LogDamagedError)
                return { partitionIndex: p.partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
              // Cluster mode: moving the log start is not replicated yet (docs/cluster.md).
              if (!(err instanceof DeleteRecordsUnsupportedError)) throw err;
              return { partitionIndex: p.partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.POLICY_VIOLATION };
            }
            services.logger.info({ topic: t.name, partition: p.partitionIndex, logStartOffset: offset }, 'records deleted');
          }
          return { partitionIndex: p.partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.NONE };
        }),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}

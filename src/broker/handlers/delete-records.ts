// DeleteRecords (key 21): move a partition's log start offset forward (KIP-107).
//
//   DeleteRecordsRequest => [topics] timeout_ms
//     topics => name [partitions]
//       partitions => partition_index offset        (offset -1 = the high watermark)
//   DeleteRecordsResponse => throttle_time_ms [topics]
//     topics => name [partitions]
//       partitions => partition_index low_watermark error_code
//
// In cluster mode the leader replicates the move through the partition's Raft group and answers
// once it is applied here (replicated-partition.ts), within timeout_ms (else REQUEST_TIMED_OUT,
// as Kafka's purgatory does); the low watermark is then this leader's log start.

import { ErrorCode } from '../../protocol/errors.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { notServedError } from './not-served.ts';
import { isInternalTopic } from '../group/offsets-topic.ts';
import { deleteRecords, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/apis/delete-records.ts';
import { appendErrorCode, withTimeout } from './replica-wait.ts';

type PartitionAnswer = DeleteRecordsResponse['topics'][number]['partitions'][number];

export function deleteRecordsHandler(services: BrokerServices): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  async function trim(topic: string, partitionIndex: number, requested: number, timeoutMs: number): Promise<PartitionAnswer> {
    // The coordinator trims __consumer_offsets itself, below its last snapshot only.
    if (isInternalTopic(topic)) return { partitionIndex, lowWatermark: -1, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
    const partition = services.replicas.partition(topic, partitionIndex);
    if (!partition) return { partitionIndex, lowWatermark: -1, errorCode: notServedError(services, topic, partitionIndex) };
    const hw = partition.highWatermark;
    const offset = requested === -1 ? hw : requested;
    // Records above the high watermark are not committed yet; Kafka refuses to delete them.
    if (offset < 0 || offset > hw) return { partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    if (offset <= partition.logStartOffset) return { partitionIndex, lowWatermark: partition.logStartOffset, errorCode: ErrorCode.NONE };
    let errorCode: number = ErrorCode.NONE;
    try {
      if (await withTimeout(partition.deleteRecords(offset), timeoutMs)) errorCode = ErrorCode.REQUEST_TIMED_OUT;
    } catch (err) {
      // A log with damaged synced data is read-only (docs/storage.md, "Recovery"): a storage error too.
      errorCode = appendErrorCode(err);
      services.logger.warn({ topic, partition: partitionIndex, offset, err: String(err) }, 'DeleteRecords failed');
    }
    if (errorCode === ErrorCode.NONE) services.logger.info({ topic, partition: partitionIndex, logStartOffset: offset }, 'records deleted');
    return { partitionIndex, lowWatermark: partition.logStartOffset, errorCode };
  }

  return {
    api: deleteRecords,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    async handle(request, context) {
      const topics = await Promise.all(
        request.topics.map(async (t) => {
          // ACLs: DELETE on the topic, as Kafka.
          if (!services.authorizer.check(context.session, 'DELETE', 'TOPIC', t.name)) {
            return {
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
            };
          }
          return { name: t.name, partitions: await Promise.all(t.partitions.map((p) => trim(t.name, p.partitionIndex, p.offset, request.timeoutMs))) };
        }),
      );
      return { throttleTimeMs: 0, topics };
    },
  };
}

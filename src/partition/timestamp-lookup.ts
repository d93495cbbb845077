// ListOffsets by timestamp: the first committed record whose timestamp is at or after a target.
//
// The log's time index finds the first batch whose max timestamp reaches the target; Kafka then
// looks inside that batch for the first record that does. We do the same for uncompressed and gzip
// batches. For batches in other codecs (snappy, lz4, zstd), which the broker never decompresses, we
// answer the batch's first offset: the consumer reads from there and skips the few earlier records
// itself, so nothing is missed, at the cost of precision within one batch.

import { COMPRESSION_GZIP, COMPRESSION_NONE, compressionOf, decodeRecords, readBatchHeader } from '../protocol/record-batch.ts';
import type { Log } from '../storage/log.ts';

export interface TimestampHit {
  offset: number;
  timestamp: number;
}

export function findOffsetForTimestamp(log: Log, timestamp: number, hw: number): TimestampHit | null {
  const found = log.offsetForTimestamp(timestamp);
  if (!found || found.offset >= hw) return null;
  const { records } = log.read(found.offset, 1, hw);
  if (records.length === 0) return null;
  const header = readBatchHeader(records, 0);
  const codec = compressionOf(header.attributes);
  if (codec !== COMPRESSION_NONE && codec !== COMPRESSION_GZIP) {
    return { offset: Math.max(header.baseOffset, found.offset), timestamp: header.maxTimestamp };
  }
  for (const record of decodeRecords(records.subarray(0, 12 + header.batchLength))) {
    if (record.offset >= found.offset && record.offset < hw && record.timestamp >= timestamp) {
      return { offset: record.offset, timestamp: record.timestamp };
    }
  }
  return null;
}

/**
 * ListOffsets MAX_TIMESTAMP (-3, KIP-734): the first committed record carrying the largest
 * timestamp. The segments keep their maxima, so this costs one lookup, not a scan. When the
 * largest timestamp sits above the high watermark (not yet committed), the answer is "none"
 * rather than a smaller committed maximum, which would need a scan.
 */
export function findMaxTimestamp(log: Log, hw: number): TimestampHit | null {
  const max = log.maxTimestamp();
  return max < 0 ? null : findOffsetForTimestamp(log, max, hw);
}

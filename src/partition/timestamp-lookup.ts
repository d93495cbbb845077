// ListOffsets by timestamp: the first committed record whose timestamp is at or after a target.
//
// The log's time index finds the first batch whose max timestamp reaches the target; Kafka then
// looks inside that batch for the first record that does, decompressing it when it is
// compressed. We do the same in all four codecs (src/protocol/compression.ts), reading only
// each record's offset and timestamp. Decompression is bounded: when the batch's records could
// decompress to more than `uncompressedBytesMax` (limits.max_uncompressed_batch_bytes), or the
// batch is corrupt, the answer is the batch's first offset, marked imprecise for the caller to
// log. That answer is still safe: a consumer reading from there skips the few earlier records
// itself, so nothing is missed.

import { DecompressError, DecompressLimitError } from '../protocol/compression.ts';
import { findRecordTime, LOG_OVERHEAD_BYTES, readBatchHeader } from '../protocol/record-batch.ts';
import type { ClientLog } from './replicas.ts';

export interface TimestampHit {
  offset: number;
  timestamp: number;
  /** Set when the batch could not be looked into: why the answer is its first offset. */
  imprecise?: string;
}

export function findOffsetForTimestamp(log: ClientLog, timestamp: number, hw: number, uncompressedBytesMax: number): TimestampHit | null {
  const found = log.offsetForTimestamp(timestamp);
  if (!found || found.offset >= hw) return null;
  const { records } = log.read(found.offset, 1, hw);
  if (records.length === 0) return null;
  const header = readBatchHeader(records, 0);
  const batch = records.subarray(0, LOG_OVERHEAD_BYTES + header.batchLength);
  try {
    const hit = findRecordTime(batch, uncompressedBytesMax, (r) => r.offset >= found.offset && r.offset < hw && r.timestamp >= timestamp);
    return hit === null ? null : { offset: hit.offset, timestamp: hit.timestamp };
  } catch (error) {
    if (!(error instanceof DecompressLimitError || error instanceof DecompressError || error instanceof RangeError)) throw error;
    return {
      offset: Math.max(header.baseOffset, found.offset),
      timestamp: header.maxTimestamp,
      imprecise: `the batch at offset ${header.baseOffset} was not looked into: ${error.message}`,
    };
  }
}

/**
 * ListOffsets MAX_TIMESTAMP (-3, KIP-734): the first committed record carrying the largest
 * timestamp. The segments keep their maxima, so this costs one lookup, not a scan. When the
 * largest timestamp sits above the high watermark (not yet committed), the answer is "none"
 * rather than a smaller committed maximum, which would need a scan.
 */
export function findMaxTimestamp(log: ClientLog, hw: number, uncompressedBytesMax: number): TimestampHit | null {
  const max = log.maxTimestamp();
  return max < 0 ? null : findOffsetForTimestamp(log, max, hw, uncompressedBytesMax);
}

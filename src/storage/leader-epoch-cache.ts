// Kafka's leader-epoch cache (LeaderEpochFileCache, KIP-101/KIP-279) over a log's terms: which
// epoch (here the Raft term, stamped as partitionLeaderEpoch) wrote which offsets, for
// OffsetForLeaderEpoch (KIP-320: a consumer that saw records of epoch E asks where E ended, and
// detects a truncated log when that is below its position).
//
// Kafka keeps an epoch only once a batch of it is appended (the current leader's from the moment
// it leads); assigning an epoch at an offset removes the entries that start at or after it, and
// a moved log start moves the first entry's start; a new leader assigns its epoch at the log end
// before it appends anything. The same list comes from the log's terms in client offsets: the
// current epoch added at the log end if the log holds none of it yet, starts clamped to the log
// start, and an epoch whose start equals the next one's (it wrote nothing clients see:
// Raft-only batches, or records deleted below the log start) dropped, except the newest.

import type { EpochStart } from './log.ts';

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/** A log as the cache is built from it, in log offsets. */
export interface EpochSource {
  leaderEpochs(): EpochStart[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

/**
 * The leader-epoch cache of a log in client offsets, `currentEpoch` being the epoch of the leader
 * it serves under; `toClient` maps a log offset to the offset clients see (the identity, or Kafka
 * offsets in cluster mode).
 */
export function leaderEpochCache(log: EpochSource, currentEpoch: number, toClient: (logOffset: number) => number = (o) => o): EpochStart[] {
  const starts = log.leaderEpochs();
  if (currentEpoch >= 0 && (starts.length === 0 || starts[starts.length - 1].epoch < currentEpoch)) {
    starts.push({ epoch: currentEpoch, startOffset: log.logEndOffset });
  }
  const mapped = starts.map((s) => ({ epoch: s.epoch, startOffset: toClient(Math.max(s.startOffset, log.logStartOffset)) }));
  const out: EpochStart[] = [];
  for (let i = 0; i < mapped.length; i++) {
    const next = mapped[i + 1];
    if (next === undefined || next.startOffset > mapped[i].startOffset) out.push(mapped[i]);
  }
  return out;
}

/**
 * LeaderEpochFileCache.endOffsetFor: the largest epoch at or below `requested` and the offset
 * where it ended (the start of the next higher epoch, or `logEndOffset` for the newest). Kafka's
 * answers: an undefined request, or one above every known epoch, gets (-1, -1); one below every
 * known epoch gets (requested, start of the first epoch).
 */
export function endOffsetForEpoch(cache: readonly EpochStart[], requested: number, logEndOffset: number): { leaderEpoch: number; endOffset: number } {
  const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  if (requested === UNDEFINED_EPOCH || cache.length === 0) return undefinedAnswer;
  const latest = cache[cache.length - 1];
  if (latest.epoch === requested) return { leaderEpoch: requested, endOffset: logEndOffset };
  // The first entry with an epoch above the requested one (binary search: epochs ascend).
  let lo = 0;
  let hi = cache.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cache[mid].epoch > requested) hi = mid;
    else lo = mid + 1;
  }
  if (lo === cache.length) return undefinedAnswer;
  const higher = cache[lo];
  if (lo === 0) return { leaderEpoch: requested, endOffset: higher.startOffset };
  return { leaderEpoch: cache[lo - 1].epoch, endOffset: higher.startOffset };
}

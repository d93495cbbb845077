// The topic configs a Produce honours, beyond the batch checks of record-batch.ts:
// max.message.bytes (the size limit), min.insync.replicas (acks=all), message.timestamp.type
// (LogAppendTime stamps) and the CreateTime bounds (message.timestamp.before/after/difference.max.ms).

import { ErrorCode } from '../protocol/errors.ts';
import { findRecordTime, stampLogAppendTime, type BatchView } from '../protocol/record-batch.ts';
import { DecompressError, DecompressLimitError } from '../protocol/compression.ts';
import { effectiveTopicConfig, type DynamicBrokerConfigs, type EffectiveTopicConfig } from '../metadata/topic-configs.ts';
import type { TopicRecord } from '../metadata/metadata-state.ts';
import type { BrokerServices } from './services.ts';

/** Topics whose effective config is kept; past this the cache starts over (deleted topics leave entries). */
const CACHED_TOPICS_MAX = 10_000;

/**
 * Each topic's effective config, computed again only when its overrides or the dynamic broker
 * configs changed (the metadata replaces those records on every change), not on every Produce.
 */
export class EffectiveConfigs {
  private readonly cache = new Map<string, { configs: object; node: object; cluster: object; effective: EffectiveTopicConfig }>();
  private readonly services: BrokerServices;

  constructor(services: BrokerServices) {
    this.services = services;
  }

  of(topic: TopicRecord): EffectiveTopicConfig {
    const dynamic: DynamicBrokerConfigs = this.services.controller.state.dynamicBrokerConfigs(this.services.nodeId);
    const hit = this.cache.get(topic.name);
    if (hit && hit.configs === topic.configs && hit.node === dynamic.node && hit.cluster === dynamic.cluster) return hit.effective;
    const effective = effectiveTopicConfig(topic.configs, this.services.topicDefaults, dynamic);
    if (this.cache.size >= CACHED_TOPICS_MAX && !hit) this.cache.clear();
    this.cache.set(topic.name, { configs: topic.configs, node: dynamic.node, cluster: dynamic.cluster, effective });
    return effective;
  }
}

export type ConfigRefusal = { errorCode: number; message: string };

/** min.insync.replicas: an acks=all write needs that many replicas in sync (Kafka's ISR). */
export function minInsyncRefusal(services: BrokerServices, topic: string, index: number, acks: number, config: EffectiveTopicConfig): ConfigRefusal | null {
  if (acks !== -1 || config.minInsyncReplicas <= 1) return null;
  const inSync = services.replicas.leaderOf(topic, index).isr.length;
  if (inSync >= config.minInsyncReplicas) return null;
  return {
    errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
    message: `${inSync} replica(s) in sync, fewer than min.insync.replicas (${config.minInsyncReplicas}) that acks=all needs`,
  };
}

/**
 * LogAppendTime: stamps every batch with `nowMs`. CreateTime: refuses a batch with a record
 * timestamp outside [now - before.max.ms, now + after.max.ms] (INVALID_TIMESTAMP), reading each
 * record's timestamp, decompressed when needed (bounded by limits.max_uncompressed_batch_bytes),
 * as Kafka's LogValidator does; nothing is read when no bound is set.
 */
export function applyTimestampConfig(
  batches: readonly BatchView[],
  config: EffectiveTopicConfig,
  nowMs: number,
  uncompressedBytesMax: number,
): ConfigRefusal | null {
  if (config.logAppendTime) {
    for (const batch of batches) stampLogAppendTime(batch, nowMs);
    return null;
  }
  const before = config.timestampBeforeMaxMs;
  const after = config.timestampAfterMaxMs;
  if (before === Infinity && after === Infinity) return null;
  for (const batch of batches) {
    let bad;
    try {
      bad = findRecordTime(batch.buf, uncompressedBytesMax, (r) => nowMs - r.timestamp > before || r.timestamp - nowMs > after);
    } catch (err) {
      if (!(err instanceof DecompressError || err instanceof DecompressLimitError || err instanceof RangeError)) throw err;
      return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `record timestamps could not be read to check them: ${(err as Error).message}` };
    }
    if (bad !== null) {
      return {
        errorCode: ErrorCode.INVALID_TIMESTAMP,
        message: `timestamp ${bad.timestamp} of the record at offset delta ${bad.offset - batch.baseOffset} is out of range: it must be within [${before === Infinity ? '-inf' : nowMs - before}, ${after === Infinity ? '+inf' : nowMs + after}] (message.timestamp.*.max.ms)`,
      };
    }
  }
  return null;
}

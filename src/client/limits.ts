// Every limit of the SDK in one place (issue 13). Each one bounds something that would
// otherwise grow or wait without end; units are last in the names. Users pass a partial set
// (`limits: { lingerMs: 0 }`) and resolveLimits checks it, naming the field that is wrong.

import { type ConnectionLimits, defaultConnectionLimits } from './connection.ts';

export interface ClientLimits extends ConnectionLimits {
  /** Cached metadata older than this is fetched again before use (Kafka's metadata.max.age.ms). */
  metadataMaxAgeMs: number;
  /** The first wait before reconnecting to a broker that failed, and before a retry. */
  retryBackoffMsMin: number;
  /** The wait doubles after each failure in a row up to this (Kafka's reconnect.backoff.max.ms). */
  retryBackoffMsMax: number;
  /** Admin and lookups: tries of a request that failed with a retriable error (coordinator moved, leader election), backoff between. */
  requestAttemptsMax: number;
  /** Producer: bytes of records waiting to be sent or acknowledged; `send` waits above it. */
  bufferBytesMax: number;
  /** Producer: how long a batch that is not full waits for more records. */
  lingerMs: number;
  /** Producer: the largest record batch, in encoded record bytes. */
  batchBytesMax: number;
  /** Producer: Produce requests in flight per partition (idempotence allows at most 5). */
  inflightBatchesPerPartitionMax: number;
  /** Producer: how long a record may take from `send` to acknowledgement, retries included. */
  deliveryTimeoutMs: number;
  /** Consumer: record bytes fetched ahead and not yet handed to the application, per partition; fetching pauses above it. */
  prefetchBytesPerPartitionMax: number;
  /** Consumer: the most record bytes one Fetch answer may carry (its maxBytes); below responseBytesMax. */
  fetchBytesMax: number;
  /** Consumer: how long a broker may hold a Fetch when it has no new records (its maxWaitMs). */
  fetchWaitMsMax: number;
}

export const defaultClientLimits: ClientLimits = {
  ...defaultConnectionLimits,
  metadataMaxAgeMs: 300_000,
  retryBackoffMsMin: 100,
  retryBackoffMsMax: 1_000,
  requestAttemptsMax: 5,
  bufferBytesMax: 32 * 1024 * 1024,
  lingerMs: 5,
  batchBytesMax: 1024 * 1024,
  inflightBatchesPerPartitionMax: 5,
  deliveryTimeoutMs: 120_000,
  prefetchBytesPerPartitionMax: 1024 * 1024,
  fetchBytesMax: 16 * 1024 * 1024,
  fetchWaitMsMax: 500,
};

/** The defaults overridden by `partial`; throws an Error naming the first field that is not a usable number. */
export function resolveLimits(partial: Partial<ClientLimits> = {}): ClientLimits {
  const limits: ClientLimits = { ...defaultClientLimits, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    const zeroAllowed = name === 'lingerMs';
    if (typeof value !== 'number' || !Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) {
      throw new Error(`limits.${name} must be an integer ${zeroAllowed ? '>= 0' : '>= 1'}, got ${String(value)}`);
    }
  }
  if (limits.retryBackoffMsMax < limits.retryBackoffMsMin) {
    throw new Error(`limits.retryBackoffMsMax (${limits.retryBackoffMsMax}) is below limits.retryBackoffMsMin (${limits.retryBackoffMsMin})`);
  }
  if (limits.inflightBatchesPerPartitionMax > 5) {
    // Kafka brokers keep the last 5 batches per producer for duplicate detection; more in flight could reorder.
    throw new Error(`limits.inflightBatchesPerPartitionMax must be at most 5 (idempotence), got ${limits.inflightBatchesPerPartitionMax}`);
  }
  if (limits.fetchBytesMax >= limits.responseBytesMax) {
    throw new Error(
      `limits.fetchBytesMax (${limits.fetchBytesMax}) must be below limits.responseBytesMax (${limits.responseBytesMax}): a full Fetch answer must fit in one response`,
    );
  }
  if (limits.fetchWaitMsMax >= limits.requestTimeoutMs) {
    throw new Error(`limits.fetchWaitMsMax (${limits.fetchWaitMsMax}) must be below limits.requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  return limits;
}

/** The wait before the next try after `failures` failures in a row: min, 2·min, 4·min, … capped at max. */
export function backoffMs(failures: number, limits: Pick<ClientLimits, 'retryBackoffMsMin' | 'retryBackoffMsMax'>): number {
  if (failures <= 0) return 0;
  const exponent = Math.min(failures - 1, 30);
  return Math.min(limits.retryBackoffMsMax, limits.retryBackoffMsMin * 2 ** exponent);
}

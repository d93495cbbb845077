// What the broker counts for its metrics (GET /metrics, http/metrics.ts): the broker layer calls
// this small interface and knows nothing of Prometheus. Every call is per request or per batch,
// never per record, so counting costs the data path a few additions.

import { performance } from 'node:perf_hooks';
import { BATCH_HEADER_BYTES, batchSizeAt, RECORDS_COUNT_OFFSET, readInt32 } from '../protocol/record-batch.ts';
import type { AnyApiHandler } from './handler.ts';

export interface BrokerCounters {
  /** A Kafka request of `api` (its name, e.g. "Produce") was answered after `seconds`; `failed` when its handler threw. */
  request(api: string, seconds: number, failed: boolean): void;
  /** Records appended to `topic` by Produce (not a producer's retried duplicates). */
  recordsIn(topic: string, bytes: number, records: number): void;
  /** Records a Fetch returned from `topic`. */
  recordsOut(topic: string, bytes: number, records: number): void;
}

/** Counts nothing: a broker without the HTTP server has no one to show metrics to. */
export const noBrokerCounters: BrokerCounters = {
  request: () => undefined,
  recordsIn: () => undefined,
  recordsOut: () => undefined,
};

/** The handlers, each timed into `counters.request` (a long-polling Fetch counts its wait, as Kafka's request metrics do). */
export function timedHandlers(handlers: Map<number, AnyApiHandler>, counters: BrokerCounters): Map<number, AnyApiHandler> {
  const timed = new Map<number, AnyApiHandler>();
  for (const [key, handler] of handlers) {
    const name = handler.api.name;
    timed.set(key, {
      ...handler,
      handle(request, context) {
        const started = performance.now();
        const done = (failed: boolean): void => counters.request(name, (performance.now() - started) / 1000, failed);
        let result: ReturnType<AnyApiHandler['handle']>;
        try {
          result = handler.handle(request, context);
        } catch (err) {
          done(true);
          throw err;
        }
        if (!(result instanceof Promise)) {
          done(false);
          return result;
        }
        return result.then(
          (value) => {
            done(false);
            return value;
          },
          (err: unknown) => {
            done(true);
            throw err;
          },
        );
      },
    });
  }
  return timed;
}

/** The records in a blob of whole RecordBatch v2 batches, summed from the batch headers; a damaged length ends the count. */
export function recordCountOf(batches: Buffer): number {
  let count = 0;
  for (let pos = 0; pos + BATCH_HEADER_BYTES <= batches.length; ) {
    const size = batchSizeAt(batches, pos);
    if (size < BATCH_HEADER_BYTES) break;
    count += readInt32(batches, pos + RECORDS_COUNT_OFFSET);
    pos += size;
  }
  return count;
}

// Trying a request again after a retriable failure (a coordinator that moved, a leader being
// elected, a broker that went away), with the Cluster's backoff, at most limits.requestAttemptsMax
// times. The producer has its own loop (it must keep sequence numbers); admin and lookups use this.

import { ConnectionError } from './connection.ts';
import { KafkaError } from './errors.ts';
import { backoffMs, type ClientLimits } from './limits.ts';

/** True when trying the same request again later may succeed. */
export function isRetriableError(err: unknown): boolean {
  return err instanceof ConnectionError || (err instanceof KafkaError && err.retriable);
}

/**
 * Runs `attempt` until it resolves, a non-retriable error, or requestAttemptsMax tries;
 * `onRetriable` runs before each wait (to forget a stale leader or coordinator).
 */
export async function withRetries<T>(
  limits: Pick<ClientLimits, 'requestAttemptsMax' | 'retryBackoffMsMin' | 'retryBackoffMsMax'>,
  attempt: () => Promise<T>,
  onRetriable: (err: unknown) => void = () => {},
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isRetriableError(err) || n >= limits.requestAttemptsMax) throw err;
      onRetriable(err);
      await new Promise((resolve) => setTimeout(resolve, backoffMs(n, limits)));
    }
  }
}

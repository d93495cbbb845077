// The SDK's errors. A KafkaError carries an error code a broker answered (or the client
// decided on, e.g. a partition with no leader), with Kafka's name for it and whether trying
// again can help. A ConnectionError (src/client/connection.ts) means no answer came at all.

import { ErrorCode, errorName, isRetriable } from '../protocol/errors.ts';

export { ConnectionError } from './connection.ts';
export { ErrorCode, isRetriable };

/** A Kafka error code in an answer, e.g. UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist. */
export class KafkaError extends Error {
  /** The numeric Kafka error code. */
  readonly code: number;
  /** Kafka's name for the code, e.g. "NOT_LEADER_OR_FOLLOWER". */
  readonly errorName: string;
  /** True when the same request may succeed later (a leader moved, a coordinator is loading). */
  readonly retriable: boolean;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'KafkaError';
    this.code = code;
    this.errorName = errorName(code);
    this.retriable = isRetriable(code);
  }
}

/** A KafkaError for `code` whose message says what failed: "`context`: NAME (detail)". */
export function kafkaError(code: number, context: string, detail?: string | null): KafkaError {
  return new KafkaError(code, `${context}: ${errorName(code)}${detail ? ` (${detail})` : ''}`);
}

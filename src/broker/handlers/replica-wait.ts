// Waiting on a replica's promises in a handler: the Kafka error for a rejection, and a wait bounded
// by the request's timeout_ms (Produce's acks=all, DeleteRecords).

import { NotEnoughReplicasError, NotLeaderError } from '../../partition/replicas.ts';
import { ErrorCode } from '../../protocol/errors.ts';

/** The Kafka error for a failed append or a wait that was given up (storage errors otherwise). */
export function appendErrorCode(err: unknown): number {
  if (err instanceof NotLeaderError) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (err instanceof NotEnoughReplicasError) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return ErrorCode.KAFKA_STORAGE_ERROR;
}

/** Resolves true when `timeoutMs` passes first, false when the promise settles first. */
export function withTimeout(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  if (timeoutMs <= 0) return promise.then(() => false);
  let timer: NodeJS.Timeout;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  return Promise.race([promise.then(() => false), timeout]).finally(() => clearTimeout(timer));
}

// What every Kafka API handler looks like to the connection that calls it.

import type { ApiDefinition } from '../protocol/api.ts';
import type { EncodeInput } from '../protocol/schema.ts';
import type { Session } from '../security/session.ts';
import type { SaslAuthenticator } from './sasl-authenticator.ts';

export interface RequestContext {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connectionId: number;
  remoteAddress: string;
  /** The connection's listener and principal; the same object for every request of a connection. */
  session: Session;
  /** The connection's SASL exchange on a SASL_* listener; absent on the others. */
  sasl?: SaslAuthenticator;
  /** Aborted when the connection closes, so long polls stop waiting for it. */
  signal: AbortSignal;
}

/**
 * A handler returns the response body, or `noResponse` when Kafka sends none (Produce acks=0).
 * The body is what the encoder accepts: fields left out take their declared default (tagged
 * fields, fields of other versions).
 */
export const noResponse = Symbol('noResponse');
export type HandlerResult<Res> = EncodeInput<Res> | typeof noResponse;

/**
 * The handler of one API. `Req` and `Res` are the decoded request and the response body its
 * schema declares (MessageValue of the API module's messages), so a field renamed in the schema
 * fails the type check in the handler that reads it (test/unit/broker/handler-types.test.ts).
 */
export interface ApiHandler<Req, Res> {
  api: ApiDefinition<Req, Res>;
  /**
   * The versions served and advertised, when narrower than what the codec declares: Fetch v0-3
   * would have to return the old message formats, which we never store, so it starts at v4.
   */
  minVersion?: number;
  /**
   * How many partitions (or topics, for Metadata) the request names. The connection refuses a
   * request above limits.max_partitions_per_request before the handler allocates anything for it.
   */
  partitionsIn?(request: Req): number;
  handle(request: Req, context: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

/**
 * A handler of any API, as the connection sees it: it looks the handler up by api key and feeds
 * it what that same handler's `api.request` decoded, so request and handler always agree. This is
 * the one place the body types are erased.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
// biome-ignore lint/suspicious/noExplicitAny: the registry holds handlers of every API; each is typed where it is defined
export type AnyApiHandler = ApiHandler<any, any>;

/** Counts the entries of `inner` over every element of `outer` (partitions over topics). */
export function nestedCount<K extends string, T extends { readonly [P in K]: readonly unknown[] | null }>(outer: readonly T[] | null, inner: K): number {
  let count = 0;
  for (const item of outer ?? []) count += item[inner]?.length ?? 0;
  return count;
}

/** The version range a handler serves: the codec's range, narrowed by the handler's own minimum. */
export function servedVersions(handler: AnyApiHandler): { minVersion: number; maxVersion: number } {
  return { minVersion: Math.max(handler.api.minVersion, handler.minVersion ?? 0), maxVersion: handler.api.maxVersion };
}

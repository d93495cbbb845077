// What every Kafka API handler looks like to the connection that calls it.

import { apiByKey, type ApiDefinition } from '../protocol/apis/index.ts';

export interface RequestContext {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connectionId: number;
  remoteAddress: string;
  /** Aborted when the connection closes, so long polls stop waiting for it. */
  signal: AbortSignal;
}

/** Decoded request and response bodies: lowerCamelCase Kafka field names (docs/protocol.md). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = Record<string, any>;

/** A handler returns the response body, or `noResponse` when Kafka sends none (Produce acks=0). */
export const noResponse = Symbol('noResponse');
export type HandlerResult = Body | typeof noResponse;

export interface ApiHandler {
  api: ApiDefinition;
  /**
   * The versions served and advertised, when narrower than what the codec declares: Fetch v0-3
   * would have to return the old message formats, which we never store, so it starts at v4.
   */
  minVersion?: number;
  /**
   * How many partitions (or topics, for Metadata) the request names. The connection refuses a
   * request above limits.max_partitions_per_request before the handler allocates anything for it.
   */
  partitionsIn?(request: Body): number;
  handle(request: Body, context: RequestContext): HandlerResult | Promise<HandlerResult>;
}

/** The codec's definition of an API we serve; a missing one is a wiring bug, so it throws. */
export function apiFor(apiKey: number): ApiDefinition {
  const api = apiByKey.get(apiKey);
  if (!api) throw new Error(`the protocol codec has no definition for api key ${apiKey}`);
  return api;
}

/** Counts the entries of `inner` over every element of `outer` (partitions over topics). */
export function nestedCount(outer: Body[] | null | undefined, inner: string): number {
  let count = 0;
  for (const item of outer ?? []) count += (item[inner] as unknown[] | null)?.length ?? 0;
  return count;
}

/** The version range a handler serves: the codec's range, narrowed by the handler's own minimum. */
export function servedVersions(handler: ApiHandler): { minVersion: number; maxVersion: number } {
  return { minVersion: Math.max(handler.api.minVersion, handler.minVersion ?? 0), maxVersion: handler.api.maxVersion };
}

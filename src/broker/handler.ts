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
   * Versions we serve may be narrower than the codec declares (e.g. Produce 0-2 carry old message
   * formats we refuse); ApiVersions still advertises the declared range, as DESIGN.md §5 allows.
   */
  handle(request: Body, context: RequestContext): HandlerResult | Promise<HandlerResult>;
}

/** The codec's definition of an API we serve; a missing one is a wiring bug, so it throws. */
export function apiFor(apiKey: number): ApiDefinition {
  const api = apiByKey.get(apiKey);
  if (!api) throw new Error(`the protocol codec has no definition for api key ${apiKey}`);
  return api;
}

// The description of one Kafka API: its key, the versions we support, and the request
// and response declarations. Every module in apis/ exports one of these.

import type { MessageSchema } from './schema.ts';

// biome-ignore lint/suspicious/noExplicitAny: the default erases the bodies for tables of every API; each API module names its own
export interface ApiDefinition<Req = any, Res = any> {
  apiKey: number;
  /** Kafka's name for the API, e.g. "Produce". */
  name: string;
  minVersion: number;
  maxVersion: number;
  /** The first flexible version (KIP-482), or Infinity if none we support is flexible. */
  flexibleMin: number;
  request: MessageSchema<Req>;
  response: MessageSchema<Res>;
}

/** Builds an ApiDefinition, checking that the request and response agree on versions. */
export function defineApi<Req, Res>(opts: {
  apiKey: number;
  name: string;
  request: MessageSchema<Req>;
  response: MessageSchema<Res>;
}): ApiDefinition<Req, Res> {
  const { request, response } = opts;
  if (request.validVersions.min !== response.validVersions.min || request.validVersions.max !== response.validVersions.max) {
    throw new Error(`${opts.name}: request and response declare different versions`);
  }
  if (request.flexibleVersions.min !== response.flexibleVersions.min) {
    throw new Error(`${opts.name}: request and response disagree on the first flexible version`);
  }
  return {
    apiKey: opts.apiKey,
    name: opts.name,
    minVersion: request.validVersions.min,
    maxVersion: request.validVersions.max,
    flexibleMin: request.flexibleVersions.min,
    request,
    response,
  };
}

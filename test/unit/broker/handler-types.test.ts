// issue 17 item 2: each handler's request and response bodies are typed by its API's schema, so
// a field renamed in a schema fails `tsc` (npm run typecheck) in the handler that reads it.
//
// Most of this file is checked by the type checker, not at run time: every `@ts-expect-error`
// below must meet an error, and tsc fails on one that meets none. If the bodies fell back to
// `any` (or `Record<string, any>`), the misspelled fields would type-check and tsc would report
// the unused directives. The run-time test checks the other half of the seam: the definition a
// handler imports is the very one the connection's registry (apiByKey) knows by its key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ApiHandler, HandlerResult } from '../../../src/broker/handler.ts';
import { createHandlers } from '../../../src/broker/handlers/index.ts';
import type { produceHandler } from '../../../src/broker/handlers/produce.ts';
import type { heartbeatHandler } from '../../../src/broker/handlers/heartbeat.ts';
import type { fetchHandler } from '../../../src/broker/handlers/fetch.ts';
import type { BrokerServices } from '../../../src/broker/services.ts';
import { apiByKey } from '../../../src/protocol/apis/index.ts';
import { heartbeat, type HeartbeatRequest, type HeartbeatResponse } from '../../../src/protocol/apis/heartbeat.ts';
import type { ProduceRequest, ProduceResponse } from '../../../src/protocol/apis/produce.ts';

type RequestOf<H> = H extends (...args: never[]) => ApiHandler<infer Req, unknown> ? Req : never;

/** Never called: tsc checks it. */
export function requestFieldsAreTyped(
  produce: RequestOf<typeof produceHandler>,
  beat: RequestOf<typeof heartbeatHandler>,
  fetch: RequestOf<typeof fetchHandler>,
): unknown[] {
  return [
    produce.topicData[0].partitionData[0].records,
    // @ts-expect-error a misspelled top-level field of ProduceRequest
    produce.topicDatta,
    // @ts-expect-error a misspelled nested field of ProduceRequest (partition_data => index records)
    produce.topicData[0].partitionData[0].record,
    beat.generationId,
    // @ts-expect-error HeartbeatRequest has generationId, not generation
    beat.generation,
    fetch.topics[0].partitions[0].fetchOffset,
    // @ts-expect-error a misspelled nested field of FetchRequest
    fetch.topics[0].partitions[0].offset,
  ];
}

/** Never called: tsc checks that response bodies and the API definition are typed too. */
export function responsesAndDefinitionsAreTyped(): unknown[] {
  // @ts-expect-error a misspelled field in a response literal
  const misspelled: HandlerResult<HeartbeatResponse> = { errorCode: 0, throttleTimeMS: 0 };
  // @ts-expect-error a field of the wrong type
  const wrongType: HandlerResult<HeartbeatResponse> = { errorCode: 'none' };
  const wrongApi: ApiHandler<ProduceRequest, ProduceResponse> = {
    // @ts-expect-error a Produce handler cannot serve Heartbeat's definition
    api: heartbeat,
    handle: () => ({ responses: [] }),
  };
  const right: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
    api: heartbeat,
    handle: (request) => ({ errorCode: request.generationId < 0 ? 22 : 0 }),
  };
  return [misspelled, wrongType, wrongApi, right];
}

test('every handler serves the same API definition the registry knows by its key', () => {
  const services = { logger: pino({ level: 'silent' }), limits: { uncompressedBatchBytesMax: 1 << 20 } } as unknown as BrokerServices;
  const handlers = createHandlers(services);
  assert.ok(handlers.size > 20);
  for (const [key, handler] of handlers) {
    assert.equal(handler.api, apiByKey.get(key), `handler for key ${key} (${handler.api.name})`);
  }
});

// Every Kafka API this broker serves, keyed by api key. ApiVersions advertises exactly this set.

import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { fetchHandler } from './fetch.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import { saslAuthenticateHandler, saslHandshakeHandler } from './sasl.ts';

export function createHandlers(services: BrokerServices): Map<number, ApiHandler> {
  const handlers = new Map<number, ApiHandler>();
  const all: ApiHandler[] = [
    apiVersionsHandler(() => handlers.values()),
    metadataHandler(services),
    produceHandler(services),
    fetchHandler(services),
    listOffsetsHandler(services),
    createTopicsHandler(services),
    deleteTopicsHandler(services),
    createPartitionsHandler(services),
    deleteRecordsHandler(services),
    describeConfigsHandler(services),
    describeClusterHandler(services),
    saslHandshakeHandler(),
    saslAuthenticateHandler(),
  ];
  for (const handler of all) handlers.set(handler.api.apiKey, handler);
  return handlers;
}

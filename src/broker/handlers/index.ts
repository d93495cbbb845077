// Every Kafka API this broker serves, keyed by api key. ApiVersions advertises exactly this set.

import type { AnyApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { fetchHandler } from './fetch.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import { saslAuthenticateHandler, saslHandshakeHandler } from './sasl.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { joinGroupHandler } from './join-group.ts';
import { syncGroupHandler } from './sync-group.ts';
import { heartbeatHandler } from './heartbeat.ts';
import { leaveGroupHandler } from './leave-group.ts';
import { offsetCommitHandler } from './offset-commit.ts';
import { offsetFetchHandler } from './offset-fetch.ts';
import { offsetDeleteHandler } from './offset-delete.ts';
import { listGroupsHandler } from './list-groups.ts';
import { describeGroupsHandler } from './describe-groups.ts';
import { deleteGroupsHandler } from './delete-groups.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { describeLogDirsHandler } from './describe-log-dirs.ts';
import { describeProducersHandler } from './describe-producers.ts';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.ts';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.ts';
import { electLeadersHandler } from './elect-leaders.ts';
import { alterUserScramCredentialsHandler, describeUserScramCredentialsHandler } from './user-scram-credentials.ts';
import { describeAclsHandler } from './describe-acls.ts';
import { createAclsHandler } from './create-acls.ts';
import { deleteAclsHandler } from './delete-acls.ts';

export function createHandlers(services: BrokerServices): Map<number, AnyApiHandler> {
  const handlers = new Map<number, AnyApiHandler>();
  const all: AnyApiHandler[] = [
    apiVersionsHandler(() => handlers.values()),
    metadataHandler(services),
    produceHandler(services),
    fetchHandler(services),
    listOffsetsHandler(services),
    createTopicsHandler(services),
    deleteTopicsHandler(services),
    createPartitionsHandler(services),
    deleteRecordsHandler(services),
    offsetForLeaderEpochHandler(services),
    describeConfigsHandler(services),
    describeClusterHandler(services),
    saslHandshakeHandler(),
    saslAuthenticateHandler(),
    findCoordinatorHandler(services),
    joinGroupHandler(services),
    syncGroupHandler(services),
    heartbeatHandler(services),
    leaveGroupHandler(services),
    offsetCommitHandler(services),
    offsetFetchHandler(services),
    offsetDeleteHandler(services),
    listGroupsHandler(services),
    describeGroupsHandler(services),
    deleteGroupsHandler(services),
    initProducerIdHandler(services),
    alterConfigsHandler(services),
    incrementalAlterConfigsHandler(services),
    describeLogDirsHandler(services),
    describeProducersHandler(services),
    alterPartitionReassignmentsHandler(services),
    listPartitionReassignmentsHandler(services),
    electLeadersHandler(services),
    describeUserScramCredentialsHandler(services),
    alterUserScramCredentialsHandler(services),
    describeAclsHandler(services),
    createAclsHandler(services),
    deleteAclsHandler(services),
  ];
  for (const handler of all) handlers.set(handler.api.apiKey, handler);
  return handlers;
}

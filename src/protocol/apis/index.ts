// The registry of every API this broker speaks, by key.

import { invariant } from '../../base/invariant.ts';
import type { ApiDefinition } from '../api.ts';
import { apiVersions } from './api-versions.ts';
import { metadata } from './metadata.ts';
import { produce } from './produce.ts';
import { fetch } from './fetch.ts';
import { listOffsets } from './list-offsets.ts';
import { createTopics } from './create-topics.ts';
import { deleteTopics } from './delete-topics.ts';
import { createPartitions } from './create-partitions.ts';
import { deleteRecords } from './delete-records.ts';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { describeConfigs } from './describe-configs.ts';
import { describeCluster } from './describe-cluster.ts';
import { findCoordinator } from './find-coordinator.ts';
import { joinGroup } from './join-group.ts';
import { syncGroup } from './sync-group.ts';
import { heartbeat } from './heartbeat.ts';
import { leaveGroup } from './leave-group.ts';
import { offsetCommit } from './offset-commit.ts';
import { offsetFetch } from './offset-fetch.ts';
import { listGroups } from './list-groups.ts';
import { describeGroups } from './describe-groups.ts';
import { initProducerId } from './init-producer-id.ts';
import { saslHandshake } from './sasl-handshake.ts';
import { saslAuthenticate } from './sasl-authenticate.ts';
import { offsetDelete } from './offset-delete.ts';
import { deleteGroups } from './delete-groups.ts';
import { alterConfigs } from './alter-configs.ts';
import { incrementalAlterConfigs } from './incremental-alter-configs.ts';
import { describeLogDirs } from './describe-log-dirs.ts';
import { describeProducers } from './describe-producers.ts';
import { electLeaders } from './elect-leaders.ts';
import { alterPartitionReassignments } from './alter-partition-reassignments.ts';
import { listPartitionReassignments } from './list-partition-reassignments.ts';
import { describeUserScramCredentials } from './describe-user-scram-credentials.ts';
import { alterUserScramCredentials } from './alter-user-scram-credentials.ts';
import { describeAcls } from './describe-acls.ts';
import { createAcls } from './create-acls.ts';
import { deleteAcls } from './delete-acls.ts';

export type { ApiDefinition } from '../api.ts';
export * from './api-versions.ts';
export * from './metadata.ts';
export * from './produce.ts';
export * from './fetch.ts';
export * from './list-offsets.ts';
export * from './create-topics.ts';
export * from './delete-topics.ts';
export * from './create-partitions.ts';
export * from './delete-records.ts';
export * from './offset-for-leader-epoch.ts';
export * from './describe-configs.ts';
export * from './describe-cluster.ts';
export * from './find-coordinator.ts';
export * from './join-group.ts';
export * from './sync-group.ts';
export * from './heartbeat.ts';
export * from './leave-group.ts';
export * from './offset-commit.ts';
export * from './offset-fetch.ts';
export * from './list-groups.ts';
export * from './describe-groups.ts';
export * from './init-producer-id.ts';
export * from './sasl-handshake.ts';
export * from './sasl-authenticate.ts';
export * from './offset-delete.ts';
export * from './delete-groups.ts';
export * from './alter-configs.ts';
export * from './incremental-alter-configs.ts';
export * from './describe-log-dirs.ts';
export * from './describe-producers.ts';
export * from './elect-leaders.ts';
export * from './alter-partition-reassignments.ts';
export * from './list-partition-reassignments.ts';
export * from './describe-user-scram-credentials.ts';
export * from './alter-user-scram-credentials.ts';
export * from './describe-acls.ts';
export * from './create-acls.ts';
export * from './delete-acls.ts';

/** Kafka API keys (the numbers are Kafka's; the names are its API names). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeAcls: 29,
  CreateAcls: 30,
  DeleteAcls: 31,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DescribeLogDirs: 35,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  ElectLeaders: 43,
  IncrementalAlterConfigs: 44,
  AlterPartitionReassignments: 45,
  ListPartitionReassignments: 46,
  OffsetDelete: 47,
  DescribeUserScramCredentials: 50,
  AlterUserScramCredentials: 51,
  DescribeCluster: 60,
  DescribeProducers: 61,
} as const;

export type ApiKeyValue = (typeof ApiKey)[keyof typeof ApiKey];

/** Every API we support, in key order. */
export const allApis: readonly ApiDefinition[] = [
  apiVersions,
  metadata,
  produce,
  fetch,
  listOffsets,
  createTopics,
  deleteTopics,
  createPartitions,
  deleteRecords,
  offsetForLeaderEpoch,
  describeConfigs,
  describeCluster,
  findCoordinator,
  joinGroup,
  syncGroup,
  heartbeat,
  leaveGroup,
  offsetCommit,
  offsetFetch,
  listGroups,
  describeGroups,
  initProducerId,
  saslHandshake,
  saslAuthenticate,
  offsetDelete,
  deleteGroups,
  alterConfigs,
  incrementalAlterConfigs,
  describeLogDirs,
  describeProducers,
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeAcls,
  createAcls,
  deleteAcls,
].sort((a, b) => a.apiKey - b.apiKey);

export const apiByKey: Map<number, ApiDefinition> = new Map(allApis.map((api) => [api.apiKey, api]));

for (const api of allApis) {
  const named = (ApiKey as Record<string, number>)[api.name];
  invariant(named === api.apiKey, () => `ApiKey.${api.name} is ${named}, definition says ${api.apiKey}`);
}
invariant(apiByKey.size === allApis.length, 'two API definitions share a key');

// The topic part of the admin API (docs/operations.md): list, create, describe, delete, configs
// and adding partitions. Every write calls the function the Kafka API calls (CreateTopics,
// DeleteTopics, CreatePartitions: broker/topic-admin.ts; IncrementalAlterConfigs:
// broker/config-admin.ts), so both ways check the same rules, go through the same controller
// and give the same result; a Kafka error comes back as `{error: <Kafka name>, message}`.

import { alterResourceConfigs } from '../broker/config-admin.ts';
import { ResourceType } from '../broker/config-resources.ts';
import { isInternalTopic } from '../broker/group/offsets-topic.ts';
import { partitionLeader } from '../broker/partition-leader.ts';
import type { BrokerServices } from '../broker/services.ts';
import { createPartitions, createTopic, deleteTopic } from '../broker/topic-admin.ts';
import type { ConfigOp } from '../metadata/config-changes.ts';
import type { TopicRecord } from '../metadata/metadata-state.ts';
import { ConfigSource, describeTopicConfigs, topicConfigNames } from '../metadata/topic-configs.ts';
import { ApiError, throwUnlessNone } from './api-errors.ts';
import { bool, int, ints, nullableInt, objectOf, str, stringMap, topicParams } from './admin-schemas.ts';
import type { HttpApp } from './server.ts';

/** Partitions a describe lists at most; `partitionCount` gives the rest (a response must stay small). */
export const DESCRIBE_PARTITIONS_MAX = 10_000;

const partition = objectOf({
  partition: int,
  replicas: ints,
  leader: { type: 'integer', description: '-1 when no leader is known here' },
  leaderEpoch: int,
  isr: { type: 'array', items: int, nullable: true, description: 'null unless this broker leads the partition' },
  logStartOffset: { ...nullableInt, description: 'null unless this broker leads the partition' },
  highWatermark: nullableInt,
  logEndOffset: nullableInt,
});
const topicSummary = objectOf({ name: str, topicId: str, partitionCount: int, replicationFactor: int, internal: bool });
const topicDetail = objectOf({
  name: str,
  topicId: str,
  partitionCount: int,
  replicationFactor: int,
  internal: bool,
  configs: { ...stringMap, description: 'the overrides set on the topic (GET .../configs gives every value in force)' },
  partitions: { type: 'array', items: partition },
});
const configEntry = objectOf({ name: str, value: { type: 'string', nullable: true }, source: str, readOnly: bool, isDefault: bool });
const configNameList = { type: 'array', maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 255 } } as const;
const configValues = { type: 'object', maxProperties: 200, additionalProperties: { type: 'string', maxLength: 10_000 } } as const;

const SOURCE_NAMES = new Map<number, string>(Object.entries(ConfigSource).map(([name, value]) => [value, name]));

function summary(topic: TopicRecord): Record<string, unknown> {
  return {
    name: topic.name,
    topicId: topic.topicId,
    partitionCount: topic.partitionCount,
    replicationFactor: topic.replicationFactor,
    internal: isInternalTopic(topic.name),
  };
}

function topicOrThrow(services: BrokerServices, name: string): TopicRecord {
  const topic = services.controller.state.topic(name);
  if (!topic) throw new ApiError(404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" does not exist`);
  return topic;
}

function describe(services: BrokerServices, topic: TopicRecord): Record<string, unknown> {
  const partitions = topic.assignments.slice(0, DESCRIBE_PARTITIONS_MAX).map((replicas, index) => {
    const leader = partitionLeader(services, topic.name, index, replicas);
    const led = services.replicas.partition(topic.name, index);
    return {
      partition: index,
      replicas,
      leader: leader.leaderId,
      leaderEpoch: leader.leaderEpoch,
      // Only the leader knows who holds the commit; a follower's view would name every voter in sync.
      isr: leader.leaderId === services.nodeId ? leader.isr : null,
      logStartOffset: led?.logStartOffset ?? null,
      highWatermark: led?.highWatermark ?? null,
      logEndOffset: led?.logEndOffset ?? null,
    };
  });
  return { ...summary(topic), configs: topic.configs, partitions };
}

function configsOf(services: BrokerServices, topic: TopicRecord): Array<Record<string, unknown>> {
  const dynamic = services.controller.state.dynamicBrokerConfigs(services.nodeId);
  return describeTopicConfigs(topic.configs, services.topicDefaults, dynamic).map((e) => ({
    name: e.name,
    value: e.value,
    source: SOURCE_NAMES.get(e.source) ?? String(e.source),
    readOnly: e.readOnly,
    isDefault: e.source === ConfigSource.DEFAULT_CONFIG,
  }));
}

export function registerTopicRoutes(app: HttpApp, services: BrokerServices): void {
  app.get(
    '/v1/topics',
    { schema: { summary: 'Every topic', tags: ['topics'], response: { 200: objectOf({ topics: { type: 'array', items: topicSummary } }) } } },
    async () => ({
      topics: services.controller.state
        .allTopics()
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(summary),
    }),
  );

  app.post(
    '/v1/topics',
    {
      schema: {
        summary: 'Create a topic (the CreateTopics checks and controller path)',
        tags: ['topics'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 249 },
            partitions: { type: 'integer', minimum: 1, description: 'default: num.partitions' },
            replicationFactor: { type: 'integer', minimum: 1, maximum: 32767, description: 'default: default.replication.factor (at most the brokers)' },
            configs: configValues,
            validateOnly: { type: 'boolean', description: 'check only, create nothing' },
          },
        },
        response: { 201: topicDetail, 200: topicDetail },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; partitions?: number; replicationFactor?: number; configs?: Record<string, string>; validateOnly?: boolean };
      const result = await createTopic(
        services,
        {
          name: body.name,
          numPartitions: body.partitions ?? -1,
          replicationFactor: body.replicationFactor ?? -1,
          assignments: [],
          configs: Object.entries(body.configs ?? {}).map(([name, value]) => ({ name, value })),
        },
        body.validateOnly === true,
      );
      throwUnlessNone(result.errorCode, result.errorMessage);
      // The record as proposed: on a validate-only request, or before this broker applied it.
      const topic = services.controller.state.topic(body.name) ?? result.topic!;
      return reply.code(body.validateOnly ? 200 : 201).send(describe(services, topic));
    },
  );

  app.get(
    '/v1/topics/:topic',
    {
      schema: {
        summary: 'A topic with its partitions: replicas, leader, ISR and, where led here, offsets',
        tags: ['topics'],
        params: topicParams,
        response: { 200: topicDetail },
      },
    },
    async (request) => describe(services, topicOrThrow(services, (request.params as { topic: string }).topic)),
  );

  app.delete(
    '/v1/topics/:topic',
    {
      schema: {
        summary: 'Delete a topic (the DeleteTopics path)',
        tags: ['topics'],
        params: topicParams,
        response: { 200: objectOf({ name: str, deleted: bool }) },
      },
    },
    async (request) => {
      const { topic } = request.params as { topic: string };
      const result = await deleteTopic(services, topic);
      throwUnlessNone(result.errorCode, result.errorMessage);
      return { name: topic, deleted: true };
    },
  );

  app.get(
    '/v1/topics/:topic/configs',
    {
      schema: {
        summary: 'Every config of a topic with the value in force and where it comes from',
        tags: ['topics'],
        params: topicParams,
        response: { 200: objectOf({ name: str, configs: { type: 'array', items: configEntry } }) },
      },
    },
    async (request) => {
      const topic = topicOrThrow(services, (request.params as { topic: string }).topic);
      return { name: topic.name, configs: configsOf(services, topic) };
    },
  );

  app.patch(
    '/v1/topics/:topic/configs',
    {
      schema: {
        summary: 'Set and delete topic configs (the IncrementalAlterConfigs path)',
        description: `Known configs: ${topicConfigNames.join(', ')}.`,
        tags: ['topics'],
        params: topicParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            set: { ...configValues, description: 'config name -> new value' },
            delete: { ...configNameList, description: 'configs to return to their default' },
            validateOnly: bool,
          },
        },
        response: { 200: objectOf({ name: str, configs: { type: 'array', items: configEntry } }) },
      },
    },
    async (request) => {
      const { topic: name } = request.params as { topic: string };
      const body = request.body as { set?: Record<string, string>; delete?: string[]; validateOnly?: boolean };
      const ops: ConfigOp[] = [
        ...Object.entries(body.set ?? {}).map(([configName, value]): ConfigOp => ({ name: configName, op: 'set', value })),
        ...(body.delete ?? []).map((configName): ConfigOp => ({ name: configName, op: 'delete', value: null })),
      ];
      if (ops.length === 0) throw new ApiError(400, 'INVALID_REQUEST', 'body: give "set" or "delete" with at least one config');
      const result = await alterResourceConfigs(services, { resourceType: ResourceType.TOPIC, resourceName: name, ops }, false, body.validateOnly === true);
      throwUnlessNone(result.errorCode, result.errorMessage);
      const topic = topicOrThrow(services, name);
      return { name, configs: configsOf(services, topic) };
    },
  );

  app.post(
    '/v1/topics/:topic/partitions',
    {
      schema: {
        summary: 'Grow a topic to `count` partitions (the CreatePartitions path)',
        tags: ['topics'],
        params: topicParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['count'],
          properties: { count: { type: 'integer', minimum: 1, description: 'the new total' }, validateOnly: bool },
        },
        response: { 200: topicDetail },
      },
    },
    async (request) => {
      const { topic: name } = request.params as { topic: string };
      const body = request.body as { count: number; validateOnly?: boolean };
      const result = await createPartitions(services, name, body.count, null, body.validateOnly === true);
      throwUnlessNone(result.errorCode, result.errorMessage);
      return describe(services, topicOrThrow(services, name));
    },
  );
}

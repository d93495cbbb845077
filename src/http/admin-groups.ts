// The consumer-group part of the admin API (docs/operations.md): list, describe with members,
// assignments and lag per partition, delete, reset offsets. Groups live on their coordinator
// (the leader of the group's __consumer_offsets partition): a broker answers for the groups it
// coordinates and names the coordinator for the others (421). Delete calls what DeleteGroups
// calls and a reset commits what OffsetCommit commits (GroupCoordinator), so both ways agree.

import { consumerLag } from '../protocol/consumer-lag.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { OFFSETS_TOPIC } from '../broker/group/offsets-topic.ts';
import type { BrokerServices } from '../broker/services.ts';
import { ApiError, kafkaError } from './api-errors.ts';
import { bool, groupParams, int, ints, nullableInt, objectOf, str } from './admin-schemas.ts';
import { consumerAssignment } from './consumer-assignment.ts';
import type { HttpApp } from './server.ts';

/** Offsets a describe lists at most (a group may commit for many partitions); `offsetCount` gives the rest. */
export const DESCRIBE_OFFSETS_MAX = 10_000;

const member = objectOf({
  memberId: str,
  groupInstanceId: { type: 'string', nullable: true },
  clientId: str,
  clientHost: str,
  assignment: { type: 'array', items: objectOf({ topic: str, partitions: ints }) },
});
const offset = objectOf({
  topic: str,
  partition: int,
  committedOffset: int,
  highWatermark: { ...nullableInt, description: 'null unless this broker leads the partition' },
  lag: nullableInt,
});
const groupDetail = objectOf({
  groupId: str,
  state: str,
  protocolType: str,
  protocol: str,
  coordinator: int,
  members: { type: 'array', items: member },
  offsets: { type: 'array', items: offset },
  offsetCount: int,
  lag: { type: 'integer', description: 'the sum of the known lags' },
});

/** The Kafka error with the coordinator named, so the operator knows which broker to ask. */
function groupError(services: BrokerServices, groupId: string, code: number): ApiError {
  if (code !== ErrorCode.NOT_COORDINATOR) return kafkaError(code, null);
  const coordinator = services.replicas.leaderOf(OFFSETS_TOPIC, services.groups.partitionFor(groupId)).leaderId;
  const where = coordinator > 0 ? `broker ${coordinator} is (ask its admin API)` : 'no coordinator is known yet';
  return kafkaError(code, `broker ${services.nodeId} does not coordinate group "${groupId}": ${where}`);
}

function describeGroup(services: BrokerServices, groupId: string): Record<string, unknown> {
  const described = services.groups.describeGroup(groupId);
  if (described.errorCode !== ErrorCode.NONE) throw groupError(services, groupId, described.errorCode);
  const fetched = services.groups.fetchOffsets(groupId, null);
  if (fetched.errorCode !== ErrorCode.NONE) throw groupError(services, groupId, fetched.errorCode);
  const all = fetched.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
  if (described.summary.state === 'Dead' && all.length === 0) throw new ApiError(404, 'GROUP_ID_NOT_FOUND', `group "${groupId}" does not exist`);
  let totalLag = 0;
  const offsets = all
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partitionIndex - b.partitionIndex))
    .slice(0, DESCRIBE_OFFSETS_MAX)
    .map((o) => {
      const highWatermark = services.replicas.partition(o.topic, o.partitionIndex)?.highWatermark ?? null;
      const lag = consumerLag(highWatermark, o.committedOffset);
      totalLag += lag ?? 0;
      return { topic: o.topic, partition: o.partitionIndex, committedOffset: o.committedOffset, highWatermark, lag };
    });
  const s = described.summary;
  return {
    groupId,
    state: s.state,
    protocolType: s.protocolType,
    protocol: s.protocolName,
    coordinator: services.nodeId,
    members: s.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: s.protocolType === 'consumer' ? consumerAssignment(m.assignment) : [],
    })),
    offsets,
    offsetCount: all.length,
    lag: totalLag,
  };
}

interface ResetBody {
  topic: string;
  partitions?: number[];
  to?: 'earliest' | 'latest';
  offset?: number;
}

/** The offsets a reset commits, from the partitions' logs (led here: only a leader knows its high watermark). */
function resetPlan(services: BrokerServices, body: ResetBody): Array<{ partition: number; offset: number }> {
  const topic = services.controller.state.topic(body.topic);
  if (!topic) throw new ApiError(404, 'UNKNOWN_TOPIC_OR_PARTITION', `topic "${body.topic}" does not exist`);
  const partitions = body.partitions ?? Array.from({ length: topic.partitionCount }, (_, i) => i);
  return partitions.map((partition) => {
    if (partition >= topic.partitionCount) throw new ApiError(404, 'UNKNOWN_TOPIC_OR_PARTITION', `partitions: ${body.topic} has no partition ${partition}`);
    const replica = services.replicas.partition(body.topic, partition);
    if (!replica) {
      const leader = services.replicas.leaderOf(body.topic, partition).leaderId;
      throw kafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `${body.topic}-${partition}: this broker does not lead it${leader > 0 ? ` (broker ${leader} does)` : ''}; ask a broker that leads the partitions and coordinates the group`,
      );
    }
    const start = replica.logStartOffset;
    const end = replica.highWatermark;
    // An explicit offset outside the log is moved to its nearer end, as kafka-consumer-groups does.
    const offset = body.to === 'earliest' ? start : body.to === 'latest' ? end : Math.min(Math.max(body.offset!, start), end);
    return { partition, offset };
  });
}

export function registerGroupRoutes(app: HttpApp, services: BrokerServices): void {
  app.get(
    '/v1/groups',
    {
      schema: {
        summary: 'The consumer groups this broker coordinates',
        tags: ['groups'],
        response: { 200: objectOf({ coordinator: int, groups: { type: 'array', items: objectOf({ groupId: str, protocolType: str, state: str }) } }) },
      },
    },
    async () => ({
      coordinator: services.nodeId,
      groups: services.groups.listGroups([]).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState })),
    }),
  );

  app.get(
    '/v1/groups/:group',
    {
      schema: {
        summary: 'A group: members, assignments, committed offsets and lag per partition',
        tags: ['groups'],
        params: groupParams,
        response: { 200: groupDetail },
      },
    },
    async (request) => describeGroup(services, (request.params as { group: string }).group),
  );

  app.delete(
    '/v1/groups/:group',
    {
      schema: {
        summary: 'Delete an empty group and its offsets (the DeleteGroups path)',
        tags: ['groups'],
        params: groupParams,
        response: { 200: objectOf({ groupId: str, deleted: bool }) },
      },
    },
    async (request) => {
      const { group } = request.params as { group: string };
      const code = await services.groups.deleteGroup(group);
      if (code !== ErrorCode.NONE) throw groupError(services, group, code);
      return { groupId: group, deleted: true };
    },
  );

  app.post(
    '/v1/groups/:group/offsets',
    {
      schema: {
        summary: "Reset a group's committed offsets for a topic (the OffsetCommit path); the group must have no members",
        tags: ['groups'],
        params: groupParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['topic'],
          properties: {
            topic: { type: 'string', minLength: 1, maxLength: 249 },
            partitions: { type: 'array', maxItems: 10_000, uniqueItems: true, items: { type: 'integer', minimum: 0 }, description: 'default: every partition' },
            to: { type: 'string', enum: ['earliest', 'latest'] },
            offset: { type: 'integer', minimum: 0 },
          },
          oneOf: [{ required: ['to'] }, { required: ['offset'] }],
        },
        response: { 200: objectOf({ groupId: str, topic: str, offsets: { type: 'array', items: objectOf({ partition: int, offset: int }) } }) },
      },
    },
    async (request) => {
      const { group } = request.params as { group: string };
      const body = request.body as ResetBody;
      const described = services.groups.describeGroup(group);
      if (described.errorCode !== ErrorCode.NONE) throw groupError(services, group, described.errorCode);
      if (described.summary.members.length > 0) {
        throw kafkaError(
          ErrorCode.NON_EMPTY_GROUP,
          `group "${group}" has ${described.summary.members.length} member(s): stop its consumers before resetting its offsets`,
        );
      }
      const plan = resetPlan(services, body);
      const results = await services.groups.commitOffsets(group, '', null, -1, [
        {
          name: body.topic,
          partitions: plan.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: -1, committedMetadata: null })),
        },
      ]);
      for (const t of results) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw groupError(services, group, p.errorCode);
      return { groupId: group, topic: body.topic, offsets: plan };
    },
  );
}

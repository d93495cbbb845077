// The cluster part of the admin API (docs/operations.md): GET /v1/cluster, /v1/brokers,
// /v1/brokers/:id, /v1/raft/groups and /v1/ready. Everything is this broker's view: the
// metadata as applied here, the Raft groups hosted here (a follower's lag only on its leader).

import type { BrokerServices } from '../broker/services.ts';
import { ApiError } from './api-errors.ts';
import { bool, int, ints, objectOf, str } from './admin-schemas.ts';
import { readiness } from './readiness.ts';
import type { HttpApp } from './server.ts';
import type { NodeStatus } from './status.ts';

const broker = objectOf({
  nodeId: int,
  host: str,
  port: int,
  rack: { type: 'string', nullable: true },
  raftAddress: { type: 'string', nullable: true },
  connected: bool,
  leaving: bool,
  metadataRole: { type: 'string', enum: ['voter', 'learner', 'none'] },
  partitions: { type: 'integer', description: 'replicas the metadata assigns to the broker' },
  preferredLeaders: { type: 'integer', description: 'partitions whose first replica it is' },
});

const follower = objectOf({ id: int, match: int, lag: int, state: str, active: bool });
const group = objectOf({
  group: str,
  state: str,
  term: int,
  leader: int,
  commit: int,
  applied: int,
  firstIndex: int,
  lastIndex: int,
  voters: ints,
  learners: ints,
  followers: { type: 'array', items: follower },
});

function brokersOf(services: BrokerServices, status: NodeStatus): Array<Record<string, unknown>> {
  const state = services.controller.state;
  const counts = new Map<number, { partitions: number; preferredLeaders: number }>();
  for (const topic of state.allTopics()) {
    for (const replicas of topic.assignments) {
      replicas.forEach((id, i) => {
        const c = counts.get(id) ?? { partitions: 0, preferredLeaders: 0 };
        c.partitions++;
        if (i === 0) c.preferredLeaders++;
        counts.set(id, c);
      });
    }
  }
  const members = new Map((status.members ?? []).map((m) => [m.nodeId, m]));
  return state
    .allBrokers()
    .sort((a, b) => a.nodeId - b.nodeId)
    .map((b) => ({
      nodeId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      raftAddress: b.raftAddress ?? null,
      connected: members.get(b.nodeId)?.connected ?? b.nodeId === services.nodeId,
      leaving: state.isLeaving(b.nodeId),
      metadataRole: members.get(b.nodeId)?.metadata ?? 'none',
      ...(counts.get(b.nodeId) ?? { partitions: 0, preferredLeaders: 0 }),
    }));
}

export function registerClusterRoutes(app: HttpApp, services: BrokerServices, status: () => NodeStatus): void {
  app.get(
    '/v1/cluster',
    {
      schema: {
        summary: 'The cluster as this broker sees it: id, controller, brokers',
        tags: ['cluster'],
        response: {
          200: objectOf({ clusterId: str, nodeId: int, mode: str, controllerId: int, brokers: { type: 'array', items: broker } }),
        },
      },
    },
    async () => {
      const s = status();
      return { clusterId: s.clusterId, nodeId: s.nodeId, mode: s.mode, controllerId: s.controllerId, brokers: brokersOf(services, s) };
    },
  );
  app.get(
    '/v1/brokers',
    { schema: { summary: 'Every broker the metadata knows', tags: ['cluster'], response: { 200: objectOf({ brokers: { type: 'array', items: broker } }) } } },
    async () => ({ brokers: brokersOf(services, status()) }),
  );
  app.get(
    '/v1/brokers/:id',
    {
      schema: {
        summary: 'One broker',
        tags: ['cluster'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 0 } } },
        response: { 200: broker },
      },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      const found = brokersOf(services, status()).find((b) => b.nodeId === id);
      if (!found) throw new ApiError(404, 'BROKER_NOT_FOUND', `broker ${id} is not in the cluster metadata`);
      return found;
    },
  );
  app.get(
    '/v1/raft/groups',
    {
      schema: {
        summary: 'Every Raft group hosted here: state, term, leader, commit and applied index; on a leader, each follower and its lag',
        tags: ['cluster'],
        response: { 200: objectOf({ nodeId: int, groups: { type: 'array', items: group } }) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const s = status();
      return { nodeId: s.nodeId, groups: s.groups };
    },
  );
  app.get(
    '/v1/ready',
    {
      schema: {
        summary: 'Readiness: 200 once this broker is registered and its replicas have caught up, 503 otherwise',
        tags: ['health'],
        response: {
          200: objectOf({ ready: bool, reasons: { type: 'array', items: str } }),
          503: objectOf({ ready: bool, reasons: { type: 'array', items: str } }),
        },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      const registered = services.controller.state.allBrokers().some((b) => b.nodeId === services.nodeId);
      const answer = readiness(services.nodeId, registered, status().groups);
      return reply.code(answer.ready ? 200 : 503).send(answer);
    },
  );
}

// POST /cluster/leave {"node": N} and POST /cluster/force-leave {"node": N} (docs/cluster.md,
// "Leaving the cluster"). Leave: the broker (N omitted: the one answering) is marked leaving, its
// partitions move to other brokers one Raft change at a time, it leaves the metadata group and
// then stops. Force-leave does the same for a broker that is gone for good, without it. Both
// answer 202 {"node", "state": "leaving"} once the mark is in the metadata (the moves run on:
// watch GET /status or ListPartitionReassignments), 200 {"node", "state": "removed"} when the
// broker is gone already; 400 for a bad body, 404 for an unknown broker, 409 for a force-leave
// of a broker that is still connected, 503 while no controller can take the change.

import type { HttpApp } from './server.ts';

export type LeaveOutcome = { ok: true; node: number; state: 'leaving' | 'removed' } | { ok: false; status: number; error: string };

/** What the node does for the routes: mark `node` (undefined: this broker) as leaving. */
export type LeaveOperation = (node: number | undefined, force: boolean) => Promise<LeaveOutcome>;

export function registerClusterLeave(app: HttpApp, leave: LeaveOperation, prefix = ''): void {
  for (const [path, force] of [
    ['/cluster/leave', false],
    ['/cluster/force-leave', true],
  ] as const) {
    app.post(`${prefix}${path}`, async (request, reply) => {
      const body = request.body as { node?: unknown } | null | undefined;
      const node = body !== null && typeof body === 'object' ? body.node : undefined;
      if ((node !== undefined || force) && !(Number.isSafeInteger(node) && (node as number) > 0)) {
        return reply.code(400).send({ error: `node: must be a broker id (a positive integer)${force ? '' : ', or left out for this broker'}` });
      }
      const outcome = await leave(node as number | undefined, force);
      if (!outcome.ok) return reply.code(outcome.status).send({ error: outcome.error });
      return reply.code(outcome.state === 'removed' ? 200 : 202).send({ node: outcome.node, state: outcome.state });
    });
  }
}

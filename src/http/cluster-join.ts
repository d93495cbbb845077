// POST /cluster/join {"address": "host:port"}: gives a node started with cluster.discovery.type
// "manual" the Raft address of a running member to dial (docs/cluster.md, "Joining a running
// cluster"). The node then registers through that member and the controller adds it. Answers 202
// {"address", "member": false} once the address is taken (joining runs on: watch GET /status),
// 200 {"address", "member": true} when the node is a member already, 400 for a bad body, 409 when
// the node is not in manual mode.

import type { HttpApp } from './server.ts';

/** A request the operation refuses; `status` is the HTTP status to answer with. */
export class AdminRequestError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** What the node does for the route: dial `address` as a seed; throws AdminRequestError. */
export type JoinOperation = (address: string) => { member: boolean };

/** Longest accepted address ("host:port"); a longer one is a mistake, not a host name. */
const JOIN_ADDRESS_CHARS_MAX = 300;

export function registerClusterJoin(app: HttpApp, join: JoinOperation, prefix = ''): void {
  app.post(`${prefix}/cluster/join`, async (request, reply) => {
    const body = request.body as { address?: unknown } | null | undefined;
    const address = body !== null && typeof body === 'object' ? body.address : undefined;
    if (typeof address !== 'string' || address === '' || address.length > JOIN_ADDRESS_CHARS_MAX) {
      return reply
        .code(400)
        .send({ error: `address: must be a "host:port" string of at most ${JOIN_ADDRESS_CHARS_MAX} characters (a running member's cluster.raft_address)` });
    }
    try {
      const { member } = join(address);
      return reply.code(member ? 200 : 202).send({ address, member });
    } catch (err) {
      if (err instanceof AdminRequestError) return reply.code(err.status).send({ error: err.message });
      throw err;
    }
  });
}

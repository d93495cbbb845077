// POST /cluster/unsafe-recover {"group": "<name>"} | {"node": N}: unsafe recovery of Raft
// groups that lost a majority of their voters for good (docs/cluster.md, "Unsafe recovery").
// The route only checks the body and answers; the operation is the node layer's
// (ClusterNode.unsafeRecover), passed in.

import type { HttpApp } from './server.ts';

/** One group (`__metadata` or `<topic>-<partition>`), or every group that had broker `node` as a voter. */
export type UnsafeRecoverRequest = { group: string } | { node: number };

/** What happened to one group, and what the recovery may have lost there. */
export interface GroupRecovery {
  /** `__metadata`, or `<topic>-<partition>`. */
  group: string;
  outcome: 'recovered' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  votersBefore?: number[];
  voters?: number[];
  /** The storage ids left out: never members again (a lost broker comes back with an empty data dir). */
  fenced?: string[];
  /** The forced configuration entry (index, term). */
  forcedIndex?: number;
  term?: number;
  /** The survivor's log before the recovery: its last index and the commit index it knew. */
  lastIndex?: number;
  commitIndex?: number;
  /** Partitions: the same as Kafka offsets (high watermark the survivor knew, and its log end). */
  highWatermark?: number;
  logEndOffset?: number;
  /** Partitions: whether the assignment in the metadata now names the survivor only. */
  assignment?: string;
  /** In words: what may be lost, and what became committed without a quorum. */
  mayBeLost?: string;
}

export interface UnsafeRecoverReport {
  node: number;
  groups: GroupRecovery[];
}

export type UnsafeRecoverOutcome = { status: number; body: UnsafeRecoverReport | { error: string } };

export type UnsafeRecoverOperation = (request: UnsafeRecoverRequest) => Promise<UnsafeRecoverOutcome>;

/** The request, or an error naming the field that is wrong. */
export function parseUnsafeRecoverBody(body: unknown): UnsafeRecoverRequest | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { error: 'the body must be a JSON object: {"group": "<name>"} or {"node": <id>}' };
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => k !== 'group' && k !== 'node');
  if (unknown.length > 0) return { error: `unknown field "${unknown[0]}": give "group" or "node"` };
  if ('group' in fields && 'node' in fields) return { error: 'give either "group" or "node", not both' };
  if ('group' in fields) {
    const group = fields.group;
    if (typeof group !== 'string' || group === '' || group.length > 300) return { error: '"group" must be a group name such as "__metadata" or "orders-0"' };
    return { group };
  }
  if ('node' in fields) {
    const node = fields.node;
    if (typeof node !== 'number' || !Number.isSafeInteger(node) || node < 1) return { error: '"node" must be a broker id (a positive integer)' };
    return { node };
  }
  return { error: 'give "group" (a group name) or "node" (a lost broker id)' };
}

/** Registers the route (cluster mode only: a single node does not serve it). */
export function registerUnsafeRecover(app: HttpApp, operation: UnsafeRecoverOperation, prefix = ''): void {
  app.post(`${prefix}/cluster/unsafe-recover`, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const parsed = parseUnsafeRecoverBody(request.body);
    if ('error' in parsed) {
      request.log.warn({ error: parsed.error }, 'bad unsafe-recover request');
      return reply.code(400).send(parsed);
    }
    const outcome = await operation(parsed);
    return reply.code(outcome.status).send(outcome.body);
  });
}

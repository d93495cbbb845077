// Requests that change the metadata (topics, ACLs) go to the controller, as Kafka's admin client
// sends them: any broker when none is known, asked again after NOT_CONTROLLER.

import type { ApiDefinition } from '../../protocol/api.ts';
import type { EncodeInput } from '../../protocol/schema.ts';
import type { Cluster } from '../cluster.ts';
import { withRetries } from '../retry.ts';

/** Sends to the controller (any broker when none is known), asked again after NOT_CONTROLLER. */
export function requestController<Req, Res>(cluster: Cluster, api: ApiDefinition<Req, Res>, body: EncodeInput<Req>): Promise<Res> {
  return withRetries(
    cluster.limits,
    async () => {
      const meta = await cluster.metadata([]);
      const target = meta.controllerId >= 0 && meta.brokers.some((b) => b.nodeId === meta.controllerId) ? meta.controllerId : 'any';
      return cluster.request(target, api, body);
    },
    () => void cluster.metadata([], { refresh: true }).catch(() => {}),
  );
}

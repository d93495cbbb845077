// AlterConfigs (key 33): replaces the whole set of dynamic configs of a topic or a broker; a
// config the request does not name goes back to its default (the broker's, then Kafka's).
//
//   AlterConfigsRequest => [resources] validate_only
//     resources => resource_type resource_name [configs]
//       configs => name value
//   AlterConfigsResponse => throttle_time_ms [responses]
//     responses => error_code error_message resource_type resource_name

import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { alterAll, alterResourceConfigs } from '../config-admin.ts';
import { configAccessError } from '../config-resources.ts';
import { alterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/apis/alter-configs.ts';

export function alterConfigsHandler(services: BrokerServices): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  return {
    api: alterConfigs,
    async handle(request, context) {
      const responses = await alterAll(
        request.resources,
        (r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          ops: r.configs.map((c) => ({ name: c.name, op: 'set' as const, value: c.value })),
        }),
        async (change) => {
          // ACLs: ALTER_CONFIGS on the topic, or on the cluster for a broker.
          const denied = configAccessError(services, context.session, 'ALTER_CONFIGS', change);
          if (denied !== null) return { errorCode: denied, errorMessage: null, resourceType: change.resourceType, resourceName: change.resourceName };
          return alterResourceConfigs(services, change, true, request.validateOnly);
        },
      );
      return { throttleTimeMs: 0, responses };
    },
  };
}

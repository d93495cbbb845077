// IncrementalAlterConfigs (key 44, KIP-339): changes only the configs it names, each by an
// operation: SET (0), DELETE (1, back to the default), APPEND (2) and SUBTRACT (3) for lists.
//
//   IncrementalAlterConfigsRequest => [resources] validate_only
//     resources => resource_type resource_name [configs]
//       configs => name config_operation value
//   IncrementalAlterConfigsResponse => throttle_time_ms [responses]
//     responses => error_code error_message resource_type resource_name

import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { alterAll, alterResourceConfigs } from '../config-admin.ts';
import { configAccessError } from '../config-resources.ts';
import { CONFIG_OPERATIONS } from '../../metadata/config-changes.ts';
import {
  incrementalAlterConfigs,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/apis/incremental-alter-configs.ts';

export function incrementalAlterConfigsHandler(services: BrokerServices): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  return {
    api: incrementalAlterConfigs,
    async handle(request, context) {
      const responses = await alterAll(
        request.resources,
        (r) => {
          const bad = r.configs.find((c) => CONFIG_OPERATIONS[c.configOperation] === undefined);
          if (bad) return `config "${bad.name}": unknown operation ${bad.configOperation} (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT)`;
          return {
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            ops: r.configs.map((c) => ({ name: c.name, op: CONFIG_OPERATIONS[c.configOperation], value: c.value })),
          };
        },
        async (change) => {
          // ACLs: ALTER_CONFIGS on the topic, or on the cluster for a broker.
          const denied = configAccessError(services, context.session, 'ALTER_CONFIGS', change);
          if (denied !== null) return { errorCode: denied, errorMessage: null, resourceType: change.resourceType, resourceName: change.resourceName };
          return alterResourceConfigs(services, change, false, request.validateOnly);
        },
      );
      return { throttleTimeMs: 0, responses };
    },
  };
}

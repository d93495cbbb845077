// ListGroups (key 16): the groups this broker coordinates.
//
//   ListGroupsRequest => [states_filter](v4+)
//   ListGroupsResponse => throttle_time_ms(v1+) error_code [groups]
//     groups => group_id protocol_type group_state(v4+)
//
// Each broker lists only its own groups; admin clients ask every broker and merge.

import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { listGroups, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/apis/list-groups.ts';

export function listGroupsHandler(services: BrokerServices): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    api: listGroups,
    handle(request, context) {
      const filter: string[] = context.apiVersion >= 4 ? (request.statesFilter ?? []) : [];
      const groups = services.groups.listGroups(filter);
      // ACLs: DESCRIBE on the cluster lists every group; without it, the groups the session may describe (Kafka's rule).
      const { authorizer } = services;
      const visible = authorizer.allowed(context.session, 'DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)
        ? groups
        : groups.filter((g) => authorizer.allowed(context.session, 'DESCRIBE', 'GROUP', g.groupId));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: visible };
    },
  };
}

// ListGroups (key 16): the groups this broker coordinates.
//
//   ListGroupsRequest => [states_filter](v4+)
//   ListGroupsResponse => throttle_time_ms(v1+) error_code [groups]
//     groups => group_id protocol_type group_state(v4+)
//
// Each broker lists only its own groups; admin clients ask every broker and merge.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { listGroups, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/apis/list-groups.ts';

export function listGroupsHandler(services: BrokerServices): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    api: listGroups,
    handle(request, context) {
      const filter: string[] = context.apiVersion >= 4 ? (request.statesFilter ?? []) : [];
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: services.groups.listGroups(filter) };
    },
  };
}

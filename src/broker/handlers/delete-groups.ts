// DeleteGroups (key 42): delete empty groups and their committed offsets.
//
//   DeleteGroupsRequest => [groups_names]
//   DeleteGroupsResponse => throttle_time_ms [results]
//     results => group_id error_code
//
// A group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. Deletion writes
// tombstones for the group and each of its offsets to __consumer_offsets before the answer.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { deleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/apis/delete-groups.ts';

export function deleteGroupsHandler(services: BrokerServices): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    api: deleteGroups,
    async handle(request, context) {
      const results: Array<{ groupId: string; errorCode: number }> = [];
      for (const groupId of request.groupsNames) {
        // ACLs: DELETE on the group, as Kafka.
        if (!services.authorizer.check(context.session, 'DELETE', 'GROUP', groupId)) {
          results.push({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
          continue;
        }
        results.push({ groupId, errorCode: await services.groups.deleteGroup(groupId) });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}

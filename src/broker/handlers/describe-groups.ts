// DescribeGroups (key 15): state, protocol and members of groups.
//
//   DescribeGroupsRequest => [groups] include_authorized_operations(v3+)
//   DescribeGroupsResponse => throttle_time_ms(v1+) [groups]
//     groups => error_code group_id group_state protocol_type protocol_data [members]
//         authorized_operations(v3+)
//       members => member_id group_instance_id(v4+) client_id client_host member_metadata
//           member_assignment
//
// As in Kafka, an unknown group is described with state "Dead" and no error, and member metadata
// and assignments are shown only for a Stable group. A group the session may not DESCRIBE (ACLs)
// is answered GROUP_AUTHORIZATION_FAILED and nothing else about it.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, authorizedOperations } from '../authorized-operations.ts';
import { describeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/apis/describe-groups.ts';

export function describeGroupsHandler(services: BrokerServices): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    api: describeGroups,
    handle(request, context) {
      const groups = request.groups.map((groupId) => {
        if (!services.authorizer.check(context.session, 'DESCRIBE', 'GROUP', groupId)) {
          return {
            errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
            groupId,
            groupState: '',
            protocolType: '',
            protocolData: '',
            members: [],
            authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
          };
        }
        const { errorCode, summary } = services.groups.describeGroup(groupId);
        return {
          errorCode,
          groupId,
          groupState: summary.state,
          protocolType: summary.protocolType,
          protocolData: summary.protocolName,
          members: summary.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: authorizedOperations(services.authorizer, context.session, 'GROUP', groupId, request.includeAuthorizedOperations),
        };
      });
      return { throttleTimeMs: 0, groups };
    },
  };
}

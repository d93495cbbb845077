// SyncGroup (key 14): members fetch their assignment; the leader brings everyone's.
//
//   SyncGroupRequest => group_id generation_id member_id group_instance_id(v3+)
//       protocol_type(v5+) protocol_name(v5+) [assignments]
//     assignments => member_id assignment
//   SyncGroupResponse => throttle_time_ms(v1+) error_code protocol_type(v5+) protocol_name(v5+)
//       assignment
//
// Followers wait until the leader's SyncGroup arrives; the leader's assignment is relayed byte for
// byte and made durable in __consumer_offsets before anyone is answered.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { syncGroup, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/apis/sync-group.ts';

export function syncGroupHandler(services: BrokerServices): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    api: syncGroup,
    async handle(request, context) {
      // ACLs: READ on the group, as Kafka.
      if (!services.authorizer.check(context.session, 'READ', 'GROUP', request.groupId)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      }
      const answer = await services.groups.sync(request.groupId, {
        memberId: request.memberId,
        groupInstanceId: context.apiVersion >= 3 ? (request.groupInstanceId ?? null) : null,
        generationId: request.generationId,
        protocolType: context.apiVersion >= 5 ? (request.protocolType ?? null) : null,
        protocolName: context.apiVersion >= 5 ? (request.protocolName ?? null) : null,
        assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      });
      return {
        throttleTimeMs: 0,
        errorCode: answer.errorCode,
        protocolType: answer.protocolType,
        protocolName: answer.protocolName,
        assignment: answer.assignment,
      };
    },
  };
}

// LeaveGroup (key 13): members leave a group, which then rebalances without them.
//
//   LeaveGroupRequest => group_id member_id(v0-2) [members](v3+)
//     members => member_id group_instance_id reason(v5+)
//   LeaveGroupResponse => throttle_time_ms(v1+) error_code [members](v3+)
//     members => member_id group_instance_id error_code
//
// v3 (KIP-345) leaves several members at once, static members by their group instance id; each
// member gets its own error. Before v3 the one member's error is the response's error. A member's
// reason for leaving (v5+, KIP-800) is logged.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { leaveGroup, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/apis/leave-group.ts';

export function leaveGroupHandler(services: BrokerServices): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    api: leaveGroup,
    handle(request, context) {
      const batch = context.apiVersion >= 3;
      // ACLs: READ on the group, as Kafka.
      if (!services.authorizer.check(context.session, 'READ', 'GROUP', request.groupId)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
      }
      for (const m of batch ? request.members : []) {
        if (m.reason) services.logger.info({ group: request.groupId, member: m.memberId, reason: m.reason }, 'member leaves the group');
      }
      const members: Array<{ memberId: string; groupInstanceId: string | null }> = batch
        ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null }))
        : [{ memberId: request.memberId, groupInstanceId: null }];
      const result = services.groups.leave(request.groupId, members);
      if (!batch) {
        const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : result.members[0];
        return { throttleTimeMs: 0, errorCode };
      }
      return {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        members: result.errorCode !== ErrorCode.NONE ? [] : members.map((m, i) => ({ ...m, errorCode: result.members[i] })),
      };
    },
  };
}

// Heartbeat (key 12): a member shows it is alive and learns whether a rebalance started.
//
//   HeartbeatRequest => group_id generation_id member_id group_instance_id(v3+)
//   HeartbeatResponse => throttle_time_ms(v1+) error_code
//
// REBALANCE_IN_PROGRESS tells the member to rejoin; ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID that
// it is no longer part of the group it thinks it is in.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { heartbeat, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/apis/heartbeat.ts';

export function heartbeatHandler(services: BrokerServices): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: heartbeat,
    handle(request, context) {
      // ACLs: READ on the group, as Kafka.
      if (!services.authorizer.check(context.session, 'READ', 'GROUP', request.groupId))
        return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const errorCode = services.groups.heartbeat(
        request.groupId,
        request.memberId,
        context.apiVersion >= 3 ? (request.groupInstanceId ?? null) : null,
        request.generationId,
      );
      return { throttleTimeMs: 0, errorCode };
    },
  };
}

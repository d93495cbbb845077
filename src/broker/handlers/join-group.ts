// JoinGroup (key 11): a member joins (or rejoins) a group and waits for the rebalance.
//
//   JoinGroupRequest => group_id session_timeout_ms rebalance_timeout_ms(v1+) member_id
//       group_instance_id(v5+) protocol_type [protocols] reason(v8+)
//     protocols => name metadata
//   JoinGroupResponse => throttle_time_ms(v2+) error_code generation_id protocol_type(v7+)
//       protocol_name leader skip_assignment(v9+) member_id [members]
//     members => member_id group_instance_id(v5+) metadata
//
// The request is parked until the group completes its join phase (group.ts). From v4 a new
// dynamic member first gets MEMBER_ID_REQUIRED with its id and must join again with it (KIP-394).
// A member's reason for rejoining (v8+, KIP-800) is logged, as Kafka logs it with the rebalance.
// skip_assignment (v9) is always false: the leader computes the assignment, which is always right;
// Kafka sets it only when a static leader rejoins and nothing changed.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { joinGroup, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/apis/join-group.ts';

export function joinGroupHandler(services: BrokerServices): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    api: joinGroup,
    async handle(request, context) {
      // ACLs: READ on the group, as Kafka.
      if (!services.authorizer.check(context.session, 'READ', 'GROUP', request.groupId)) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          generationId: -1,
          protocolType: null,
          protocolName: context.apiVersion >= 7 ? null : '',
          leader: '',
          skipAssignment: false,
          memberId: request.memberId ?? '',
          members: [],
        };
      }
      if (request.reason) services.logger.info({ group: request.groupId, member: request.memberId, reason: request.reason }, 'member joins the group');
      const answer = await services.groups.join(request.groupId, {
        memberId: request.memberId ?? '',
        groupInstanceId: context.apiVersion >= 5 ? (request.groupInstanceId ?? null) : null,
        clientId: context.clientId ?? '',
        clientHost: `/${context.remoteAddress}`,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: context.apiVersion >= 1 ? request.rebalanceTimeoutMs : -1,
        protocolType: request.protocolType,
        protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        requireKnownMemberId: context.apiVersion >= 4,
      });
      return {
        throttleTimeMs: 0,
        errorCode: answer.errorCode,
        generationId: answer.generationId,
        protocolType: answer.protocolType,
        // Before v7 the protocol name is not nullable: an error answer carries an empty one.
        protocolName: answer.protocolName ?? (context.apiVersion >= 7 ? null : ''),
        leader: answer.leader,
        skipAssignment: false,
        memberId: answer.memberId,
        members: answer.members,
      };
    },
  };
}

// JoinGroup (key 11), versions 0-9; flexible from v6.
//
// JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
//   group_id => STRING, session_timeout_ms => INT32, member_id => STRING,
//   protocol_type => STRING
//   protocols => name metadata
//     name => STRING, metadata => BYTES
// JoinGroup Request (Version: 1-4) => group_id session_timeout_ms rebalance_timeout_ms
//                                     member_id protocol_type [protocols]
//   rebalance_timeout_ms => INT32
// JoinGroup Request (Version: 5) => ... member_id group_instance_id protocol_type [protocols]
//   group_instance_id => NULLABLE_STRING (KIP-345 static membership)
// JoinGroup Request (Version: 6-7) => as 5 with COMPACT forms and TAG_BUFFERs
// JoinGroup Request (Version: 8-9) => ... [protocols] reason TAG_BUFFER
//   reason => COMPACT_NULLABLE_STRING (why the member rejoins, KIP-800)
//
// JoinGroup Response (Version: 0-1) => error_code generation_id protocol_name leader
//                                      member_id [members]
//   error_code => INT16, generation_id => INT32, protocol_name => STRING,
//   leader => STRING, member_id => STRING
//   members => member_id metadata
//     member_id => STRING, metadata => BYTES
// JoinGroup Response (Version: 2-4) => throttle_time_ms error_code ...
// JoinGroup Response (Version: 5) => members => member_id group_instance_id metadata
//   group_instance_id => NULLABLE_STRING
// JoinGroup Response (Version: 6) => as 5 with COMPACT forms and TAG_BUFFERs
// JoinGroup Response (Version: 7) => throttle_time_ms error_code generation_id protocol_type
//                                    protocol_name leader member_id [members] TAG_BUFFER
//   protocol_type => COMPACT_NULLABLE_STRING, protocol_name => COMPACT_NULLABLE_STRING
// JoinGroup Response (Version: 8) => as 7
// JoinGroup Response (Version: 9) => ... leader skip_assignment member_id [members] TAG_BUFFER
//   skip_assignment => BOOLEAN (the leader need not compute an assignment)

import { defineApi } from '../api.ts';
import { array, bool, bytes, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'JoinGroupRequest',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field('sessionTimeoutMs', int32, { versions: '0+' }),
    field('rebalanceTimeoutMs', int32, { versions: '1+', default: -1 }),
    field('memberId', string, { versions: '0+' }),
    field('groupInstanceId', string, { versions: '5+', nullableVersions: '5+', default: null }),
    field('protocolType', string, { versions: '0+' }),
    field('protocols', array(struct([field('name', string, { versions: '0+' }), field('metadata', bytes, { versions: '0+' })])), { versions: '0+' }),
    field('reason', string, { versions: '8+', nullableVersions: '8+', default: null }),
  ],
});

const response = message({
  name: 'JoinGroupResponse',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    field('throttleTimeMs', int32, { versions: '2+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('generationId', int32, { versions: '0+', default: -1 }),
    field('protocolType', string, { versions: '7+', nullableVersions: '7+', default: null }),
    field('protocolName', string, { versions: '0+', nullableVersions: '7+' }),
    field('leader', string, { versions: '0+' }),
    field('skipAssignment', bool, { versions: '9+', default: false }),
    field('memberId', string, { versions: '0+' }),
    field(
      'members',
      array(
        struct([
          field('memberId', string, { versions: '0+' }),
          field('groupInstanceId', string, { versions: '5+', nullableVersions: '5+', default: null }),
          field('metadata', bytes, { versions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const joinGroup = defineApi({ apiKey: 11, name: 'JoinGroup', request, response });
export type JoinGroupRequest = MessageValue<typeof request>;
export type JoinGroupResponse = MessageValue<typeof response>;

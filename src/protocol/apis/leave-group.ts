// LeaveGroup (key 13), versions 0-5; flexible from v4. v3 batches members (KIP-345).
//
// LeaveGroup Request (Version: 0-2) => group_id member_id
//   group_id => STRING, member_id => STRING
// LeaveGroup Request (Version: 3) => group_id [members]
//   members => member_id group_instance_id
//     member_id => STRING, group_instance_id => NULLABLE_STRING
// LeaveGroup Request (Version: 4) => as 3 with COMPACT forms and TAG_BUFFERs
// LeaveGroup Request (Version: 5) => members => member_id group_instance_id reason TAG_BUFFER
//   reason => COMPACT_NULLABLE_STRING (why the member leaves, KIP-800)
//
// LeaveGroup Response (Version: 0) => error_code
//   error_code => INT16
// LeaveGroup Response (Version: 1-2) => throttle_time_ms error_code
// LeaveGroup Response (Version: 3) => throttle_time_ms error_code [members]
//   members => member_id group_instance_id error_code
//     member_id => STRING, group_instance_id => NULLABLE_STRING, error_code => INT16
// LeaveGroup Response (Version: 4-5) => as 3 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'LeaveGroupRequest',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field('memberId', string, { versions: '0-2' }),
    field(
      'members',
      array(
        struct([
          field('memberId', string, { versions: '3+' }),
          field('groupInstanceId', string, { versions: '3+', nullableVersions: '3+', default: null }),
          field('reason', string, { versions: '5+', nullableVersions: '5+', default: null }),
        ]),
      ),
      { versions: '3+' },
    ),
  ],
});

const response = message({
  name: 'LeaveGroupResponse',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field('errorCode', int16, { versions: '0+' }),
    field(
      'members',
      array(
        struct([
          field('memberId', string, { versions: '3+' }),
          field('groupInstanceId', string, { versions: '3+', nullableVersions: '3+' }),
          field('errorCode', int16, { versions: '3+' }),
        ]),
      ),
      { versions: '3+' },
    ),
  ],
});

export const leaveGroup = defineApi({ apiKey: 13, name: 'LeaveGroup', request, response });
export type LeaveGroupRequest = MessageValue<typeof request>;
export type LeaveGroupResponse = MessageValue<typeof response>;

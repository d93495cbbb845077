// SyncGroup (key 14), versions 0-5; flexible from v4.
//
// SyncGroup Request (Version: 0-2) => group_id generation_id member_id [assignments]
//   group_id => STRING, generation_id => INT32, member_id => STRING
//   assignments => member_id assignment
//     member_id => STRING, assignment => BYTES
// SyncGroup Request (Version: 3) => group_id generation_id member_id group_instance_id
//                                   [assignments]
//   group_instance_id => NULLABLE_STRING
// SyncGroup Request (Version: 4) => as 3 with COMPACT forms and TAG_BUFFERs
// SyncGroup Request (Version: 5) => group_id generation_id member_id group_instance_id
//                                   protocol_type protocol_name [assignments] TAG_BUFFER
//   protocol_type => COMPACT_NULLABLE_STRING, protocol_name => COMPACT_NULLABLE_STRING
//
// SyncGroup Response (Version: 0) => error_code assignment
//   error_code => INT16, assignment => BYTES
// SyncGroup Response (Version: 1-3) => throttle_time_ms error_code assignment
// SyncGroup Response (Version: 4) => as 1 with COMPACT forms and TAG_BUFFER
// SyncGroup Response (Version: 5) => throttle_time_ms error_code protocol_type protocol_name
//                                    assignment TAG_BUFFER

import { defineApi } from '../api.ts';
import { array, bytes, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'SyncGroupRequest',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field('generationId', int32, { versions: '0+' }),
    field('memberId', string, { versions: '0+' }),
    field('groupInstanceId', string, { versions: '3+', nullableVersions: '3+', default: null }),
    field('protocolType', string, { versions: '5+', nullableVersions: '5+', default: null }),
    field('protocolName', string, { versions: '5+', nullableVersions: '5+', default: null }),
    field('assignments', array(struct([field('memberId', string, { versions: '0+' }), field('assignment', bytes, { versions: '0+' })])), { versions: '0+' }),
  ],
});

const response = message({
  name: 'SyncGroupResponse',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('protocolType', string, { versions: '5+', nullableVersions: '5+', default: null }),
    field('protocolName', string, { versions: '5+', nullableVersions: '5+', default: null }),
    field('assignment', bytes, { versions: '0+' }),
  ],
});

export const syncGroup = defineApi({ apiKey: 14, name: 'SyncGroup', request, response });
export type SyncGroupRequest = MessageValue<typeof request>;
export type SyncGroupResponse = MessageValue<typeof response>;

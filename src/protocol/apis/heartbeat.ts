// Heartbeat (key 12), versions 0-4; flexible from v4.
//
// Heartbeat Request (Version: 0-2) => group_id generation_id member_id
//   group_id => STRING, generation_id => INT32, member_id => STRING
// Heartbeat Request (Version: 3) => group_id generation_id member_id group_instance_id
//   group_instance_id => NULLABLE_STRING
// Heartbeat Request (Version: 4) => as 3 with COMPACT forms and TAG_BUFFER
//
// Heartbeat Response (Version: 0) => error_code
//   error_code => INT16
// Heartbeat Response (Version: 1-3) => throttle_time_ms error_code
// Heartbeat Response (Version: 4) => throttle_time_ms error_code TAG_BUFFER

import { defineApi } from '../api.ts';
import { field, int16, int32, message, string, type MessageValue } from '../schema.ts';

const request = message({
  name: 'HeartbeatRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field('generationId', int32, { versions: '0+' }),
    field('memberId', string, { versions: '0+' }),
    field('groupInstanceId', string, { versions: '3+', nullableVersions: '3+', default: null }),
  ],
});

const response = message({
  name: 'HeartbeatResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [field('throttleTimeMs', int32, { versions: '1+' }), field('errorCode', int16, { versions: '0+' })],
});

export const heartbeat = defineApi({ apiKey: 12, name: 'Heartbeat', request, response });
export type HeartbeatRequest = MessageValue<typeof request>;
export type HeartbeatResponse = MessageValue<typeof response>;

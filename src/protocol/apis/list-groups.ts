// ListGroups (key 16), versions 0-4; flexible from v3.
//
// ListGroups Request (Version: 0-2) =>
// ListGroups Request (Version: 3) => TAG_BUFFER
// ListGroups Request (Version: 4) => [states_filter] TAG_BUFFER
//   states_filter => COMPACT_STRING
//
// ListGroups Response (Version: 0) => error_code [groups]
//   error_code => INT16
//   groups => group_id protocol_type
//     group_id => STRING, protocol_type => STRING
// ListGroups Response (Version: 1-2) => throttle_time_ms error_code [groups]
// ListGroups Response (Version: 3) => as 1 with COMPACT forms and TAG_BUFFERs
// ListGroups Response (Version: 4) => groups => group_id protocol_type group_state TAG_BUFFER
//   group_state => COMPACT_STRING

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'ListGroupsRequest',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [field('statesFilter', array(string), { versions: '4+' })],
});

const response = message({
  name: 'ListGroupsResponse',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field('errorCode', int16, { versions: '0+' }),
    field(
      'groups',
      array(
        struct([
          field('groupId', string, { versions: '0+' }),
          field('protocolType', string, { versions: '0+' }),
          field('groupState', string, { versions: '4+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const listGroups = defineApi({ apiKey: 16, name: 'ListGroups', request, response });
export type ListGroupsRequest = MessageValue<typeof request>;
export type ListGroupsResponse = MessageValue<typeof response>;

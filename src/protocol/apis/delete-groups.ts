// DeleteGroups (key 42), versions 0-2; flexible from v2.
//
// DeleteGroups Request (Version: 0-1) => [groups_names]
//   groups_names => STRING
// DeleteGroups Request (Version: 2) => as 0 with COMPACT forms and TAG_BUFFER
//
// DeleteGroups Response (Version: 0-1) => throttle_time_ms [results]
//   throttle_time_ms => INT32
//   results => group_id error_code
//     group_id => STRING, error_code => INT16
// DeleteGroups Response (Version: 2) => as 0 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DeleteGroupsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [field('groupsNames', array(string), { versions: '0+' })],
});

const response = message({
  name: 'DeleteGroupsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('results', array(struct([field('groupId', string, { versions: '0+' }), field('errorCode', int16, { versions: '0+' })])), { versions: '0+' }),
  ],
});

export const deleteGroups = defineApi({ apiKey: 42, name: 'DeleteGroups', request, response });
export type DeleteGroupsRequest = MessageValue<typeof request>;
export type DeleteGroupsResponse = MessageValue<typeof response>;

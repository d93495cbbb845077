// DescribeGroups (key 15), versions 0-5; flexible from v5.
//
// DescribeGroups Request (Version: 0-2) => [groups]
//   groups => STRING
// DescribeGroups Request (Version: 3-4) => [groups] include_authorized_operations
//   include_authorized_operations => BOOLEAN
// DescribeGroups Request (Version: 5) => as 3 with COMPACT forms and TAG_BUFFER
//
// DescribeGroups Response (Version: 0) => [groups]
//   groups => error_code group_id group_state protocol_type protocol_data [members]
//     error_code => INT16, group_id => STRING, group_state => STRING,
//     protocol_type => STRING, protocol_data => STRING
//     members => member_id client_id client_host member_metadata member_assignment
//       member_id => STRING, client_id => STRING, client_host => STRING,
//       member_metadata => BYTES, member_assignment => BYTES
// DescribeGroups Response (Version: 1-2) => throttle_time_ms [groups]
// DescribeGroups Response (Version: 3) => groups gain authorized_operations (INT32) at the end
// DescribeGroups Response (Version: 4) => members gain group_instance_id (NULLABLE_STRING)
//                                         after member_id
// DescribeGroups Response (Version: 5) => as 4 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, bool, bytes, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeGroupsRequest',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [field('groups', array(string), { versions: '0+' }), field('includeAuthorizedOperations', bool, { versions: '3+' })],
});

const response = message({
  name: 'DescribeGroupsResponse',
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field(
      'groups',
      array(
        struct([
          field('errorCode', int16, { versions: '0+' }),
          field('groupId', string, { versions: '0+' }),
          field('groupState', string, { versions: '0+' }),
          field('protocolType', string, { versions: '0+' }),
          field('protocolData', string, { versions: '0+' }),
          field(
            'members',
            array(
              struct([
                field('memberId', string, { versions: '0+' }),
                field('groupInstanceId', string, { versions: '4+', nullableVersions: '4+', default: null }),
                field('clientId', string, { versions: '0+' }),
                field('clientHost', string, { versions: '0+' }),
                field('memberMetadata', bytes, { versions: '0+' }),
                field('memberAssignment', bytes, { versions: '0+' }),
              ]),
            ),
            { versions: '0+' },
          ),
          field('authorizedOperations', int32, { versions: '3+', default: -2147483648 }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const describeGroups = defineApi({ apiKey: 15, name: 'DescribeGroups', request, response });
export type DescribeGroupsRequest = MessageValue<typeof request>;
export type DescribeGroupsResponse = MessageValue<typeof response>;

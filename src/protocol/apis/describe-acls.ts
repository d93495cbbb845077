// DescribeAcls (key 29), versions 0-3; flexible from v2. The ACL bindings a filter matches,
// grouped by resource pattern.
//
// DescribeAcls Request (Version: 0) => resource_type_filter resource_name_filter principal_filter
//     host_filter operation permission_type
//   resource_type_filter => INT8, resource_name_filter => NULLABLE_STRING
//   principal_filter => NULLABLE_STRING, host_filter => NULLABLE_STRING
//   operation => INT8, permission_type => INT8
// DescribeAcls Request (Version: 1) => as 0 with pattern_type_filter => INT8 after resource_name_filter
// DescribeAcls Request (Version: 2-3) => as 1 with COMPACT forms and TAG_BUFFER
//
// DescribeAcls Response (Version: 0) => throttle_time_ms error_code error_message [resources]
//   throttle_time_ms => INT32, error_code => INT16, error_message => NULLABLE_STRING
//   resources => resource_type resource_name [acls]
//     resource_type => INT8, resource_name => STRING
//     acls => principal host operation permission_type
//       principal => STRING, host => STRING, operation => INT8, permission_type => INT8
// DescribeAcls Response (Version: 1) => as 0 with pattern_type => INT8 after resource_name
// DescribeAcls Response (Version: 2-3) => as 1 with COMPACT forms and TAG_BUFFERs
//
// v0 requests and answers have no pattern type: they mean LITERAL (3).

import { defineApi } from '../api.ts';
import { array, field, int8, message, string, struct, type MessageValue } from '../schema.ts';
import { aclAccessFields, aclFilterFields } from './acl-fields.ts';
import { responseHeadFields } from './reassignment-fields.ts';

const request = message({
  name: 'DescribeAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: aclFilterFields,
});

const response = message({
  name: 'DescribeAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    ...responseHeadFields(),
    field(
      'resources',
      array(
        struct([
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field('patternType', int8, { versions: '1+', default: 3 }),
          field('acls', array(struct(aclAccessFields)), { versions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const describeAcls = defineApi({ apiKey: 29, name: 'DescribeAcls', request, response });
export type DescribeAclsRequest = MessageValue<typeof request>;
export type DescribeAclsResponse = MessageValue<typeof response>;

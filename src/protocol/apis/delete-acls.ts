// DeleteAcls (key 31), versions 0-3; flexible from v2. Deletes the bindings each filter matches
// and answers, per filter, the bindings it deleted.
//
// DeleteAcls Request (Version: 0) => [filters]
//   filters => resource_type_filter resource_name_filter principal_filter host_filter operation
//       permission_type
//     resource_type_filter => INT8, resource_name_filter => NULLABLE_STRING
//     principal_filter => NULLABLE_STRING, host_filter => NULLABLE_STRING
//     operation => INT8, permission_type => INT8
// DeleteAcls Request (Version: 1) => as 0 with pattern_type_filter => INT8 after resource_name_filter
// DeleteAcls Request (Version: 2-3) => as 1 with COMPACT forms and TAG_BUFFERs
//
// DeleteAcls Response (Version: 0) => throttle_time_ms [filter_results]
//   throttle_time_ms => INT32
//   filter_results => error_code error_message [matching_acls]
//     error_code => INT16, error_message => NULLABLE_STRING
//     matching_acls => error_code error_message resource_type resource_name principal host
//         operation permission_type
//       error_code => INT16, error_message => NULLABLE_STRING, resource_type => INT8
//       resource_name => STRING, principal => STRING, host => STRING
//       operation => INT8, permission_type => INT8
// DeleteAcls Response (Version: 1) => as 0 with pattern_type => INT8 after resource_name
// DeleteAcls Response (Version: 2-3) => as 1 with COMPACT forms and TAG_BUFFERs
//
// v0 filters have no pattern type: they mean LITERAL (3).

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';
import { aclAccessFields, aclFilterFields } from './acl-fields.ts';

const request = message({
  name: 'DeleteAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [field('filters', array(struct(aclFilterFields)), { versions: '0+' })],
});

const errorFields = [field('errorCode', int16, { versions: '0+' }), field('errorMessage', string, { versions: '0+', nullableVersions: '0+' })] as const;

const response = message({
  name: 'DeleteAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'filterResults',
      array(
        struct([
          ...errorFields,
          field(
            'matchingAcls',
            array(
              struct([
                ...errorFields,
                field('resourceType', int8, { versions: '0+' }),
                field('resourceName', string, { versions: '0+' }),
                field('patternType', int8, { versions: '1+', default: 3 }),
                ...aclAccessFields,
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const deleteAcls = defineApi({ apiKey: 31, name: 'DeleteAcls', request, response });
export type DeleteAclsRequest = MessageValue<typeof request>;
export type DeleteAclsResponse = MessageValue<typeof response>;

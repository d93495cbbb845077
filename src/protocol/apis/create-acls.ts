// CreateAcls (key 30), versions 0-3; flexible from v2. Adds ACL bindings; one result per creation.
//
// CreateAcls Request (Version: 0) => [creations]
//   creations => resource_type resource_name principal host operation permission_type
//     resource_type => INT8, resource_name => STRING, principal => STRING, host => STRING
//     operation => INT8, permission_type => INT8
// CreateAcls Request (Version: 1) => as 0 with resource_pattern_type => INT8 after resource_name
// CreateAcls Request (Version: 2-3) => as 1 with COMPACT forms and TAG_BUFFERs
//
// CreateAcls Response (Version: 0-1) => throttle_time_ms [results]
//   throttle_time_ms => INT32
//   results => error_code error_message
//     error_code => INT16, error_message => NULLABLE_STRING
// CreateAcls Response (Version: 2-3) => as 0 with COMPACT forms and TAG_BUFFERs
//
// v0 creations have no pattern type: they are LITERAL (3).

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';
import { aclAccessFields } from './acl-fields.ts';

const request = message({
  name: 'CreateAclsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field(
      'creations',
      array(
        struct([
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field('resourcePatternType', int8, { versions: '1+', default: 3 }),
          ...aclAccessFields,
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

const response = message({
  name: 'CreateAclsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'results',
      array(struct([field('errorCode', int16, { versions: '0+' }), field('errorMessage', string, { versions: '0+', nullableVersions: '0+' })])),
      { versions: '0+' },
    ),
  ],
});

export const createAcls = defineApi({ apiKey: 30, name: 'CreateAcls', request, response });
export type CreateAclsRequest = MessageValue<typeof request>;
export type CreateAclsResponse = MessageValue<typeof response>;

// AlterConfigs (key 33), versions 0-2; flexible from v2. Replaces a resource's whole set of
// dynamic configs: a config not named in the request goes back to its default.
//
// AlterConfigs Request (Version: 0-1) => [resources] validate_only
//   resources => resource_type resource_name [configs]
//     resource_type => INT8 (2 = topic, 4 = broker), resource_name => STRING
//     configs => name value
//       name => STRING, value => NULLABLE_STRING
//   validate_only => BOOLEAN
// AlterConfigs Request (Version: 2) => as 0 with COMPACT forms and TAG_BUFFERs
//
// AlterConfigs Response (Version: 0-1) => throttle_time_ms [responses]
//   throttle_time_ms => INT32
//   responses => error_code error_message resource_type resource_name
//     error_code => INT16, error_message => NULLABLE_STRING
//     resource_type => INT8, resource_name => STRING
// AlterConfigs Response (Version: 2) => as 0 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'AlterConfigsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field(
      'resources',
      array(
        struct([
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field('configs', array(struct([field('name', string, { versions: '0+' }), field('value', string, { versions: '0+', nullableVersions: '0+' })])), {
            versions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('validateOnly', bool, { versions: '0+' }),
  ],
});

/** The per-resource answer, the same in AlterConfigs and IncrementalAlterConfigs. */
export function alterConfigsResourceResponses() {
  return field(
    'responses',
    array(
      struct([
        field('errorCode', int16, { versions: '0+' }),
        field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
        field('resourceType', int8, { versions: '0+' }),
        field('resourceName', string, { versions: '0+' }),
      ]),
    ),
    { versions: '0+' },
  );
}

const response = message({
  name: 'AlterConfigsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [field('throttleTimeMs', int32, { versions: '0+' }), alterConfigsResourceResponses()],
});

export const alterConfigs = defineApi({ apiKey: 33, name: 'AlterConfigs', request, response });
export type AlterConfigsRequest = MessageValue<typeof request>;
export type AlterConfigsResponse = MessageValue<typeof response>;

// IncrementalAlterConfigs (key 44), versions 0-1; flexible from v1 (KIP-339). Changes only the
// configs it names, each with an operation: 0 SET, 1 DELETE (back to the default), 2 APPEND and
// 3 SUBTRACT (list configs only).
//
// IncrementalAlterConfigs Request (Version: 0) => [resources] validate_only
//   resources => resource_type resource_name [configs]
//     resource_type => INT8 (2 = topic, 4 = broker), resource_name => STRING
//     configs => name config_operation value
//       name => STRING, config_operation => INT8, value => NULLABLE_STRING
//   validate_only => BOOLEAN
// IncrementalAlterConfigs Request (Version: 1) => as 0 with COMPACT forms and TAG_BUFFERs
//
// IncrementalAlterConfigs Response (Version: 0) => throttle_time_ms [responses]
//   throttle_time_ms => INT32
//   responses => error_code error_message resource_type resource_name
//     error_code => INT16, error_message => NULLABLE_STRING
//     resource_type => INT8, resource_name => STRING
// IncrementalAlterConfigs Response (Version: 1) => as 0 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, bool, field, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';
import { alterConfigsResourceResponses } from './alter-configs.ts';

const request = message({
  name: 'IncrementalAlterConfigsRequest',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    field(
      'resources',
      array(
        struct([
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field(
            'configs',
            array(
              struct([
                field('name', string, { versions: '0+' }),
                field('configOperation', int8, { versions: '0+' }),
                field('value', string, { versions: '0+', nullableVersions: '0+' }),
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
    field('validateOnly', bool, { versions: '0+' }),
  ],
});

const response = message({
  name: 'IncrementalAlterConfigsResponse',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [field('throttleTimeMs', int32, { versions: '0+' }), alterConfigsResourceResponses()],
});

export const incrementalAlterConfigs = defineApi({ apiKey: 44, name: 'IncrementalAlterConfigs', request, response });
export type IncrementalAlterConfigsRequest = MessageValue<typeof request>;
export type IncrementalAlterConfigsResponse = MessageValue<typeof response>;

// DescribeConfigs (key 32), versions 0-4; flexible from v4.
//
// DescribeConfigs Request (Version: 0) => [resources]
//   resources => resource_type resource_name [configuration_keys]
//     resource_type => INT8 (2 = topic, 4 = broker), resource_name => STRING
//     configuration_keys => STRING (NULLABLE array: null = all)
// DescribeConfigs Request (Version: 1-2) => [resources] include_synonyms
//   include_synonyms => BOOLEAN
// DescribeConfigs Request (Version: 3) => [resources] include_synonyms include_documentation
//   include_documentation => BOOLEAN
// DescribeConfigs Request (Version: 4) => as 3 with COMPACT forms and TAG_BUFFERs
//
// DescribeConfigs Response (Version: 0) => throttle_time_ms [results]
//   results => error_code error_message resource_type resource_name [configs]
//     error_code => INT16, error_message => NULLABLE_STRING
//     resource_type => INT8, resource_name => STRING
//     configs => name value read_only is_default is_sensitive
//       name => STRING, value => NULLABLE_STRING, read_only => BOOLEAN,
//       is_default => BOOLEAN, is_sensitive => BOOLEAN
// DescribeConfigs Response (Version: 1-2) => configs => name value read_only config_source
//                                                       is_sensitive [synonyms]
//   config_source => INT8
//   synonyms => name value source
//     name => STRING, value => NULLABLE_STRING, source => INT8
// DescribeConfigs Response (Version: 3) => configs gain config_type (INT8) and
//                                          documentation (NULLABLE_STRING) at the end
// DescribeConfigs Response (Version: 4) => as 3 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeConfigsRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field(
      'resources',
      array(
        struct([
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field('configurationKeys', array(string), { versions: '0+', nullableVersions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('includeSynonyms', bool, { versions: '1+', default: false }),
    field('includeDocumentation', bool, { versions: '3+', default: false }),
  ],
});

const response = message({
  name: 'DescribeConfigsResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'results',
      array(
        struct([
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
          field('resourceType', int8, { versions: '0+' }),
          field('resourceName', string, { versions: '0+' }),
          field(
            'configs',
            array(
              struct([
                field('name', string, { versions: '0+' }),
                field('value', string, { versions: '0+', nullableVersions: '0+' }),
                field('readOnly', bool, { versions: '0+' }),
                field('isDefault', bool, { versions: '0' }),
                field('configSource', int8, { versions: '1+', default: -1 }),
                field('isSensitive', bool, { versions: '0+' }),
                field(
                  'synonyms',
                  array(
                    struct([
                      field('name', string, { versions: '1+' }),
                      field('value', string, { versions: '1+', nullableVersions: '0+' }),
                      field('source', int8, { versions: '1+' }),
                    ]),
                  ),
                  { versions: '1+' },
                ),
                field('configType', int8, { versions: '3+', default: 0 }),
                field('documentation', string, { versions: '3+', nullableVersions: '0+' }),
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

export const describeConfigs = defineApi({ apiKey: 32, name: 'DescribeConfigs', request, response });
export type DescribeConfigsRequest = MessageValue<typeof request>;
export type DescribeConfigsResponse = MessageValue<typeof response>;

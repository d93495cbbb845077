// ApiVersions (key 18), versions 0-3; flexible from v3 (KIP-511 added the client name).
//
// ApiVersions Request (Version: 0-2) =>
// ApiVersions Request (Version: 3) => client_software_name client_software_version TAG_BUFFER
//   client_software_name => COMPACT_STRING
//   client_software_version => COMPACT_STRING
//
// ApiVersions Response (Version: 0) => error_code [api_keys]
// ApiVersions Response (Version: 1-2) => error_code [api_keys] throttle_time_ms
//   error_code => INT16
//   api_keys => api_key min_version max_version
//     api_key => INT16
//     min_version => INT16
//     max_version => INT16
//   throttle_time_ms => INT32
// ApiVersions Response (Version: 3) => error_code [api_keys] throttle_time_ms TAG_BUFFER
//   api_keys => api_key min_version max_version TAG_BUFFER
//   tagged: 0 supported_features [name min_version max_version]
//           1 finalized_features_epoch INT64 (default -1)
//           2 finalized_features [name max_version_level min_version_level]
//           3 zk_migration_ready BOOLEAN
//
// The response header is always v0 (see header.ts), and a broker answers an unsupported
// ApiVersions version with a v0 body carrying UNSUPPORTED_VERSION.

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'ApiVersionsRequest',
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [field('clientSoftwareName', string, { versions: '3+' }), field('clientSoftwareVersion', string, { versions: '3+' })],
});

const response = message({
  name: 'ApiVersionsResponse',
  validVersions: '0-3',
  flexibleVersions: '3+',
  fields: [
    field('errorCode', int16, { versions: '0+' }),
    field(
      'apiKeys',
      array(
        struct([field('apiKey', int16, { versions: '0+' }), field('minVersion', int16, { versions: '0+' }), field('maxVersion', int16, { versions: '0+' })]),
      ),
      { versions: '0+' },
    ),
    field('throttleTimeMs', int32, { versions: '1+' }),
    field(
      'supportedFeatures',
      array(
        struct([field('name', string, { versions: '3+' }), field('minVersion', int16, { versions: '3+' }), field('maxVersion', int16, { versions: '3+' })]),
      ),
      { versions: '3+', taggedVersions: '3+', tag: 0 },
    ),
    field('finalizedFeaturesEpoch', int64, { versions: '3+', taggedVersions: '3+', tag: 1, default: -1 }),
    field(
      'finalizedFeatures',
      array(
        struct([
          field('name', string, { versions: '3+' }),
          field('maxVersionLevel', int16, { versions: '3+' }),
          field('minVersionLevel', int16, { versions: '3+' }),
        ]),
      ),
      { versions: '3+', taggedVersions: '3+', tag: 2 },
    ),
    field('zkMigrationReady', bool, { versions: '3+', taggedVersions: '3+', tag: 3, default: false }),
  ],
});

export const apiVersions = defineApi({ apiKey: 18, name: 'ApiVersions', request, response });
export type ApiVersionsRequest = MessageValue<typeof request>;
export type ApiVersionsResponse = MessageValue<typeof response>;

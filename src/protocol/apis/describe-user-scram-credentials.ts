// DescribeUserScramCredentials (key 50), version 0; flexible (KIP-554).
//
// DescribeUserScramCredentials Request (Version: 0) => [users] TAG_BUFFER
//   users => name TAG_BUFFER        (COMPACT_NULLABLE_ARRAY: null describes every user)
//     name => COMPACT_STRING
//
// DescribeUserScramCredentials Response (Version: 0) => throttle_time_ms error_code error_message [results] TAG_BUFFER
//   throttle_time_ms => INT32
//   error_code => INT16
//   error_message => COMPACT_NULLABLE_STRING
//   results => user error_code error_message [credential_infos] TAG_BUFFER
//     user => COMPACT_STRING
//     error_code => INT16
//     error_message => COMPACT_NULLABLE_STRING
//     credential_infos => mechanism iterations TAG_BUFFER
//       mechanism => INT8            (1: SCRAM-SHA-256, 2: SCRAM-SHA-512)
//       iterations => INT32

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeUserScramCredentialsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [field('users', array(struct([field('name', string, { versions: '0+' })])), { versions: '0+', nullableVersions: '0+', default: null })],
});

const response = message({
  name: 'DescribeUserScramCredentialsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
    field(
      'results',
      array(
        struct([
          field('user', string, { versions: '0+' }),
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
          field('credentialInfos', array(struct([field('mechanism', int8, { versions: '0+' }), field('iterations', int32, { versions: '0+' })])), {
            versions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const describeUserScramCredentials = defineApi({ apiKey: 50, name: 'DescribeUserScramCredentials', request, response });
export type DescribeUserScramCredentialsRequest = MessageValue<typeof request>;
export type DescribeUserScramCredentialsResponse = MessageValue<typeof response>;

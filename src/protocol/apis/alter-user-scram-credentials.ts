// AlterUserScramCredentials (key 51), version 0; flexible (KIP-554). The client salts the
// password itself and sends SaltedPassword, so the password never crosses the wire.
//
// AlterUserScramCredentials Request (Version: 0) => [deletions] [upsertions] TAG_BUFFER
//   deletions => name mechanism TAG_BUFFER
//     name => COMPACT_STRING
//     mechanism => INT8              (1: SCRAM-SHA-256, 2: SCRAM-SHA-512)
//   upsertions => name mechanism iterations salt salted_password TAG_BUFFER
//     name => COMPACT_STRING
//     mechanism => INT8
//     iterations => INT32
//     salt => COMPACT_BYTES
//     salted_password => COMPACT_BYTES
//
// AlterUserScramCredentials Response (Version: 0) => throttle_time_ms [results] TAG_BUFFER
//   throttle_time_ms => INT32
//   results => user error_code error_message TAG_BUFFER
//     user => COMPACT_STRING
//     error_code => INT16
//     error_message => COMPACT_NULLABLE_STRING

import { defineApi } from '../api.ts';
import { array, bytes, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'AlterUserScramCredentialsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('deletions', array(struct([field('name', string, { versions: '0+' }), field('mechanism', int8, { versions: '0+' })])), { versions: '0+' }),
    field(
      'upsertions',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('mechanism', int8, { versions: '0+' }),
          field('iterations', int32, { versions: '0+' }),
          field('salt', bytes, { versions: '0+' }),
          field('saltedPassword', bytes, { versions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

const response = message({
  name: 'AlterUserScramCredentialsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'results',
      array(
        struct([
          field('user', string, { versions: '0+' }),
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const alterUserScramCredentials = defineApi({ apiKey: 51, name: 'AlterUserScramCredentials', request, response });
export type AlterUserScramCredentialsRequest = MessageValue<typeof request>;
export type AlterUserScramCredentialsResponse = MessageValue<typeof response>;

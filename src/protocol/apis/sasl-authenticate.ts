// SaslAuthenticate (key 36), versions 0-2; flexible from v2.
//
// SaslAuthenticate Request (Version: 0-1) => auth_bytes
//   auth_bytes => BYTES
// SaslAuthenticate Request (Version: 2) => auth_bytes TAG_BUFFER (COMPACT_BYTES)
//
// SaslAuthenticate Response (Version: 0) => error_code error_message auth_bytes
//   error_code => INT16, error_message => NULLABLE_STRING, auth_bytes => BYTES
// SaslAuthenticate Response (Version: 1) => error_code error_message auth_bytes
//                                           session_lifetime_ms
//   session_lifetime_ms => INT64
// SaslAuthenticate Response (Version: 2) => as 1 with COMPACT forms and TAG_BUFFER

import { defineApi } from '../api.ts';
import { bytes, field, int16, int64, message, string, type MessageValue } from '../schema.ts';

const request = message({
  name: 'SaslAuthenticateRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [field('authBytes', bytes, { versions: '0+' })],
});

const response = message({
  name: 'SaslAuthenticateResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field('errorCode', int16, { versions: '0+' }),
    field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
    field('authBytes', bytes, { versions: '0+' }),
    field('sessionLifetimeMs', int64, { versions: '1+', default: 0 }),
  ],
});

export const saslAuthenticate = defineApi({ apiKey: 36, name: 'SaslAuthenticate', request, response });
export type SaslAuthenticateRequest = MessageValue<typeof request>;
export type SaslAuthenticateResponse = MessageValue<typeof response>;

// SaslHandshake (key 17), versions 0-1; never flexible.
//
// SaslHandshake Request (Version: 0-1) => mechanism
//   mechanism => STRING
// (v0: the SASL tokens that follow travel as raw size-prefixed frames; v1: they travel in
//  SaslAuthenticate requests, KIP-152.)
//
// SaslHandshake Response (Version: 0-1) => error_code [mechanisms]
//   error_code => INT16
//   mechanisms => STRING

import { defineApi } from '../api.ts';
import { array, field, int16, message, string, type MessageValue } from '../schema.ts';

const request = message({
  name: 'SaslHandshakeRequest',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [field('mechanism', string, { versions: '0+' })],
});

const response = message({
  name: 'SaslHandshakeResponse',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [field('errorCode', int16, { versions: '0+' }), field('mechanisms', array(string), { versions: '0+' })],
});

export const saslHandshake = defineApi({ apiKey: 17, name: 'SaslHandshake', request, response });
export type SaslHandshakeRequest = MessageValue<typeof request>;
export type SaslHandshakeResponse = MessageValue<typeof response>;

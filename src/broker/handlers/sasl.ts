// SaslHandshake (key 17) and SaslAuthenticate (key 36): Runnel has no SASL mechanisms yet.
//
//   SaslHandshakeRequest => mechanism
//   SaslHandshakeResponse => error_code [mechanisms]
//   SaslAuthenticateRequest => auth_bytes
//   SaslAuthenticateResponse => error_code error_message auth_bytes session_lifetime_ms(v1+)
//
// We answer them rather than leave them out so that a client configured for SASL gets a clear
// UNSUPPORTED_SASL_MECHANISM with the (empty) list of what we offer, instead of a dropped connection.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import { saslHandshake, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/apis/sasl-handshake.ts';
import { saslAuthenticate, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/apis/sasl-authenticate.ts';

export function saslHandshakeHandler(): ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> {
  return {
    api: saslHandshake,
    handle() {
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
    },
  };
}

export function saslAuthenticateHandler(): ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> {
  return {
    api: saslAuthenticate,
    handle() {
      return {
        errorCode: ErrorCode.ILLEGAL_SASL_STATE,
        errorMessage: 'SASL is not enabled on this broker',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0,
      };
    },
  };
}

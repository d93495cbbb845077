// SaslHandshake (key 17) and SaslAuthenticate (key 36): the SASL exchange of a connection on a
// SASL_PLAINTEXT or SASL_SSL listener, run by the connection's SaslAuthenticator
// (../sasl-authenticator.ts), which also decides what the connection may send before it logged in.
//
//   SaslHandshakeRequest => mechanism
//   SaslHandshakeResponse => error_code [mechanisms]
//   SaslAuthenticateRequest => auth_bytes
//   SaslAuthenticateResponse => error_code error_message auth_bytes session_lifetime_ms(v1+)
//
// On a PLAINTEXT or SSL listener there is no exchange to run: both answer ILLEGAL_SASL_STATE, as
// Kafka does, so a client configured for SASL on the wrong port hears why.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import { saslHandshake, type SaslHandshakeRequest, type SaslHandshakeResponse } from '../../protocol/apis/sasl-handshake.ts';
import { saslAuthenticate, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '../../protocol/apis/sasl-authenticate.ts';

export function saslHandshakeHandler(): ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> {
  return {
    api: saslHandshake,
    handle(request, context) {
      if (!context.sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
      return context.sasl.handshake(request.mechanism, context.apiVersion);
    },
  };
}

export function saslAuthenticateHandler(): ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> {
  return {
    api: saslAuthenticate,
    handle(request, context) {
      if (!context.sasl) {
        return {
          errorCode: ErrorCode.ILLEGAL_SASL_STATE,
          errorMessage: `SASL is not enabled on listener ${context.session.listener} (${context.session.securityProtocol})`,
          authBytes: Buffer.alloc(0),
          sessionLifetimeMs: 0,
        };
      }
      return context.sasl.authenticate(request.authBytes);
    },
  };
}

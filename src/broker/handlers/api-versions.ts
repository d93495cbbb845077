// ApiVersions (key 18): which APIs and versions this broker speaks.
//
//   ApiVersionsRequest => [client_software_name client_software_version](v3+) TAG_BUFFER(v3+)
//   ApiVersionsResponse => error_code [api_keys] throttle_time_ms(v1+) TAG_BUFFER(v3+)
//     api_keys => api_key min_version max_version
//
// The list is derived from the handlers actually registered, so we never advertise an API we cannot
// serve. An unsupported ApiVersions version is answered by the connection (v0 body, error 35).

import { ErrorCode } from '../../protocol/errors.ts';
import { servedVersions, type AnyApiHandler, type ApiHandler } from '../handler.ts';
import { apiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/apis/api-versions.ts';

export function apiVersionsHandler(registered: () => Iterable<AnyApiHandler>): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    api: apiVersions,
    handle() {
      const apiKeys = [...registered()].map((h) => ({ apiKey: h.api.apiKey, ...servedVersions(h) })).sort((a, b) => a.apiKey - b.apiKey);
      return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
    },
  };
}

// CreateAcls (key 30): adds ACL bindings through the controller; one result per creation.
//
//   CreateAclsRequest => [creations]
//     creations => resource_type resource_name resource_pattern_type(v1+) principal host operation permission_type
//   CreateAclsResponse => throttle_time_ms [results]
//     results => error_code error_message
//
// Needs ALTER on the cluster, else every result is CLUSTER_AUTHORIZATION_FAILED. A creation that
// is no binding (ANY, MATCH or UNKNOWN codes, a CLUSTER resource not named kafka-cluster, a
// principal not `User:<name>`) is INVALID_REQUEST; the others are created together, and an
// existing binding is no error (Kafka's rule).

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { proposeSafely } from '../topic-admin.ts';
import { bindingFromWire, CLUSTER_RESOURCE_NAME, type AclBinding } from '../../security/acl.ts';
import { createAcls, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/apis/create-acls.ts';

type Result = CreateAclsResponse['results'][number];

export function createAclsHandler(services: BrokerServices): ApiHandler<CreateAclsRequest, CreateAclsResponse> {
  return {
    api: createAcls,
    async handle(request, context) {
      if (!services.authorizer.check(context.session, 'ALTER', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'CreateAcls needs ALTER on the cluster' };
        return { throttleTimeMs: 0, results: request.creations.map(() => denied) };
      }
      const results: Result[] = [];
      const valid: Array<{ index: number; binding: AclBinding }> = [];
      for (const c of request.creations) {
        const parsed = bindingFromWire(c);
        if (parsed.ok) valid.push({ index: results.length, binding: parsed.value });
        results.push(parsed.ok ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: parsed.message });
      }
      if (valid.length > 0) {
        const applied = await proposeSafely(services, { type: 'createAcls', bindings: valid.map((v) => v.binding) });
        if (!applied.ok) for (const { index } of valid) results[index] = { errorCode: ErrorCode[applied.error], errorMessage: applied.message };
      }
      return { throttleTimeMs: 0, results };
    },
  };
}

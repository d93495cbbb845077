// DescribeAcls (key 29): the ACL bindings one filter matches, grouped by resource pattern.
//
//   DescribeAclsRequest => resource_type_filter resource_name_filter pattern_type_filter(v1+)
//       principal_filter host_filter operation permission_type
//   DescribeAclsResponse => throttle_time_ms error_code error_message [resources]
//     resources => resource_type resource_name pattern_type(v1+) [acls]
//       acls => principal host operation permission_type
//
// Needs DESCRIBE on the cluster (Kafka's rule), else CLUSTER_AUTHORIZATION_FAILED. A filter with
// an unknown code is INVALID_REQUEST. ACLs are answered whether or not the authorizer is on, so
// they can be set up before it is turned on (Kafka would answer SECURITY_DISABLED).

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { bindingToWire, CLUSTER_RESOURCE_NAME, filterFromWire } from '../../security/acl.ts';
import { describeAcls, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/apis/describe-acls.ts';

export function describeAclsHandler(services: BrokerServices): ApiHandler<DescribeAclsRequest, DescribeAclsResponse> {
  return {
    api: describeAcls,
    handle(request, context) {
      if (!services.authorizer.check(context.session, 'DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        return failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'DescribeAcls needs DESCRIBE on the cluster');
      }
      const filter = filterFromWire(request);
      if (!filter.ok) return failure(ErrorCode.INVALID_REQUEST, filter.message);
      const resources = new Map<string, DescribeAclsResponse['resources'][number]>();
      for (const binding of services.controller.state.matchingAcls(filter.value)) {
        const wire = bindingToWire(binding);
        const key = `${wire.resourceType}\u0000${wire.patternType}\u0000${binding.resourceName}`;
        let resource = resources.get(key);
        if (!resource) {
          resource = { resourceType: wire.resourceType, resourceName: binding.resourceName, patternType: wire.patternType, acls: [] };
          resources.set(key, resource);
        }
        resource.acls.push({ principal: wire.principal, host: wire.host, operation: wire.operation, permissionType: wire.permissionType });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...resources.values()] };
    },
  };
}

function failure(errorCode: number, errorMessage: string): DescribeAclsResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, resources: [] };
}

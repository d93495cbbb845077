// DeleteAcls (key 31): deletes the bindings each filter matches, through the controller, and
// answers per filter the bindings it deleted.
//
//   DeleteAclsRequest => [filters]
//     filters => resource_type_filter resource_name_filter pattern_type_filter(v1+) principal_filter
//         host_filter operation permission_type
//   DeleteAclsResponse => throttle_time_ms [filter_results]
//     filter_results => error_code error_message [matching_acls]
//       matching_acls => error_code error_message resource_type resource_name pattern_type(v1+)
//           principal host operation permission_type
//
// Needs ALTER on the cluster, else every filter result is CLUSTER_AUTHORIZATION_FAILED. A filter
// with an unknown code is INVALID_REQUEST. The matches are read before the deletion is proposed
// (the answer); the metadata command matches again when it applies.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { proposeSafely } from '../topic-admin.ts';
import { bindingToWire, CLUSTER_RESOURCE_NAME, filterFromWire, type AclFilter } from '../../security/acl.ts';
import { deleteAcls, type DeleteAclsRequest, type DeleteAclsResponse } from '../../protocol/apis/delete-acls.ts';

type FilterResult = DeleteAclsResponse['filterResults'][number];

export function deleteAclsHandler(services: BrokerServices): ApiHandler<DeleteAclsRequest, DeleteAclsResponse> {
  return {
    api: deleteAcls,
    async handle(request, context) {
      if (!services.authorizer.check(context.session, 'ALTER', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        return {
          throttleTimeMs: 0,
          filterResults: request.filters.map(() => failure(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'DeleteAcls needs ALTER on the cluster')),
        };
      }
      const results: FilterResult[] = [];
      const valid: Array<{ index: number; filter: AclFilter }> = [];
      const state = services.controller.state;
      for (const f of request.filters) {
        const parsed = filterFromWire(f);
        if (!parsed.ok) {
          results.push(failure(ErrorCode.INVALID_REQUEST, parsed.message));
          continue;
        }
        valid.push({ index: results.length, filter: parsed.value });
        const matchingAcls = state.matchingAcls(parsed.value).map((binding) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...bindingToWire(binding) }));
        results.push({ errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls });
      }
      if (valid.length > 0) {
        const applied = await proposeSafely(services, { type: 'deleteAcls', filters: valid.map((v) => v.filter) });
        if (!applied.ok) for (const { index } of valid) results[index] = failure(ErrorCode[applied.error], applied.message);
      }
      return { throttleTimeMs: 0, filterResults: results };
    },
  };
}

function failure(errorCode: number, errorMessage: string): FilterResult {
  return { errorCode, errorMessage, matchingAcls: [] };
}

// DescribeCluster (key 60): the brokers, the controller and the cluster id.
//
//   DescribeClusterRequest => include_cluster_authorized_operations endpoint_type(v1+) TAG_BUFFER
//   DescribeClusterResponse => throttle_time_ms error_code error_message endpoint_type(v1+)
//       cluster_id controller_id [brokers] cluster_authorized_operations TAG_BUFFER
//     brokers => broker_id host port rack

import { brokersOn } from '../../metadata/broker-endpoints.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED, clusterAuthorizedOperations } from '../authorized-operations.ts';
import { describeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/apis/describe-cluster.ts';

const BROKERS_ENDPOINT = 1;

export function describeClusterHandler(services: BrokerServices): ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  return {
    api: describeCluster,
    handle(request, context) {
      const endpointType = request.endpointType ?? BROKERS_ENDPOINT;
      if (endpointType !== BROKERS_ENDPOINT) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'only broker endpoints exist',
          endpointType,
          clusterId: services.clusterId,
          controllerId: -1,
          brokers: [],
          clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
        };
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType,
        clusterId: services.clusterId,
        controllerId: services.controller.controllerId,
        brokers: brokersOn(services.controller.state.allBrokers(), context.session.listener).map(({ nodeId, ...b }) => ({ brokerId: nodeId, ...b })),
        clusterAuthorizedOperations: clusterAuthorizedOperations(services.authorizer, context.session, request.includeClusterAuthorizedOperations),
      };
    },
  };
}

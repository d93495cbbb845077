// DescribeCluster (key 60), versions 0-1; flexible in every version.
//
// DescribeCluster Request (Version: 0) => include_cluster_authorized_operations TAG_BUFFER
//   include_cluster_authorized_operations => BOOLEAN
// DescribeCluster Request (Version: 1) => include_cluster_authorized_operations endpoint_type
//                                         TAG_BUFFER
//   endpoint_type => INT8 (1 = brokers, 2 = controllers)
//
// DescribeCluster Response (Version: 0) => throttle_time_ms error_code error_message
//                                          cluster_id controller_id [brokers]
//                                          cluster_authorized_operations TAG_BUFFER
//   throttle_time_ms => INT32, error_code => INT16, error_message => COMPACT_NULLABLE_STRING
//   cluster_id => COMPACT_STRING, controller_id => INT32
//   brokers => broker_id host port rack TAG_BUFFER
//     broker_id => INT32, host => COMPACT_STRING, port => INT32,
//     rack => COMPACT_NULLABLE_STRING
//   cluster_authorized_operations => INT32
// DescribeCluster Response (Version: 1) => throttle_time_ms error_code error_message
//                                          endpoint_type cluster_id ... (endpoint_type => INT8)

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeClusterRequest',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [field('includeClusterAuthorizedOperations', bool, { versions: '0+' }), field('endpointType', int8, { versions: '1+', default: 1 })],
});

const response = message({
  name: 'DescribeClusterResponse',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('errorMessage', string, { versions: '0+', nullableVersions: '0+', default: null }),
    field('endpointType', int8, { versions: '1+', default: 1 }),
    field('clusterId', string, { versions: '0+' }),
    field('controllerId', int32, { versions: '0+', default: -1 }),
    field(
      'brokers',
      array(
        struct([
          field('brokerId', int32, { versions: '0+' }),
          field('host', string, { versions: '0+' }),
          field('port', int32, { versions: '0+' }),
          field('rack', string, { versions: '0+', nullableVersions: '0+', default: null }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('clusterAuthorizedOperations', int32, { versions: '0+', default: -2147483648 }),
  ],
});

export const describeCluster = defineApi({ apiKey: 60, name: 'DescribeCluster', request, response });
export type DescribeClusterRequest = MessageValue<typeof request>;
export type DescribeClusterResponse = MessageValue<typeof response>;

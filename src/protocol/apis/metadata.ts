// Metadata (key 3), versions 0-12; flexible from v9.
//
// Metadata Request (Version: 0) => [topics]
//   topics => name
//     name => STRING
// Metadata Request (Version: 1-3) => [topics]            (null topics = all topics)
// Metadata Request (Version: 4-7) => [topics] allow_auto_topic_creation
//   allow_auto_topic_creation => BOOLEAN
// Metadata Request (Version: 8) => [topics] allow_auto_topic_creation
//                                  include_cluster_authorized_operations
//                                  include_topic_authorized_operations
// Metadata Request (Version: 9) => [topics] allow_auto_topic_creation
//                                  include_cluster_authorized_operations
//                                  include_topic_authorized_operations TAG_BUFFER
//   topics => name TAG_BUFFER                            (COMPACT forms from v9)
// Metadata Request (Version: 10) => as 9, topics => topic_id name TAG_BUFFER
//   topic_id => UUID, name => COMPACT_NULLABLE_STRING
// Metadata Request (Version: 11-12) => [topics] allow_auto_topic_creation
//                                      include_topic_authorized_operations TAG_BUFFER
//
// Metadata Response (Version: 0) => [brokers] [topics]
//   brokers => node_id host port
//     node_id => INT32, host => STRING, port => INT32
//   topics => error_code name [partitions]
//     error_code => INT16, name => STRING
//     partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes]
//       error_code => INT16, partition_index => INT32, leader_id => INT32
//       replica_nodes => INT32, isr_nodes => INT32
// Metadata Response (Version: 1) => [brokers] controller_id [topics]
//   brokers => node_id host port rack (rack => NULLABLE_STRING)
//   controller_id => INT32
//   topics => error_code name is_internal [partitions] (is_internal => BOOLEAN)
// Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topics]
//   cluster_id => NULLABLE_STRING
// Metadata Response (Version: 3-4) => throttle_time_ms [brokers] cluster_id controller_id [topics]
// Metadata Response (Version: 5-6) => ... partitions gain [offline_replicas] (INT32)
// Metadata Response (Version: 7) => ... partitions gain leader_epoch (INT32) after leader_id
// Metadata Response (Version: 8) => ... topics gain topic_authorized_operations (INT32),
//                                    the response ends with cluster_authorized_operations (INT32)
// Metadata Response (Version: 9) => as 8 with COMPACT forms and TAG_BUFFERs
// Metadata Response (Version: 10) => as 9, topics gain topic_id (UUID) after name
// Metadata Response (Version: 11) => as 10 without cluster_authorized_operations
// Metadata Response (Version: 12) => as 11, topic name is COMPACT_NULLABLE_STRING

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, message, string, struct, uuid, type MessageValue } from '../schema.ts';

const request = message({
  name: 'MetadataRequest',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    field('topics', array(struct([field('topicId', uuid, { versions: '10+' }), field('name', string, { versions: '0+', nullableVersions: '10+' })])), {
      versions: '0+',
      nullableVersions: '1+',
    }),
    field('allowAutoTopicCreation', bool, { versions: '4+', default: true }),
    field('includeClusterAuthorizedOperations', bool, { versions: '8-10' }),
    field('includeTopicAuthorizedOperations', bool, { versions: '8+' }),
  ],
});

const response = message({
  name: 'MetadataResponse',
  validVersions: '0-12',
  flexibleVersions: '9+',
  fields: [
    field('throttleTimeMs', int32, { versions: '3+' }),
    field(
      'brokers',
      array(
        struct([
          field('nodeId', int32, { versions: '0+' }),
          field('host', string, { versions: '0+' }),
          field('port', int32, { versions: '0+' }),
          field('rack', string, { versions: '1+', nullableVersions: '1+', default: null }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('clusterId', string, { versions: '2+', nullableVersions: '2+', default: null }),
    field('controllerId', int32, { versions: '1+', default: -1 }),
    field(
      'topics',
      array(
        struct([
          field('errorCode', int16, { versions: '0+' }),
          field('name', string, { versions: '0+', nullableVersions: '12+' }),
          field('topicId', uuid, { versions: '10+' }),
          field('isInternal', bool, { versions: '1+', default: false }),
          field(
            'partitions',
            array(
              struct([
                field('errorCode', int16, { versions: '0+' }),
                field('partitionIndex', int32, { versions: '0+' }),
                field('leaderId', int32, { versions: '0+' }),
                field('leaderEpoch', int32, { versions: '7+', default: -1 }),
                field('replicaNodes', array(int32), { versions: '0+' }),
                field('isrNodes', array(int32), { versions: '0+' }),
                field('offlineReplicas', array(int32), { versions: '5+' }),
              ]),
            ),
            { versions: '0+' },
          ),
          field('topicAuthorizedOperations', int32, { versions: '8+', default: -2147483648 }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('clusterAuthorizedOperations', int32, { versions: '8-10', default: -2147483648 }),
  ],
});

export const metadata = defineApi({ apiKey: 3, name: 'Metadata', request, response });
export type MetadataRequest = MessageValue<typeof request>;
export type MetadataResponse = MessageValue<typeof response>;

// Fetch (key 1), versions 0-16; flexible from v12. v13+ address topics by id (KIP-516).
//
// Fetch Request (Version: 0-2) => replica_id max_wait_ms min_bytes [topics]
//   replica_id => INT32, max_wait_ms => INT32, min_bytes => INT32
//   topics => topic [partitions]
//     topic => STRING
//     partitions => partition fetch_offset partition_max_bytes
//       partition => INT32, fetch_offset => INT64, partition_max_bytes => INT32
// Fetch Request (Version: 3) => replica_id max_wait_ms min_bytes max_bytes [topics]
//   max_bytes => INT32
// Fetch Request (Version: 4) => ... max_bytes isolation_level [topics]
//   isolation_level => INT8
// Fetch Request (Version: 5-6) => ... partitions => partition fetch_offset log_start_offset
//                                                   partition_max_bytes
//   log_start_offset => INT64
// Fetch Request (Version: 7-8) => replica_id max_wait_ms min_bytes max_bytes isolation_level
//                                 session_id session_epoch [topics] [forgotten_topics_data]
//   session_id => INT32, session_epoch => INT32
//   forgotten_topics_data => topic [partitions]
//     topic => STRING, partitions => INT32
// Fetch Request (Version: 9-10) => partitions => partition current_leader_epoch fetch_offset
//                                                log_start_offset partition_max_bytes
//   current_leader_epoch => INT32
// Fetch Request (Version: 11) => ... [forgotten_topics_data] rack_id
//   rack_id => STRING
// Fetch Request (Version: 12) => as 11 with COMPACT forms and TAG_BUFFERs;
//   partitions gain last_fetched_epoch (INT32) after fetch_offset;
//   tagged: 0 cluster_id (COMPACT_NULLABLE_STRING) at the top level
// Fetch Request (Version: 13-14) => as 12, topics => topic_id [partitions] (topic_id => UUID),
//   forgotten_topics_data => topic_id [partitions]
// Fetch Request (Version: 15-16) => as 13 without replica_id; tagged at the top level:
//   1 replica_state (replica_id INT32, replica_epoch INT64)
//
// Fetch Response (Version: 0) => [responses]
//   responses => topic [partitions]
//     topic => STRING
//     partitions => partition_index error_code high_watermark records
//       partition_index => INT32, error_code => INT16, high_watermark => INT64
//       records => RECORDS
// Fetch Response (Version: 1-3) => throttle_time_ms [responses]
// Fetch Response (Version: 4) => ... partitions => partition_index error_code high_watermark
//                                   last_stable_offset [aborted_transactions] records
//   last_stable_offset => INT64
//   aborted_transactions => producer_id first_offset (NULLABLE array)
//     producer_id => INT64, first_offset => INT64
// Fetch Response (Version: 5-6) => ... last_stable_offset log_start_offset [aborted_transactions]
// Fetch Response (Version: 7-10) => throttle_time_ms error_code session_id [responses]
// Fetch Response (Version: 11) => ... [aborted_transactions] preferred_read_replica records
//   preferred_read_replica => INT32
// Fetch Response (Version: 12) => as 11 with COMPACT forms and TAG_BUFFERs;
//   tagged per partition: 0 diverging_epoch (epoch INT32, end_offset INT64)
//                         1 current_leader (leader_id INT32, leader_epoch INT32)
//                         2 snapshot_id (end_offset INT64, epoch INT32)
// Fetch Response (Version: 13-15) => as 12, responses => topic_id [partitions] (topic_id => UUID)
// Fetch Response (Version: 16) => as 13; tagged at the top level:
//   0 node_endpoints => node_id host port rack (INT32 COMPACT_STRING INT32 COMPACT_NULLABLE_STRING)

import { defineApi } from '../api.ts';
import { nodeEndpointsField } from './node-endpoints.ts';
import { array, field, int16, int32, int64, int8, message, records, string, struct, uuid, type MessageValue } from '../schema.ts';

const request = message({
  name: 'FetchRequest',
  validVersions: '0-16',
  flexibleVersions: '12+',
  fields: [
    field('clusterId', string, { versions: '12+', nullableVersions: '12+', taggedVersions: '12+', tag: 0, default: null }),
    field('replicaId', int32, { versions: '0-14', default: -1 }),
    field(
      'replicaState',
      struct([field('replicaId', int32, { versions: '15+', default: -1 }), field('replicaEpoch', int64, { versions: '15+', default: -1 })]),
      { versions: '15+', taggedVersions: '15+', tag: 1 },
    ),
    field('maxWaitMs', int32, { versions: '0+' }),
    field('minBytes', int32, { versions: '0+' }),
    field('maxBytes', int32, { versions: '3+', default: 0x7fffffff }),
    field('isolationLevel', int8, { versions: '4+', default: 0 }),
    field('sessionId', int32, { versions: '7+', default: 0 }),
    field('sessionEpoch', int32, { versions: '7+', default: -1 }),
    field(
      'topics',
      array(
        struct([
          field('topic', string, { versions: '0-12' }),
          field('topicId', uuid, { versions: '13+' }),
          field(
            'partitions',
            array(
              struct([
                field('partition', int32, { versions: '0+' }),
                field('currentLeaderEpoch', int32, { versions: '9+', default: -1 }),
                field('fetchOffset', int64, { versions: '0+' }),
                field('lastFetchedEpoch', int32, { versions: '12+', default: -1 }),
                field('logStartOffset', int64, { versions: '5+', default: -1 }),
                field('partitionMaxBytes', int32, { versions: '0+' }),
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
    field(
      'forgottenTopicsData',
      array(
        struct([
          field('topic', string, { versions: '7-12' }),
          field('topicId', uuid, { versions: '13+' }),
          field('partitions', array(int32), { versions: '7+' }),
        ]),
      ),
      { versions: '7+' },
    ),
    field('rackId', string, { versions: '11+', default: '' }),
  ],
});

const response = message({
  name: 'FetchResponse',
  validVersions: '0-16',
  flexibleVersions: '12+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field('errorCode', int16, { versions: '7+' }),
    field('sessionId', int32, { versions: '7+', default: 0 }),
    field(
      'responses',
      array(
        struct([
          field('topic', string, { versions: '0-12' }),
          field('topicId', uuid, { versions: '13+' }),
          field(
            'partitions',
            array(
              struct([
                field('partitionIndex', int32, { versions: '0+' }),
                field('errorCode', int16, { versions: '0+' }),
                field('highWatermark', int64, { versions: '0+' }),
                field('lastStableOffset', int64, { versions: '4+', default: -1 }),
                field('logStartOffset', int64, { versions: '5+', default: -1 }),
                field(
                  'divergingEpoch',
                  struct([field('epoch', int32, { versions: '12+', default: -1 }), field('endOffset', int64, { versions: '12+', default: -1 })]),
                  { versions: '12+', taggedVersions: '12+', tag: 0 },
                ),
                field(
                  'currentLeader',
                  struct([field('leaderId', int32, { versions: '12+', default: -1 }), field('leaderEpoch', int32, { versions: '12+', default: -1 })]),
                  { versions: '12+', taggedVersions: '12+', tag: 1 },
                ),
                field(
                  'snapshotId',
                  struct([field('endOffset', int64, { versions: '0+', default: -1 }), field('epoch', int32, { versions: '0+', default: -1 })]),
                  { versions: '12+', taggedVersions: '12+', tag: 2 },
                ),
                field('abortedTransactions', array(struct([field('producerId', int64, { versions: '4+' }), field('firstOffset', int64, { versions: '4+' })])), {
                  versions: '4+',
                  nullableVersions: '4+',
                }),
                field('preferredReadReplica', int32, { versions: '11+', default: -1 }),
                field('records', records, { versions: '0+', nullableVersions: '0+' }),
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
    nodeEndpointsField('16+'),
  ],
});

export const fetch = defineApi({ apiKey: 1, name: 'Fetch', request, response });
export type FetchRequest = MessageValue<typeof request>;
export type FetchResponse = MessageValue<typeof response>;

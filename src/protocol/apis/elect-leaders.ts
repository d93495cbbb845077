// ElectLeaders (key 43), versions 0-2; flexible from v2 (KIP-460).
//
// ElectLeaders Request (Version: 0) => [topic_partitions] timeout_ms
//   topic_partitions => topic [partitions]   (NULLABLE array: null elects for every partition)
//     topic => STRING
//     partitions => INT32
//   timeout_ms => INT32
// ElectLeaders Request (Version: 1) => election_type [topic_partitions] timeout_ms
//   election_type => INT8   (0 PREFERRED: the first replica; 1 UNCLEAN: the first live replica)
// ElectLeaders Request (Version: 2) => as 1 with COMPACT forms and TAG_BUFFERs
//
// ElectLeaders Response (Version: 0) => throttle_time_ms [replica_election_results]
//   throttle_time_ms => INT32
//   replica_election_results => topic [partition_result]
//     topic => STRING
//     partition_result => partition_id error_code error_message
//       partition_id => INT32, error_code => INT16, error_message => NULLABLE_STRING
// ElectLeaders Response (Version: 1) => throttle_time_ms error_code [replica_election_results]
//   error_code => INT16
// ElectLeaders Response (Version: 2) => as 1 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'ElectLeadersRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field('electionType', int8, { versions: '1+' }),
    field('topicPartitions', array(struct([field('topic', string, { versions: '0+' }), field('partitions', array(int32), { versions: '0+' })])), {
      versions: '0+',
      nullableVersions: '0+',
    }),
    field('timeoutMs', int32, { versions: '0+', default: 60_000 }),
  ],
});

const response = message({
  name: 'ElectLeadersResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '1+' }),
    field(
      'replicaElectionResults',
      array(
        struct([
          field('topic', string, { versions: '0+' }),
          field(
            'partitionResult',
            array(
              struct([
                field('partitionId', int32, { versions: '0+' }),
                field('errorCode', int16, { versions: '0+' }),
                field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const electLeaders = defineApi({ apiKey: 43, name: 'ElectLeaders', request, response });
export type ElectLeadersRequest = MessageValue<typeof request>;
export type ElectLeadersResponse = MessageValue<typeof response>;

// Produce (key 0), versions 0-10; flexible from v9. Versions 0-2 carry the old message
// formats (v0/v1 message sets); the broker answers those with an error, but the codec
// still reads them, since librdkafka needs Produce v0 advertised to enable compression.
//
// Produce Request (Version: 0-2) => acks timeout_ms [topic_data]
//   acks => INT16
//   timeout_ms => INT32
//   topic_data => name [partition_data]
//     name => STRING
//     partition_data => index records
//       index => INT32
//       records => RECORDS (NULLABLE_BYTES framing around RecordBatch bytes)
// Produce Request (Version: 3-8) => transactional_id acks timeout_ms [topic_data]
//   transactional_id => NULLABLE_STRING
// Produce Request (Version: 9) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER
//   (COMPACT_NULLABLE_STRING, COMPACT_ARRAY, COMPACT_RECORDS, TAG_BUFFER on every struct)
// Produce Request (Version: 10) => as 9
//
// Produce Response (Version: 0) => [responses]
//   responses => name [partition_responses]
//     name => STRING
//     partition_responses => index error_code base_offset
//       index => INT32, error_code => INT16, base_offset => INT64
// Produce Response (Version: 1) => [responses] throttle_time_ms
// Produce Response (Version: 2-4) => ... partition_responses gain log_append_time_ms (INT64)
// Produce Response (Version: 5-7) => ... partition_responses gain log_start_offset (INT64)
// Produce Response (Version: 8) => ... partition_responses gain [record_errors] error_message
//   record_errors => batch_index batch_index_error_message
//     batch_index => INT32, batch_index_error_message => NULLABLE_STRING
//   error_message => NULLABLE_STRING
// Produce Response (Version: 9) => as 8 with COMPACT forms and TAG_BUFFERs
// Produce Response (Version: 10) => as 9; tagged: per partition 0 current_leader (leader_id INT32,
//   leader_epoch INT32), at the top level 0 node_endpoints => node_id host port rack (KIP-951)

import { defineApi } from '../api.ts';
import { nodeEndpointsField } from './node-endpoints.ts';
import { array, field, int16, int32, int64, message, records, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'ProduceRequest',
  validVersions: '0-10',
  flexibleVersions: '9+',
  fields: [
    field('transactionalId', string, { versions: '3+', nullableVersions: '3+', default: null }),
    field('acks', int16, { versions: '0+' }),
    field('timeoutMs', int32, { versions: '0+' }),
    field(
      'topicData',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field(
            'partitionData',
            array(struct([field('index', int32, { versions: '0+' }), field('records', records, { versions: '0+', nullableVersions: '0+' })])),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

const response = message({
  name: 'ProduceResponse',
  validVersions: '0-10',
  flexibleVersions: '9+',
  fields: [
    field(
      'responses',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field(
            'partitionResponses',
            array(
              struct([
                field('index', int32, { versions: '0+' }),
                field('errorCode', int16, { versions: '0+' }),
                field('baseOffset', int64, { versions: '0+' }),
                field('logAppendTimeMs', int64, { versions: '2+', default: -1 }),
                field('logStartOffset', int64, { versions: '5+', default: -1 }),
                field(
                  'recordErrors',
                  array(
                    struct([
                      field('batchIndex', int32, { versions: '8+' }),
                      field('batchIndexErrorMessage', string, { versions: '8+', nullableVersions: '8+', default: null }),
                    ]),
                  ),
                  { versions: '8+' },
                ),
                field('errorMessage', string, { versions: '8+', nullableVersions: '8+', default: null }),
                field(
                  'currentLeader',
                  struct([field('leaderId', int32, { versions: '10+', default: -1 }), field('leaderEpoch', int32, { versions: '10+', default: -1 })]),
                  { versions: '10+', taggedVersions: '10+', tag: 0 },
                ),
              ]),
            ),
            { versions: '0+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
    field('throttleTimeMs', int32, { versions: '1+', default: 0 }),
    nodeEndpointsField('10+'),
  ],
});

export const produce = defineApi({ apiKey: 0, name: 'Produce', request, response });
export type ProduceRequest = MessageValue<typeof request>;
export type ProduceResponse = MessageValue<typeof response>;

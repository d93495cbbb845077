// DescribeProducers (key 61), version 0; flexible (KIP-664).
//
// DescribeProducers Request (Version: 0) => [topics] TAG_BUFFER
//   topics => name [partition_indexes] TAG_BUFFER
//     name => COMPACT_STRING, partition_indexes => INT32
//
// DescribeProducers Response (Version: 0) => throttle_time_ms [topics] TAG_BUFFER
//   throttle_time_ms => INT32
//   topics => name [partitions] TAG_BUFFER
//     partitions => partition_index error_code error_message [active_producers] TAG_BUFFER
//       partition_index => INT32, error_code => INT16, error_message => COMPACT_NULLABLE_STRING
//       active_producers => producer_id producer_epoch last_sequence last_timestamp
//           coordinator_epoch current_txn_start_offset TAG_BUFFER
//         producer_id => INT64, producer_epoch => INT32, last_sequence => INT32,
//         last_timestamp => INT64, coordinator_epoch => INT32, current_txn_start_offset => INT64

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeProducersRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('topics', array(struct([field('name', string, { versions: '0+' }), field('partitionIndexes', array(int32), { versions: '0+' })])), {
      versions: '0+',
    }),
  ],
});

const response = message({
  name: 'DescribeProducersResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field(
            'partitions',
            array(
              struct([
                field('partitionIndex', int32, { versions: '0+' }),
                field('errorCode', int16, { versions: '0+' }),
                field('errorMessage', string, { versions: '0+', nullableVersions: '0+', default: null }),
                field(
                  'activeProducers',
                  array(
                    struct([
                      field('producerId', int64, { versions: '0+' }),
                      field('producerEpoch', int32, { versions: '0+' }),
                      field('lastSequence', int32, { versions: '0+', default: -1 }),
                      field('lastTimestamp', int64, { versions: '0+', default: -1 }),
                      field('coordinatorEpoch', int32, { versions: '0+' }),
                      field('currentTxnStartOffset', int64, { versions: '0+', default: -1 }),
                    ]),
                  ),
                  { versions: '0+' },
                ),
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

export const describeProducers = defineApi({ apiKey: 61, name: 'DescribeProducers', request, response });
export type DescribeProducersRequest = MessageValue<typeof request>;
export type DescribeProducersResponse = MessageValue<typeof response>;

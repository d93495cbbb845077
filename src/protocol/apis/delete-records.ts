// DeleteRecords (key 21), versions 0-2; flexible from v2.
//
// DeleteRecords Request (Version: 0-1) => [topics] timeout_ms
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index offset
//       partition_index => INT32, offset => INT64
//   timeout_ms => INT32
// DeleteRecords Request (Version: 2) => as 0 with COMPACT forms and TAG_BUFFERs
//
// DeleteRecords Response (Version: 0-1) => throttle_time_ms [topics]
//   throttle_time_ms => INT32
//   topics => name [partitions]
//     partitions => partition_index low_watermark error_code
//       partition_index => INT32, low_watermark => INT64, error_code => INT16
// DeleteRecords Response (Version: 2) => as 0 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DeleteRecordsRequest',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('partitions', array(struct([field('partitionIndex', int32, { versions: '0+' }), field('offset', int64, { versions: '0+' })])), {
            versions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('timeoutMs', int32, { versions: '0+' }),
  ],
});

const response = message({
  name: 'DeleteRecordsResponse',
  validVersions: '0-2',
  flexibleVersions: '2+',
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
                field('lowWatermark', int64, { versions: '0+' }),
                field('errorCode', int16, { versions: '0+' }),
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

export const deleteRecords = defineApi({ apiKey: 21, name: 'DeleteRecords', request, response });
export type DeleteRecordsRequest = MessageValue<typeof request>;
export type DeleteRecordsResponse = MessageValue<typeof response>;

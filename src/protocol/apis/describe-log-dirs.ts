// DescribeLogDirs (key 35), versions 0-4; flexible from v2. v0 and v1 are the same on the wire
// (v1 only changed when throttling is applied).
//
// DescribeLogDirs Request (Version: 0-1) => [topics]
//   topics => topic [partitions]      (NULLABLE array: null = every topic)
//     topic => STRING, partitions => INT32
// DescribeLogDirs Request (Version: 2-4) => as 1 with COMPACT forms and TAG_BUFFERs
//
// DescribeLogDirs Response (Version: 0-1) => throttle_time_ms [results]
//   throttle_time_ms => INT32
//   results => error_code log_dir [topics]
//     error_code => INT16, log_dir => STRING
//     topics => name [partitions]
//       name => STRING
//       partitions => partition_index partition_size offset_lag is_future_key
//         partition_index => INT32, partition_size => INT64, offset_lag => INT64,
//         is_future_key => BOOLEAN
// DescribeLogDirs Response (Version: 2) => as 1 with COMPACT forms and TAG_BUFFERs
// DescribeLogDirs Response (Version: 3) => throttle_time_ms error_code [results]
//   error_code => INT16 (top level)
// DescribeLogDirs Response (Version: 4) => results gain total_bytes usable_bytes (INT64, of
//   the volume the directory is on)

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DescribeLogDirsRequest',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    field('topics', array(struct([field('topic', string, { versions: '0+' }), field('partitions', array(int32), { versions: '0+' })])), {
      versions: '0+',
      nullableVersions: '0+',
    }),
  ],
});

const response = message({
  name: 'DescribeLogDirsResponse',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '3+' }),
    field(
      'results',
      array(
        struct([
          field('errorCode', int16, { versions: '0+' }),
          field('logDir', string, { versions: '0+' }),
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
                      field('partitionSize', int64, { versions: '0+' }),
                      field('offsetLag', int64, { versions: '0+' }),
                      field('isFutureKey', bool, { versions: '0+' }),
                    ]),
                  ),
                  { versions: '0+' },
                ),
              ]),
            ),
            { versions: '0+' },
          ),
          field('totalBytes', int64, { versions: '4+', default: -1 }),
          field('usableBytes', int64, { versions: '4+', default: -1 }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const describeLogDirs = defineApi({ apiKey: 35, name: 'DescribeLogDirs', request, response });
export type DescribeLogDirsRequest = MessageValue<typeof request>;
export type DescribeLogDirsResponse = MessageValue<typeof response>;

// ListOffsets (key 2), versions 0-8; flexible from v6.
//
// ListOffsets Request (Version: 0) => replica_id [topics]
//   replica_id => INT32
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index timestamp max_num_offsets
//       partition_index => INT32, timestamp => INT64, max_num_offsets => INT32
// ListOffsets Request (Version: 1) => replica_id [topics]   (no max_num_offsets)
// ListOffsets Request (Version: 2-3) => replica_id isolation_level [topics]
//   isolation_level => INT8
// ListOffsets Request (Version: 4-5) => partitions => partition_index current_leader_epoch timestamp
//   current_leader_epoch => INT32
// ListOffsets Request (Version: 6-8) => as 4 with COMPACT forms and TAG_BUFFERs
//   (v7 may ask for timestamp -3, the max-timestamp offset, KIP-734; v8 for -4, the local log
//   start offset, KIP-405)
//
// ListOffsets Response (Version: 0) => [topics]
//   topics => name [partitions]
//     partitions => partition_index error_code [old_style_offsets]
//       partition_index => INT32, error_code => INT16, old_style_offsets => INT64
// ListOffsets Response (Version: 1) => partitions => partition_index error_code timestamp offset
//   timestamp => INT64, offset => INT64
// ListOffsets Response (Version: 2-3) => throttle_time_ms [topics]
// ListOffsets Response (Version: 4-5) => partitions gain leader_epoch (INT32)
// ListOffsets Response (Version: 6-8) => as 4 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int64, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'ListOffsetsRequest',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [
    field('replicaId', int32, { versions: '0+' }),
    field('isolationLevel', int8, { versions: '2+' }),
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
                field('currentLeaderEpoch', int32, { versions: '4+', default: -1 }),
                field('timestamp', int64, { versions: '0+' }),
                field('maxNumOffsets', int32, { versions: '0', default: 1 }),
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

const response = message({
  name: 'ListOffsetsResponse',
  validVersions: '0-8',
  flexibleVersions: '6+',
  fields: [
    field('throttleTimeMs', int32, { versions: '2+' }),
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
                field('oldStyleOffsets', array(int64), { versions: '0' }),
                field('timestamp', int64, { versions: '1+', default: -1 }),
                field('offset', int64, { versions: '1+', default: -1 }),
                field('leaderEpoch', int32, { versions: '4+', default: -1 }),
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

export const listOffsets = defineApi({ apiKey: 2, name: 'ListOffsets', request, response });
export type ListOffsetsRequest = MessageValue<typeof request>;
export type ListOffsetsResponse = MessageValue<typeof response>;

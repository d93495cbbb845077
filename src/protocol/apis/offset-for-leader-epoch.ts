// OffsetForLeaderEpoch (key 23), versions 0-4; flexible from v4 (KIP-101, KIP-320).
//
// OffsetForLeaderEpoch Request (Version: 0-1) => [topics]
//   topics => topic [partitions]
//     topic => STRING
//     partitions => partition leader_epoch
//       partition => INT32, leader_epoch => INT32
// OffsetForLeaderEpoch Request (Version: 2) => [topics]
//   partitions => partition current_leader_epoch leader_epoch
//     current_leader_epoch => INT32 (-1: not given; fences clients with old metadata)
// OffsetForLeaderEpoch Request (Version: 3) => replica_id [topics]
//   replica_id => INT32 (-1 a consumer, -2 a debug client)
// OffsetForLeaderEpoch Request (Version: 4) => as 3 with COMPACT forms and TAG_BUFFERs
//
// OffsetForLeaderEpoch Response (Version: 0) => [topics]
//   topics => topic [partitions]
//     partitions => error_code partition end_offset
//       error_code => INT16, partition => INT32, end_offset => INT64
// OffsetForLeaderEpoch Response (Version: 1) => [topics]
//   partitions => error_code partition leader_epoch end_offset
//     leader_epoch => INT32 (the largest epoch <= the one asked for, -1 when none)
// OffsetForLeaderEpoch Response (Version: 2-3) => throttle_time_ms [topics]
// OffsetForLeaderEpoch Response (Version: 4) => as 2 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'OffsetForLeaderEpochRequest',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('replicaId', int32, { versions: '3+', default: -2 }),
    field(
      'topics',
      array(
        struct([
          field('topic', string, { versions: '0+' }),
          field(
            'partitions',
            array(
              struct([
                field('partition', int32, { versions: '0+' }),
                field('currentLeaderEpoch', int32, { versions: '2+', default: -1 }),
                field('leaderEpoch', int32, { versions: '0+' }),
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
  name: 'OffsetForLeaderEpochResponse',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('throttleTimeMs', int32, { versions: '2+' }),
    field(
      'topics',
      array(
        struct([
          field('topic', string, { versions: '0+' }),
          field(
            'partitions',
            array(
              struct([
                field('errorCode', int16, { versions: '0+' }),
                field('partition', int32, { versions: '0+' }),
                field('leaderEpoch', int32, { versions: '1+', default: -1 }),
                field('endOffset', int64, { versions: '0+', default: -1 }),
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

export const offsetForLeaderEpoch = defineApi({ apiKey: 23, name: 'OffsetForLeaderEpoch', request, response });
export type OffsetForLeaderEpochRequest = MessageValue<typeof request>;
export type OffsetForLeaderEpochResponse = MessageValue<typeof response>;

// OffsetFetch (key 9), versions 0-9; flexible from v6. v8 batches groups (KIP-709).
//
// OffsetFetch Request (Version: 0-1) => group_id [topics]
//   group_id => STRING
//   topics => name [partition_indexes]
//     name => STRING, partition_indexes => INT32
// OffsetFetch Request (Version: 2-5) => as 0; topics may be null (= all committed offsets)
// OffsetFetch Request (Version: 6) => as 2 with COMPACT forms and TAG_BUFFERs
// OffsetFetch Request (Version: 7) => group_id [topics] require_stable TAG_BUFFER
//   require_stable => BOOLEAN
// OffsetFetch Request (Version: 8) => [groups] require_stable TAG_BUFFER
//   groups => group_id [topics] TAG_BUFFER       (topics: nullable)
//     topics => name [partition_indexes] TAG_BUFFER
// OffsetFetch Request (Version: 9) => groups => group_id member_id member_epoch [topics] TAG_BUFFER
//   member_id => COMPACT_NULLABLE_STRING, member_epoch => INT32 (KIP-848 consumer groups only)
//
// OffsetFetch Response (Version: 0-1) => [topics]
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index committed_offset metadata error_code
//       partition_index => INT32, committed_offset => INT64,
//       metadata => NULLABLE_STRING, error_code => INT16
// OffsetFetch Response (Version: 2) => [topics] error_code
// OffsetFetch Response (Version: 3-4) => throttle_time_ms [topics] error_code
// OffsetFetch Response (Version: 5) => partitions => partition_index committed_offset
//                                      committed_leader_epoch metadata error_code
//   committed_leader_epoch => INT32
// OffsetFetch Response (Version: 6-7) => as 5 with COMPACT forms and TAG_BUFFERs
// OffsetFetch Response (Version: 8) => throttle_time_ms [groups] TAG_BUFFER
//   groups => group_id [topics] error_code TAG_BUFFER
//     topics => name [partitions] TAG_BUFFER
//       partitions => partition_index committed_offset committed_leader_epoch metadata
//                     error_code TAG_BUFFER
// OffsetFetch Response (Version: 9) => as 8

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'OffsetFetchRequest',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    field('groupId', string, { versions: '0-7' }),
    field('topics', array(struct([field('name', string, { versions: '0-7' }), field('partitionIndexes', array(int32), { versions: '0-7' })])), {
      versions: '0-7',
      nullableVersions: '2-7',
    }),
    field(
      'groups',
      array(
        struct([
          field('groupId', string, { versions: '8+' }),
          field('memberId', string, { versions: '9+', nullableVersions: '9+', default: null }),
          field('memberEpoch', int32, { versions: '9+', default: -1 }),
          field('topics', array(struct([field('name', string, { versions: '8+' }), field('partitionIndexes', array(int32), { versions: '8+' })])), {
            versions: '8+',
            nullableVersions: '8+',
          }),
        ]),
      ),
      { versions: '8+' },
    ),
    field('requireStable', bool, { versions: '7+', default: false }),
  ],
});

const response = message({
  name: 'OffsetFetchResponse',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    field('throttleTimeMs', int32, { versions: '3+' }),
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0-7' }),
          field(
            'partitions',
            array(
              struct([
                field('partitionIndex', int32, { versions: '0-7' }),
                field('committedOffset', int64, { versions: '0-7' }),
                field('committedLeaderEpoch', int32, { versions: '5-7', default: -1 }),
                field('metadata', string, { versions: '0-7', nullableVersions: '0-7' }),
                field('errorCode', int16, { versions: '0-7' }),
              ]),
            ),
            { versions: '0-7' },
          ),
        ]),
      ),
      { versions: '0-7' },
    ),
    field('errorCode', int16, { versions: '2-7', default: 0 }),
    field(
      'groups',
      array(
        struct([
          field('groupId', string, { versions: '8+' }),
          field(
            'topics',
            array(
              struct([
                field('name', string, { versions: '8+' }),
                field(
                  'partitions',
                  array(
                    struct([
                      field('partitionIndex', int32, { versions: '8+' }),
                      field('committedOffset', int64, { versions: '8+' }),
                      field('committedLeaderEpoch', int32, { versions: '8+', default: -1 }),
                      field('metadata', string, { versions: '8+', nullableVersions: '8+' }),
                      field('errorCode', int16, { versions: '8+' }),
                    ]),
                  ),
                  { versions: '8+' },
                ),
              ]),
            ),
            { versions: '8+' },
          ),
          field('errorCode', int16, { versions: '8+', default: 0 }),
        ]),
      ),
      { versions: '8+' },
    ),
  ],
});

export const offsetFetch = defineApi({ apiKey: 9, name: 'OffsetFetch', request, response });
export type OffsetFetchRequest = MessageValue<typeof request>;
export type OffsetFetchResponse = MessageValue<typeof response>;

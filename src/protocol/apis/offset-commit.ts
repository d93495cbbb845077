// OffsetCommit (key 8), versions 0-9; flexible from v8.
//
// OffsetCommit Request (Version: 0) => group_id [topics]
//   group_id => STRING
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index committed_offset committed_metadata
//       partition_index => INT32, committed_offset => INT64,
//       committed_metadata => NULLABLE_STRING
// OffsetCommit Request (Version: 1) => group_id generation_id_or_member_epoch member_id [topics]
//   generation_id_or_member_epoch => INT32, member_id => STRING
//   partitions => partition_index committed_offset commit_timestamp committed_metadata
//     commit_timestamp => INT64
// OffsetCommit Request (Version: 2-4) => group_id generation_id_or_member_epoch member_id
//                                        retention_time_ms [topics]
//   retention_time_ms => INT64 (partitions as in v0)
// OffsetCommit Request (Version: 5) => group_id generation_id_or_member_epoch member_id [topics]
// OffsetCommit Request (Version: 6) => partitions => partition_index committed_offset
//                                      committed_leader_epoch committed_metadata
//   committed_leader_epoch => INT32
// OffsetCommit Request (Version: 7) => group_id generation_id_or_member_epoch member_id
//                                      group_instance_id [topics]
//   group_instance_id => NULLABLE_STRING
// OffsetCommit Request (Version: 8) => as 7 with COMPACT forms and TAG_BUFFERs
// OffsetCommit Request (Version: 9) => as 8 (generation_id_or_member_epoch may be a KIP-848
//   member epoch; for the classic groups we run it is the generation)
//
// OffsetCommit Response (Version: 0-2) => [topics]
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index error_code
//       partition_index => INT32, error_code => INT16
// OffsetCommit Response (Version: 3-7) => throttle_time_ms [topics]
// OffsetCommit Response (Version: 8-9) => as 3 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int64, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'OffsetCommitRequest',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field('generationIdOrMemberEpoch', int32, { versions: '1+', default: -1 }),
    field('memberId', string, { versions: '1+' }),
    field('groupInstanceId', string, { versions: '7+', nullableVersions: '7+', default: null }),
    field('retentionTimeMs', int64, { versions: '2-4', default: -1 }),
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
                field('committedOffset', int64, { versions: '0+' }),
                field('committedLeaderEpoch', int32, { versions: '6+', default: -1 }),
                field('commitTimestamp', int64, { versions: '1', default: -1 }),
                field('committedMetadata', string, { versions: '0+', nullableVersions: '0+' }),
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
  name: 'OffsetCommitResponse',
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    field('throttleTimeMs', int32, { versions: '3+' }),
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('partitions', array(struct([field('partitionIndex', int32, { versions: '0+' }), field('errorCode', int16, { versions: '0+' })])), {
            versions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const offsetCommit = defineApi({ apiKey: 8, name: 'OffsetCommit', request, response });
export type OffsetCommitRequest = MessageValue<typeof request>;
export type OffsetCommitResponse = MessageValue<typeof response>;

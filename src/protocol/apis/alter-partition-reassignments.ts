// AlterPartitionReassignments (key 45), version 0; flexible (KIP-455).
//
// AlterPartitionReassignments Request (Version: 0) => timeout_ms [topics] TAG_BUFFER
//   timeout_ms => INT32
//   topics => name [partitions] TAG_BUFFER
//     name => COMPACT_STRING
//     partitions => partition_index replicas TAG_BUFFER
//       partition_index => INT32
//       replicas => COMPACT_NULLABLE_ARRAY of INT32   (null cancels the reassignment in flight)
//
// AlterPartitionReassignments Response (Version: 0) => throttle_time_ms error_code error_message [responses] TAG_BUFFER
//   throttle_time_ms => INT32
//   error_code => INT16
//   error_message => COMPACT_NULLABLE_STRING
//   responses => name [partitions] TAG_BUFFER
//     name => COMPACT_STRING
//     partitions => partition_index error_code error_message TAG_BUFFER
//       partition_index => INT32, error_code => INT16, error_message => COMPACT_NULLABLE_STRING

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'AlterPartitionReassignmentsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('timeoutMs', int32, { versions: '0+', default: 60_000 }),
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
                field('replicas', array(int32), { versions: '0+', nullableVersions: '0+', default: null }),
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
  name: 'AlterPartitionReassignmentsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
    field(
      'responses',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field(
            'partitions',
            array(
              struct([
                field('partitionIndex', int32, { versions: '0+' }),
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

export const alterPartitionReassignments = defineApi({ apiKey: 45, name: 'AlterPartitionReassignments', request, response });
export type AlterPartitionReassignmentsRequest = MessageValue<typeof request>;
export type AlterPartitionReassignmentsResponse = MessageValue<typeof response>;

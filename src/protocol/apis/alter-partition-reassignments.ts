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
import { array, field, int16, int32, message, string, type MessageValue } from '../schema.ts';
import { responseHeadFields, topicPartitionsField } from './reassignment-fields.ts';

const request = message({
  name: 'AlterPartitionReassignmentsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('timeoutMs', int32, { versions: '0+', default: 60_000 }),
    topicPartitionsField('topics', [
      field('partitionIndex', int32, { versions: '0+' }),
      field('replicas', array(int32), { versions: '0+', nullableVersions: '0+', default: null }),
    ]),
  ],
});

const response = message({
  name: 'AlterPartitionReassignmentsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    ...responseHeadFields(),
    topicPartitionsField('responses', [
      field('partitionIndex', int32, { versions: '0+' }),
      field('errorCode', int16, { versions: '0+' }),
      field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
    ]),
  ],
});

export const alterPartitionReassignments = defineApi({ apiKey: 45, name: 'AlterPartitionReassignments', request, response });
export type AlterPartitionReassignmentsRequest = MessageValue<typeof request>;
export type AlterPartitionReassignmentsResponse = MessageValue<typeof response>;

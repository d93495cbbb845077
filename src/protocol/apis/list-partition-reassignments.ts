// ListPartitionReassignments (key 46), version 0; flexible (KIP-455).
//
// ListPartitionReassignments Request (Version: 0) => timeout_ms [topics] TAG_BUFFER
//   timeout_ms => INT32
//   topics => name [partition_indexes] TAG_BUFFER   (COMPACT_NULLABLE_ARRAY: null lists every reassignment)
//     name => COMPACT_STRING
//     partition_indexes => INT32
//
// ListPartitionReassignments Response (Version: 0) => throttle_time_ms error_code error_message [topics] TAG_BUFFER
//   throttle_time_ms => INT32
//   error_code => INT16
//   error_message => COMPACT_NULLABLE_STRING
//   topics => name [partitions] TAG_BUFFER
//     name => COMPACT_STRING
//     partitions => partition_index [replicas] [adding_replicas] [removing_replicas] TAG_BUFFER
//       partition_index => INT32
//       replicas => INT32            (the full set: the target, then those being removed)
//       adding_replicas => INT32     (in the target, not in the original assignment)
//       removing_replicas => INT32   (in the original assignment, not in the target)

import { defineApi } from '../api.ts';
import { array, field, int32, message, string, struct, type MessageValue } from '../schema.ts';
import { responseHeadFields, topicPartitionsField } from './reassignment-fields.ts';

const request = message({
  name: 'ListPartitionReassignmentsRequest',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    field('timeoutMs', int32, { versions: '0+', default: 60_000 }),
    field('topics', array(struct([field('name', string, { versions: '0+' }), field('partitionIndexes', array(int32), { versions: '0+' })])), {
      versions: '0+',
      nullableVersions: '0+',
      default: null,
    }),
  ],
});

const response = message({
  name: 'ListPartitionReassignmentsResponse',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    ...responseHeadFields(),
    topicPartitionsField('topics', [
      field('partitionIndex', int32, { versions: '0+' }),
      field('replicas', array(int32), { versions: '0+' }),
      field('addingReplicas', array(int32), { versions: '0+' }),
      field('removingReplicas', array(int32), { versions: '0+' }),
    ]),
  ],
});

export const listPartitionReassignments = defineApi({ apiKey: 46, name: 'ListPartitionReassignments', request, response });
export type ListPartitionReassignmentsRequest = MessageValue<typeof request>;
export type ListPartitionReassignmentsResponse = MessageValue<typeof response>;

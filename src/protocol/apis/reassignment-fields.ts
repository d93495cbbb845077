// The grammar AlterPartitionReassignments (45) and ListPartitionReassignments (46) share (KIP-455,
// version 0, flexible): the fields each response starts with, and the `topics => name
// [partitions]` nesting of both responses and of the Alter request. Each API module keeps its
// whole wire grammar in its own header comment.
//
//   throttle_time_ms => INT32, error_code => INT16, error_message => COMPACT_NULLABLE_STRING
//   <topics> => name [partitions] TAG_BUFFER
//     name => COMPACT_STRING
//     partitions => <the API's partition fields> TAG_BUFFER

import { array, field, int16, int32, string, struct, type FieldDef } from '../schema.ts';

/** throttle_time_ms error_code error_message: the head of both responses. */
export function responseHeadFields() {
  return [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('errorMessage', string, { versions: '0+', nullableVersions: '0+' }),
  ] as const;
}

/** The array field `name` of topics, each a name and its partitions, each partition `partitionFields`. */
export function topicPartitionsField<const N extends string, const F extends readonly FieldDef<string, unknown>[]>(name: N, partitionFields: F) {
  return field(name, array(struct([field('name', string, { versions: '0+' }), field('partitions', array(struct(partitionFields)), { versions: '0+' })])), {
    versions: '0+',
  });
}

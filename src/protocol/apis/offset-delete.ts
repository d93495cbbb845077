// OffsetDelete (key 47), version 0; never flexible (KIP-496).
//
// OffsetDelete Request (Version: 0) => group_id [topics]
//   group_id => STRING
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index
//       partition_index => INT32
//
// OffsetDelete Response (Version: 0) => error_code throttle_time_ms [topics]
//   error_code => INT16, throttle_time_ms => INT32
//   topics => name [partitions]
//     name => STRING
//     partitions => partition_index error_code
//       partition_index => INT32, error_code => INT16

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'OffsetDeleteRequest',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    field('groupId', string, { versions: '0+' }),
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('partitions', array(struct([field('partitionIndex', int32, { versions: '0+' })])), { versions: '0+' }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

const response = message({
  name: 'OffsetDeleteResponse',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    field('errorCode', int16, { versions: '0+' }),
    field('throttleTimeMs', int32, { versions: '0+' }),
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

export const offsetDelete = defineApi({ apiKey: 47, name: 'OffsetDelete', request, response });
export type OffsetDeleteRequest = MessageValue<typeof request>;
export type OffsetDeleteResponse = MessageValue<typeof response>;

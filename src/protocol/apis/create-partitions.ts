// CreatePartitions (key 37), versions 0-3; flexible from v2.
//
// CreatePartitions Request (Version: 0-1) => [topics] timeout_ms validate_only
//   topics => name count [assignments]        (assignments: NULLABLE array)
//     name => STRING, count => INT32
//     assignments => [broker_ids]
//       broker_ids => INT32
//   timeout_ms => INT32
//   validate_only => BOOLEAN
// CreatePartitions Request (Version: 2-3) => as 0 with COMPACT forms and TAG_BUFFERs
//
// CreatePartitions Response (Version: 0-1) => throttle_time_ms [results]
//   throttle_time_ms => INT32
//   results => name error_code error_message
//     name => STRING, error_code => INT16, error_message => NULLABLE_STRING
// CreatePartitions Response (Version: 2-3) => as 0 with COMPACT forms and TAG_BUFFERs

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'CreatePartitionsRequest',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('count', int32, { versions: '0+' }),
          field('assignments', array(struct([field('brokerIds', array(int32), { versions: '0+' })])), {
            versions: '0+',
            nullableVersions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('timeoutMs', int32, { versions: '0+' }),
    field('validateOnly', bool, { versions: '0+' }),
  ],
});

const response = message({
  name: 'CreatePartitionsResponse',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field(
      'results',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '0+', nullableVersions: '0+', default: null }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const createPartitions = defineApi({ apiKey: 37, name: 'CreatePartitions', request, response });
export type CreatePartitionsRequest = MessageValue<typeof request>;
export type CreatePartitionsResponse = MessageValue<typeof response>;

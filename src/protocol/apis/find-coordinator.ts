// FindCoordinator (key 10), versions 0-4; flexible from v3. v4 batches keys (KIP-699).
//
// FindCoordinator Request (Version: 0) => key
//   key => STRING (the group id)
// FindCoordinator Request (Version: 1-2) => key key_type
//   key_type => INT8 (0 = group, 1 = transaction)
// FindCoordinator Request (Version: 3) => key key_type TAG_BUFFER (COMPACT_STRING key)
// FindCoordinator Request (Version: 4) => key_type [coordinator_keys] TAG_BUFFER
//   coordinator_keys => COMPACT_STRING
//
// FindCoordinator Response (Version: 0) => error_code node_id host port
//   error_code => INT16, node_id => INT32, host => STRING, port => INT32
// FindCoordinator Response (Version: 1-2) => throttle_time_ms error_code error_message
//                                            node_id host port
//   throttle_time_ms => INT32, error_message => NULLABLE_STRING
// FindCoordinator Response (Version: 3) => as 1 with COMPACT forms and TAG_BUFFER
// FindCoordinator Response (Version: 4) => throttle_time_ms [coordinators] TAG_BUFFER
//   coordinators => key node_id host port error_code error_message TAG_BUFFER
//     key => COMPACT_STRING, node_id => INT32, host => COMPACT_STRING, port => INT32,
//     error_code => INT16, error_message => COMPACT_NULLABLE_STRING

import { defineApi } from '../api.ts';
import { array, field, int16, int32, int8, message, string, struct, type MessageValue } from '../schema.ts';

const request = message({
  name: 'FindCoordinatorRequest',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    field('key', string, { versions: '0-3' }),
    field('keyType', int8, { versions: '1+', default: 0 }),
    field('coordinatorKeys', array(string), { versions: '4+' }),
  ],
});

const response = message({
  name: 'FindCoordinatorResponse',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field('errorCode', int16, { versions: '0-3' }),
    field('errorMessage', string, { versions: '1-3', nullableVersions: '1-3' }),
    field('nodeId', int32, { versions: '0-3' }),
    field('host', string, { versions: '0-3' }),
    field('port', int32, { versions: '0-3' }),
    field(
      'coordinators',
      array(
        struct([
          field('key', string, { versions: '4+' }),
          field('nodeId', int32, { versions: '4+' }),
          field('host', string, { versions: '4+' }),
          field('port', int32, { versions: '4+' }),
          field('errorCode', int16, { versions: '4+' }),
          field('errorMessage', string, { versions: '4+', nullableVersions: '4+' }),
        ]),
      ),
      { versions: '4+' },
    ),
  ],
});

export const findCoordinator = defineApi({ apiKey: 10, name: 'FindCoordinator', request, response });
export type FindCoordinatorRequest = MessageValue<typeof request>;
export type FindCoordinatorResponse = MessageValue<typeof response>;

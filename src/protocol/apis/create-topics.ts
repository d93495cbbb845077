// CreateTopics (key 19), versions 0-7; flexible from v5.
//
// CreateTopics Request (Version: 0) => [topics] timeout_ms
//   topics => name num_partitions replication_factor [assignments] [configs]
//     name => STRING, num_partitions => INT32, replication_factor => INT16
//     assignments => partition_index [broker_ids]
//       partition_index => INT32, broker_ids => INT32
//     configs => name value
//       name => STRING, value => NULLABLE_STRING
//   timeout_ms => INT32
// CreateTopics Request (Version: 1-4) => [topics] timeout_ms validate_only
//   validate_only => BOOLEAN
// CreateTopics Request (Version: 5-7) => as 1 with COMPACT forms and TAG_BUFFERs
//
// CreateTopics Response (Version: 0) => [topics]
//   topics => name error_code
//     name => STRING, error_code => INT16
// CreateTopics Response (Version: 1) => topics => name error_code error_message
//   error_message => NULLABLE_STRING
// CreateTopics Response (Version: 2-4) => throttle_time_ms [topics]
// CreateTopics Response (Version: 5-6) => throttle_time_ms [topics] TAG_BUFFER
//   topics => name error_code error_message num_partitions replication_factor [configs] TAG_BUFFER
//     num_partitions => INT32, replication_factor => INT16
//     configs => name value read_only config_source is_sensitive TAG_BUFFER (NULLABLE array)
//       name => COMPACT_STRING, value => COMPACT_NULLABLE_STRING, read_only => BOOLEAN,
//       config_source => INT8, is_sensitive => BOOLEAN
//     tagged: 0 topic_config_error_code (INT16)
// CreateTopics Response (Version: 7) => as 5, topics gain topic_id (UUID) after name

import { defineApi } from '../api.ts';
import { array, bool, field, int16, int32, int8, message, string, struct, uuid, type MessageValue } from '../schema.ts';

const request = message({
  name: 'CreateTopicsRequest',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('numPartitions', int32, { versions: '0+' }),
          field('replicationFactor', int16, { versions: '0+' }),
          field('assignments', array(struct([field('partitionIndex', int32, { versions: '0+' }), field('brokerIds', array(int32), { versions: '0+' })])), {
            versions: '0+',
          }),
          field('configs', array(struct([field('name', string, { versions: '0+' }), field('value', string, { versions: '0+', nullableVersions: '0+' })])), {
            versions: '0+',
          }),
        ]),
      ),
      { versions: '0+' },
    ),
    field('timeoutMs', int32, { versions: '0+', default: 60000 }),
    field('validateOnly', bool, { versions: '1+', default: false }),
  ],
});

const response = message({
  name: 'CreateTopicsResponse',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    field('throttleTimeMs', int32, { versions: '2+' }),
    field(
      'topics',
      array(
        struct([
          field('name', string, { versions: '0+' }),
          field('topicId', uuid, { versions: '7+' }),
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '1+', nullableVersions: '0+' }),
          field('topicConfigErrorCode', int16, { versions: '5+', taggedVersions: '5+', tag: 0 }),
          field('numPartitions', int32, { versions: '5+', default: -1 }),
          field('replicationFactor', int16, { versions: '5+', default: -1 }),
          field(
            'configs',
            array(
              struct([
                field('name', string, { versions: '5+' }),
                field('value', string, { versions: '5+', nullableVersions: '5+' }),
                field('readOnly', bool, { versions: '5+' }),
                field('configSource', int8, { versions: '5+', default: -1 }),
                field('isSensitive', bool, { versions: '5+' }),
              ]),
            ),
            { versions: '5+', nullableVersions: '5+' },
          ),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const createTopics = defineApi({ apiKey: 19, name: 'CreateTopics', request, response });
export type CreateTopicsRequest = MessageValue<typeof request>;
export type CreateTopicsResponse = MessageValue<typeof response>;

// DeleteTopics (key 20), versions 0-6; flexible from v4.
//
// DeleteTopics Request (Version: 0-3) => [topic_names] timeout_ms
//   topic_names => STRING
//   timeout_ms => INT32
// DeleteTopics Request (Version: 4-5) => as 0 with COMPACT forms and TAG_BUFFER
// DeleteTopics Request (Version: 6) => [topics] timeout_ms TAG_BUFFER
//   topics => name topic_id TAG_BUFFER
//     name => COMPACT_NULLABLE_STRING, topic_id => UUID
//
// DeleteTopics Response (Version: 0) => [responses]
//   responses => name error_code
//     name => STRING, error_code => INT16
// DeleteTopics Response (Version: 1-3) => throttle_time_ms [responses]
//   throttle_time_ms => INT32
// DeleteTopics Response (Version: 4) => as 1 with COMPACT forms and TAG_BUFFERs
// DeleteTopics Response (Version: 5) => responses => name error_code error_message
//   error_message => COMPACT_NULLABLE_STRING
// DeleteTopics Response (Version: 6) => responses => name topic_id error_code error_message
//   name => COMPACT_NULLABLE_STRING, topic_id => UUID

import { defineApi } from '../api.ts';
import { array, field, int16, int32, message, string, struct, uuid, type MessageValue } from '../schema.ts';

const request = message({
  name: 'DeleteTopicsRequest',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    field(
      'topics',
      array(struct([field('name', string, { versions: '6+', nullableVersions: '6+', default: null }), field('topicId', uuid, { versions: '6+' })])),
      { versions: '6+' },
    ),
    field('topicNames', array(string), { versions: '0-5' }),
    field('timeoutMs', int32, { versions: '0+' }),
  ],
});

const response = message({
  name: 'DeleteTopicsResponse',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    field('throttleTimeMs', int32, { versions: '1+' }),
    field(
      'responses',
      array(
        struct([
          field('name', string, { versions: '0+', nullableVersions: '6+' }),
          field('topicId', uuid, { versions: '6+' }),
          field('errorCode', int16, { versions: '0+' }),
          field('errorMessage', string, { versions: '5+', nullableVersions: '5+', default: null }),
        ]),
      ),
      { versions: '0+' },
    ),
  ],
});

export const deleteTopics = defineApi({ apiKey: 20, name: 'DeleteTopics', request, response });
export type DeleteTopicsRequest = MessageValue<typeof request>;
export type DeleteTopicsResponse = MessageValue<typeof response>;

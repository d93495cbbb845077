// InitProducerId (key 22), versions 0-4; flexible from v2 (KIP-98 idempotent producers).
//
// InitProducerId Request (Version: 0-1) => transactional_id transaction_timeout_ms
//   transactional_id => NULLABLE_STRING, transaction_timeout_ms => INT32
// InitProducerId Request (Version: 2) => as 0 with COMPACT forms and TAG_BUFFER
// InitProducerId Request (Version: 3-4) => transactional_id transaction_timeout_ms
//                                          producer_id producer_epoch TAG_BUFFER
//   producer_id => INT64, producer_epoch => INT16
//
// InitProducerId Response (Version: 0-1) => throttle_time_ms error_code producer_id
//                                           producer_epoch
//   throttle_time_ms => INT32, error_code => INT16, producer_id => INT64,
//   producer_epoch => INT16
// InitProducerId Response (Version: 2-4) => as 0 with TAG_BUFFER

import { defineApi } from '../api.ts';
import { field, int16, int32, int64, message, string, type MessageValue } from '../schema.ts';

const request = message({
  name: 'InitProducerIdRequest',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    field('transactionalId', string, { versions: '0+', nullableVersions: '0+' }),
    field('transactionTimeoutMs', int32, { versions: '0+' }),
    field('producerId', int64, { versions: '3+', default: -1 }),
    field('producerEpoch', int16, { versions: '3+', default: -1 }),
  ],
});

const response = message({
  name: 'InitProducerIdResponse',
  validVersions: '0-4',
  flexibleVersions: '2+',
  fields: [
    field('throttleTimeMs', int32, { versions: '0+' }),
    field('errorCode', int16, { versions: '0+' }),
    field('producerId', int64, { versions: '0+', default: -1 }),
    field('producerEpoch', int16, { versions: '0+' }),
  ],
});

export const initProducerId = defineApi({ apiKey: 22, name: 'InitProducerId', request, response });
export type InitProducerIdRequest = MessageValue<typeof request>;
export type InitProducerIdResponse = MessageValue<typeof response>;

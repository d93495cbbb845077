// CreatePartitions (key 37): grow a topic's partition count.
//
//   CreatePartitionsRequest => [topics] timeout_ms validate_only
//     topics => name count [assignments] (nullable)
//       assignments => [broker_ids]
//   CreatePartitionsResponse => throttle_time_ms [results]
//     results => name error_code error_message

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { createPartitions, repeatedNames } from '../topic-admin.ts';
import { createPartitions as createPartitionsApi, type CreatePartitionsRequest, type CreatePartitionsResponse } from '../../protocol/apis/create-partitions.ts';

export function createPartitionsHandler(services: BrokerServices): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return {
    api: createPartitionsApi,
    async handle(request, context) {
      const topics = request.topics;
      const repeated = repeatedNames(topics);
      const results: CreatePartitionsResponse['results'] = [];
      for (const t of topics) {
        if (repeated.has(t.name)) {
          results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic "${t.name}" appears more than once` });
          continue;
        }
        if (!services.authorizer.check(context.session, 'ALTER', 'TOPIC', t.name)) {
          results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
          continue;
        }
        const result = await createPartitions(services, t.name, t.count, t.assignments, request.validateOnly === true);
        results.push({ name: t.name, errorCode: result.errorCode, errorMessage: result.errorMessage });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}

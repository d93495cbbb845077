// CreatePartitions (key 37): grow a topic's partition count.
//
//   CreatePartitionsRequest => [topics] timeout_ms validate_only
//     topics => name count [assignments] (nullable)
//       assignments => [broker_ids]
//   CreatePartitionsResponse => throttle_time_ms [results]
//     results => name error_code error_message

import { ApiKey } from '../../protocol/apis/index.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { apiFor, type ApiHandler, type Body } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { createPartitions, repeatedNames } from '../topic-admin.ts';

export function createPartitionsHandler(services: BrokerServices): ApiHandler {
  return {
    api: apiFor(ApiKey.CreatePartitions),
    async handle(request) {
      const topics = request.topics as Body[];
      const repeated = repeatedNames(topics as Array<{ name: string }>);
      const results: Body[] = [];
      for (const t of topics) {
        if (repeated.has(t.name)) {
          results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic "${t.name}" appears more than once` });
          continue;
        }
        const result = await createPartitions(services, t.name, t.count, t.assignments, request.validateOnly === true);
        results.push({ name: t.name, errorCode: result.errorCode, errorMessage: result.errorMessage });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}

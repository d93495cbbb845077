// DeleteTopics (key 20).
//
//   DeleteTopicsRequest => [topic_names](v0-5) [topics](v6+) timeout_ms
//     topics => name topic_id
//   DeleteTopicsResponse => throttle_time_ms(v1+) [responses]
//     responses => name topic_id(v6+) error_code error_message(v5+)

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { deleteTopic } from '../topic-admin.ts';
import { uuidFromHex, uuidToHex, zeroUuid } from '../uuid.ts';
import { deleteTopics, type DeleteTopicsRequest, type DeleteTopicsResponse } from '../../protocol/apis/delete-topics.ts';

export function deleteTopicsHandler(services: BrokerServices): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    api: deleteTopics,
    async handle(request, context) {
      const state = services.controller.state;
      const wanted: Array<{ name: string | null; topicId: Buffer }> =
        context.apiVersion >= 6
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name, topicId: zeroUuid }));
      const responses: DeleteTopicsResponse['responses'] = [];
      for (const entry of wanted) {
        let name = entry.name;
        if (name === null) {
          const byId = state.topicById(uuidToHex(entry.topicId));
          if (!byId) {
            responses.push({ name: null, topicId: entry.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'no topic has this id' });
            continue;
          }
          name = byId.name;
        }
        // ACLs: DELETE on the topic, as Kafka.
        if (!services.authorizer.check(context.session, 'DELETE', 'TOPIC', name)) {
          responses.push({ name, topicId: entry.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null });
          continue;
        }
        const result = await deleteTopic(services, name);
        responses.push({
          name,
          topicId: result.topic ? uuidFromHex(result.topic.topicId) : entry.topicId,
          errorCode: result.errorCode,
          errorMessage: result.errorMessage,
        });
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}

// InitProducerId (key 22): a producer id and epoch for an idempotent producer (KIP-98).
//
//   InitProducerIdRequest => transactional_id transaction_timeout_ms producer_id(v3+)
//       producer_epoch(v3+)
//   InitProducerIdResponse => throttle_time_ms error_code producer_id producer_epoch
//
// Without a transactional id Kafka always hands out a fresh producer id with epoch 0, also when
// the client names its old id and epoch (KIP-360 epoch bumps only apply to transactional ids), so
// do we. Ids are allocated durably in blocks (producer-id-allocator.ts). Transactions are not
// implemented: a transactional id is refused with a non-retriable error.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import type { Session } from '../../security/session.ts';
import type { BrokerServices } from '../services.ts';
import { initProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/apis/init-producer-id.ts';

export function initProducerIdHandler(services: BrokerServices): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    api: initProducerId,
    async handle(request, context) {
      if (request.transactionalId !== null && request.transactionalId !== undefined) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      if (!mayWriteIdempotently(services, context.session)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      try {
        const producerId = await services.producerIds.allocate();
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
      } catch (err) {
        services.logger.warn({ err }, 'producer id allocation failed');
        return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
      }
    },
  };
}

/**
 * ACLs: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or, since Kafka 3.0 (KIP-679,
 * where idempotence became the producer's default), WRITE on any topic: here any topic that exists.
 */
function mayWriteIdempotently(services: BrokerServices, session: Session): boolean {
  const { authorizer } = services;
  if (!authorizer.enabled || authorizer.allowed(session, 'IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) return true;
  for (const topic of services.controller.state.allTopics()) if (authorizer.allowed(session, 'WRITE', 'TOPIC', topic.name)) return true;
  authorizer.check(session, 'IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE_NAME);
  return false;
}
